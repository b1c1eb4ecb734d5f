"""Personal data is kept ``RETENTION_DAYS`` (180 by default) and no longer (Decree 13/2023).

``purge`` deletes what is older: residents' messages in and out, the undelivered ones,
platform event ids, status look-ups and subscriptions, unanswered questions and feedback,
the audit log, expired console sessions; closed tickets lose their messages, question and
resident id but stay as numbers for the ward's figures. ``purge_tracker`` deletes Rasa's
tracker events of the same age. ``assistant purge`` runs both; the gateway runs them once
a day (``retention_loop``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, delete, inspect, select, text, update
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from bot.audit import AuditEvent
from bot.channels.dedup import ChannelEvent
from bot.conversation.inbox import InboxMessage
from bot.conversation.models import UndeliveredMessage
from bot.conversation.outbox import OutboxMessage
from bot.db import session_scope
from bot.db.base import affected, utcnow
from bot.handoff.models import CLOSED, ConsoleSession, TelegramPost, Ticket, TicketMessage
from bot.knowledge.models import Feedback, UnansweredQuestion
from bot.ratelimit import forget_before
from bot.settings import Settings
from bot.status.models import StatusLookup, Subscription

logger = logging.getLogger(__name__)
DAY = 24 * 3600.0

# Tables whose rows older than the cutoff are deleted, with the column that dates them.
_DATED: list[tuple[str, Any, Any]] = [
    ("inbox_messages", InboxMessage, InboxMessage.received_at),
    ("outbox_messages", OutboxMessage, OutboxMessage.created_at),
    ("undelivered_messages", UndeliveredMessage, UndeliveredMessage.at),
    ("channel_events", ChannelEvent, ChannelEvent.at),
    ("status_lookups", StatusLookup, StatusLookup.at),
    ("status_subscriptions", Subscription, Subscription.created_at),
    ("kb_unanswered", UnansweredQuestion, UnansweredQuestion.at),
    ("kb_feedback", Feedback, Feedback.at),
    ("audit_log", AuditEvent, AuditEvent.at),
]


def cutoff_for(days: int) -> datetime:
    return utcnow() - timedelta(days=days)


def purge(session: Session, cutoff: datetime) -> dict[str, int]:
    """Delete or anonymise what is older than ``cutoff``; returns rows per table."""
    counts: dict[str, int] = {}
    for name, model, column in _DATED:
        result = session.execute(delete(model).where(column < cutoff))
        counts[name] = affected(result)
    old = select(Ticket.id).where(Ticket.status == CLOSED, Ticket.closed_at < cutoff)
    result = session.execute(delete(TicketMessage).where(TicketMessage.ticket_id.in_(old)))
    counts["handoff_messages"] = affected(result)
    session.execute(delete(TelegramPost).where(TelegramPost.ticket_id.in_(old)))
    result = session.execute(
        update(Ticket)
        .where(Ticket.id.in_(old), Ticket.question != "")
        .values(question="", user_id="da-xoa")
        .execution_options(synchronize_session=False)
    )
    counts["handoff_tickets (anonymised)"] = affected(result)
    result = session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < utcnow()))
    counts["console_sessions (expired)"] = affected(result)
    counts["rate_counters (ended)"] = forget_before(session, time.time() - DAY)
    return counts


def purge_tracker(tracker_url: str, cutoff: datetime) -> int:
    """Delete Rasa's tracker events older than ``cutoff`` (its SQL tracker store keeps
    every message as sent, in table ``events`` with a Unix ``timestamp``)."""
    engine = create_engine(tracker_url)
    try:
        if not inspect(engine).has_table("events"):
            return 0
        with engine.begin() as connection:
            result = connection.execute(
                text("DELETE FROM events WHERE timestamp < :cutoff"),
                {"cutoff": cutoff.timestamp()},
            )
            return affected(result)
    finally:
        engine.dispose()


def purge_all(settings: Settings, days: int | None = None) -> dict[str, int]:
    cutoff = cutoff_for(days if days is not None else settings.retention_days)
    with session_scope() as session:
        counts = purge(session, cutoff)
    counts["rasa tracker events"] = purge_tracker(settings.tracker_url, cutoff)
    return counts


async def retention_loop(settings: Settings, first_delay: float = 60.0) -> None:
    """Once a day, purge what is older than ``RETENTION_DAYS``."""
    await asyncio.sleep(first_delay)
    while True:
        try:
            counts = await run_in_threadpool(purge_all, settings)
            logger.info("retention: purged %s", {k: v for k, v in counts.items() if v})
        except Exception:  # the next day tries again
            logger.exception("retention purge failed")
        await asyncio.sleep(DAY)
