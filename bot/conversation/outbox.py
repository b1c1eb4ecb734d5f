"""Messages the assistant sends on its own, not as a reply: status updates, and what a
team member writes to a handed-off resident.

A message is stored before anything is tried, so nothing is lost. Pushing channels
(Telegram, Zalo) get it at once when they can (``deliver``) or from the gateway's loop
(``push_once``); the web chat polls (``take_pending``). A message is marked delivered
only after the platform accepted it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column
from starlette.concurrency import run_in_threadpool

from bot.db import session_scope
from bot.db.base import Base, utcnow

logger = logging.getLogger(__name__)
# channel -> async send(user_id, text); raises PermanentFailure when retrying is pointless
Sender = Callable[[str, str], Awaitable[None]]


class PermanentFailure(Exception):
    """The platform refused for a reason a retry will not fix."""


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), index=True)
    user_id: Mapped[str] = mapped_column(String(120), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


def enqueue(session: Session, channel: str, user_id: str, text: str) -> OutboxMessage:
    message = OutboxMessage(channel=channel, user_id=user_id, text=text)
    session.add(message)
    session.flush()
    return message


def take_pending(session: Session, channel: str, user_id: str) -> list[str]:
    """Undelivered outbox texts for one resident, marked delivered."""
    rows = session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.user_id == user_id,
            OutboxMessage.delivered_at.is_(None),
        )
        .order_by(OutboxMessage.id)
    ).all()
    now = utcnow()
    for row in rows:
        row.delivered_at = now
    return [row.text for row in rows]


def undelivered(session: Session, channel: str, limit: int = 100) -> list[OutboxMessage]:
    """The oldest undelivered messages of a pushing channel (Telegram, Zalo)."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.channel == channel, OutboxMessage.delivered_at.is_(None))
            .order_by(OutboxMessage.id)
            .limit(limit)
        ).all()
    )


def mark_delivered(session: Session, message_id: int) -> None:
    session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id).values(delivered_at=utcnow())
    )


def _pending(channel: str) -> list[tuple[int, str, str]]:
    with session_scope() as session:
        return [(m.id, m.user_id, m.text) for m in undelivered(session, channel)]


def _done(message_id: int) -> None:
    with session_scope() as session:
        mark_delivered(session, message_id)


async def _try(send: Sender, channel: str, user_id: str, text: str) -> bool:
    """Send once; True when the message is settled (delivered, or never deliverable)."""
    try:
        await send(user_id, text)
    except PermanentFailure as exc:
        logger.warning("message to %s:%s not deliverable: %s", channel, user_id, exc)
    except Exception as exc:
        logger.warning("message to %s:%s failed, will retry: %s", channel, user_id, exc)
        return False
    return True


async def push_once(senders: dict[str, Sender]) -> int:
    """Push what is waiting for the pushing channels; return how many were settled."""
    pushed = 0
    for channel, send in senders.items():
        for message_id, user_id, text in await run_in_threadpool(_pending, channel):
            if await _try(send, channel, user_id, text):
                await run_in_threadpool(_done, message_id)
                pushed += 1
    return pushed


def _store(channel: str, user_id: str, text: str) -> int:
    with session_scope() as session:
        return enqueue(session, channel, user_id, text).id


async def deliver(senders: dict[str, Sender], channel: str, user_id: str, text: str) -> None:
    """Store, then push at once when the channel pushes; a failure stays queued for
    ``push_once``, and the web chat collects it when it polls."""
    message_id = await run_in_threadpool(_store, channel, user_id, text)
    send = senders.get(channel)
    if send is not None and await _try(send, channel, user_id, text):
        await run_in_threadpool(_done, message_id)
