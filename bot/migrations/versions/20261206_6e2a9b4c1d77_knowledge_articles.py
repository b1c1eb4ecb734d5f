"""knowledge articles and their versions in the database (the web editor publishes there)

Revision ID: 6e2a9b4c1d77
Revises: 5d1c9e7b3a22
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6e2a9b4c1d77"
down_revision: str | None = "5d1c9e7b3a22"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kb_articles",
        sa.Column("id", sa.String(length=80), primary_key=True),
        sa.Column("published", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("draft", sa.Text(), nullable=True),
        sa.Column("draft_by", sa.String(length=200), nullable=False),
        sa.Column("draft_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("file_sha", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "kb_article_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("article_id", sa.String(length=80), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("article_id", "number"),
    )
    op.create_index(
        "ix_kb_article_versions_article_id", "kb_article_versions", ["article_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_kb_article_versions_article_id", "kb_article_versions")
    op.drop_table("kb_article_versions")
    op.drop_table("kb_articles")
