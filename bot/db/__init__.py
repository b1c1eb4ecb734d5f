"""The one database layer: SQLAlchemy 2 models, sessions and Alembic migrations."""

from bot.db.base import Base
from bot.db.session import get_engine, in_session, session_scope

__all__ = ["Base", "get_engine", "in_session", "session_scope"]
