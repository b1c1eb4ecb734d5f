"""Every table of the project, imported here so Alembic sees one metadata."""

from bot.audit import AuditEvent
from bot.channels.dedup import ChannelEvent
from bot.channels.payloads import ButtonPayload
from bot.channels.zalo.tokens import ZaloToken
from bot.conversation.models import UndeliveredMessage
from bot.db.base import Base
from bot.knowledge.models import Feedback, UnansweredQuestion
from bot.status.models import Application, StatusChange, StatusLookup, Subscription
from bot.status.notifier import OutboxMessage

__all__ = [
    "Application",
    "AuditEvent",
    "Base",
    "ButtonPayload",
    "ChannelEvent",
    "Feedback",
    "OutboxMessage",
    "StatusChange",
    "StatusLookup",
    "Subscription",
    "UnansweredQuestion",
    "UndeliveredMessage",
    "ZaloToken",
]
