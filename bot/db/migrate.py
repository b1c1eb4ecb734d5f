"""Run Alembic migrations from code (``assistant db upgrade``, tests, start-up)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

INI = Path(__file__).parent / "alembic.ini"


def alembic_config() -> Config:
    return Config(str(INI))


def upgrade(revision: str = "head") -> None:
    command.upgrade(alembic_config(), revision)


def revision(message: str) -> None:
    """Autogenerate a migration from the models (developers only)."""
    command.revision(alembic_config(), message=message, autogenerate=True)
