"""one-time codes for members to set their password, canned replies per team

Revision ID: a1c3e5f7b9d2
Revises: 8f3b5d7e9a11
Create Date: 2026-12-06 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a1c3e5f7b9d2"
down_revision: str | None = "8f3b5d7e9a11"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("handoff_members") as batch:
        batch.add_column(sa.Column("setup_code_hash", sa.String(length=300), nullable=True))
        batch.add_column(
            sa.Column("setup_code_expires", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "handoff_canned_replies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("handoff_teams.id"), nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_handoff_canned_replies_team_id", "handoff_canned_replies", ["team_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_handoff_canned_replies_team_id", "handoff_canned_replies")
    op.drop_table("handoff_canned_replies")
    with op.batch_alter_table("handoff_members") as batch:
        batch.drop_column("setup_code_expires")
        batch.drop_column("setup_code_hash")
