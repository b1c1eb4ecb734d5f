"""Every table of the project, imported here so Alembic sees one metadata."""

from bot.audit import AuditEvent
from bot.conversation.models import UndeliveredMessage
from bot.db.base import Base

__all__ = ["AuditEvent", "Base", "UndeliveredMessage"]
