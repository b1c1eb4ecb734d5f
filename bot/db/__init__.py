"""The one database layer: SQLAlchemy 2 models, sessions and Alembic migrations."""

from bot.db.base import Base
from bot.db.session import SessionDep, get_engine, in_session, session_scope

__all__ = ["Base", "SessionDep", "get_engine", "in_session", "session_scope"]
