"""one row per answered message (the figures), residents counted on questions and
feedback, and the editors' decisions on questions that went wrong

Revision ID: 8f3b5d7e9a11
Revises: 6e2a9b4c1d77
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8f3b5d7e9a11"
down_revision: str | None = "6e2a9b4c1d77"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "message_outcomes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("ward", sa.String(length=80), nullable=False),
        sa.Column("resident", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("article_id", sa.String(length=80), nullable=True),
        sa.Column("topic", sa.String(length=80), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
    )
    op.create_index(
        "ix_message_outcomes_figures",
        "message_outcomes",
        ["day", "ward", "kind", "channel", "topic", "resident"],
    )
    op.create_table(
        "kb_question_marks",
        sa.Column("folded", sa.String(length=500), primary_key=True),
        sa.Column("mark", sa.String(length=20), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("article_id", sa.String(length=80), nullable=True),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("kb_unanswered") as batch:
        batch.add_column(
            sa.Column("resident", sa.String(length=16), nullable=False, server_default="")
        )
    with op.batch_alter_table("kb_feedback") as batch:
        batch.add_column(
            sa.Column("resident", sa.String(length=16), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("kb_feedback") as batch:
        batch.drop_column("resident")
    with op.batch_alter_table("kb_unanswered") as batch:
        batch.drop_column("resident")
    op.drop_table("kb_question_marks")
    op.drop_index("ix_message_outcomes_figures", "message_outcomes")
    op.drop_table("message_outcomes")
