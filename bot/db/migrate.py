"""Run Alembic migrations from code (``assistant db upgrade``, tests, start-up)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# The migrations live beside the table registry (bot/migrations), which imports every
# package's models: kept out of bot.db so that no package and bot.db import each other.
INI = Path(__file__).resolve().parent.parent / "migrations" / "alembic.ini"


def alembic_config() -> Config:
    return Config(str(INI))


def upgrade(revision: str = "head") -> None:
    command.upgrade(alembic_config(), revision)


def revision(message: str) -> None:
    """Autogenerate a migration from the models (developers only)."""
    command.revision(alembic_config(), message=message, autogenerate=True)


def create_database(url: str) -> bool:
    """Create the PostgreSQL database ``url`` names if it does not exist yet (the
    scaled topology's project database and Rasa's tracker store); True if created.
    SQLite files are created on first use: nothing to do."""
    target = make_url(url)
    if not target.drivername.startswith("postgresql"):
        return False
    name = target.database or ""
    if not name.replace("_", "").isalnum():
        raise ValueError(f"tên cơ sở dữ liệu không hợp lệ: {name!r} (chỉ chữ, số và _)")
    admin = create_engine(
        target.set(drivername="postgresql+psycopg", database="postgres"),
        isolation_level="AUTOCOMMIT",
    )
    try:
        with admin.connect() as conn:
            found = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if found is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            return found is None
    finally:
        admin.dispose()
