"""unanswered questions: outcome (unsure, not covered, refused out of scope)

Revision ID: 4b7e1c2d9a10
Revises: 85de409cd111
Create Date: 2026-12-06 00:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4b7e1c2d9a10"
down_revision: str | None = "85de409cd111"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("kb_unanswered") as batch:
        batch.add_column(
            sa.Column("outcome", sa.String(length=20), nullable=False, server_default="unsure")
        )


def downgrade() -> None:
    with op.batch_alter_table("kb_unanswered") as batch:
        batch.drop_column("outcome")
