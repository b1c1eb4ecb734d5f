"""Every table of the project, imported here so Alembic sees one metadata (env.py)."""

from bot.audit import AuditEvent
from bot.channels.dedup import ChannelEvent
from bot.channels.payloads import ButtonPayload
from bot.channels.zalo.tokens import ZaloToken
from bot.conversation.inbox import InboxMessage
from bot.conversation.models import UndeliveredMessage
from bot.conversation.outbox import OutboxMessage
from bot.conversation.outcomes import MessageOutcome
from bot.db.base import Base
from bot.db.duties import Duty
from bot.handoff.models import (
    CannedReply,
    ConsoleSession,
    Member,
    Team,
    TelegramPost,
    Ticket,
    TicketMessage,
)
from bot.knowledge.models import (
    ArticleRecord,
    ArticleVersion,
    Feedback,
    QuestionMark,
    UnansweredQuestion,
)
from bot.ratelimit import RateCounter
from bot.status.models import Application, StatusChange, StatusLookup, Subscription

__all__ = [
    "Application",
    "ArticleRecord",
    "ArticleVersion",
    "AuditEvent",
    "Base",
    "ButtonPayload",
    "CannedReply",
    "ChannelEvent",
    "ConsoleSession",
    "Duty",
    "Feedback",
    "InboxMessage",
    "Member",
    "MessageOutcome",
    "OutboxMessage",
    "QuestionMark",
    "RateCounter",
    "StatusChange",
    "StatusLookup",
    "Subscription",
    "Team",
    "TelegramPost",
    "Ticket",
    "TicketMessage",
    "UnansweredQuestion",
    "UndeliveredMessage",
    "ZaloToken",
]
