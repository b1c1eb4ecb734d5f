"""inbox: residents' messages written down before they are acknowledged

Revision ID: 9a8b7c6d5e44
Revises: 7c3d2e1f0a55
Create Date: 2026-12-06 03:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9a8b7c6d5e44"
down_revision: str | None = "7c3d2e1f0a55"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.String(length=120), nullable=False),
        sa.Column("platform_id", sa.String(length=200), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("meta", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.UniqueConstraint("channel", "platform_id"),
    )
    op.create_index("ix_inbox_messages_channel", "inbox_messages", ["channel"])
    op.create_index("ix_inbox_messages_user_id", "inbox_messages", ["user_id"])
    # What the recovery loop scans: the open messages.
    op.create_index("ix_inbox_messages_done_at", "inbox_messages", ["done_at"])


def downgrade() -> None:
    op.drop_table("inbox_messages")
