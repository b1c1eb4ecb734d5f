"""console sessions no longer hold a form token: asgi-csrf signs it in a cookie

Revision ID: c4d6e8f0a2b3
Revises: a1c3e5f7b9d2
Create Date: 2026-12-06 12:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4d6e8f0a2b3"
down_revision: str | None = "a1c3e5f7b9d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("console_sessions") as batch:
        batch.drop_column("csrf_token")


def downgrade() -> None:
    with op.batch_alter_table("console_sessions") as batch:
        batch.add_column(
            sa.Column("csrf_token", sa.String(length=64), nullable=False, server_default="")
        )
