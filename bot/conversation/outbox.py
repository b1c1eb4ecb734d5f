"""Messages the assistant sends on its own, not as a reply: status updates, and what a
team member writes to a handed-off resident.

The guarantee: every message is stored before anything is tried, and it is sent until the
platform accepts it or refuses it for good — at least once, and in practice once:

- **One sender per message.** A worker *claims* a message (a lease, ``claimed_until``)
  with a conditional UPDATE that only one worker can win, on SQLite and PostgreSQL alike;
  ``deliver`` (right away) and ``push_once`` (the loop) never send the same row twice. A
  worker that dies mid-send leaves a lease that expires, and the message is sent again.
- **Permanent refusals end the message** (blocked, chat not found, outside the platform's
  window): ``failed_at`` and the reason are kept, it is never retried.
- **Transient failures back off per message** (5 s, 10 s, 20 s… at most an hour; given up
  after a day of tries), so an undeliverable message never blocks the others.
- **Per-resident order:** a resident's later message waits while an earlier one is unsettled.
- **The web chat acknowledges** (``pending``): a message is marked delivered only when the
  page asks for what comes after it, so a poll whose answer is lost is answered again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    String,
    Text,
    and_,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column
from starlette.concurrency import run_in_threadpool

from bot.db import session_scope
from bot.db.base import Base, utcnow
from bot.db.leases import backoff, first_of_resident, take_lease

logger = logging.getLogger(__name__)
# channel -> async send(user_id, text); raises PermanentFailure when retrying is pointless
Sender = Callable[[str, str], Awaitable[None]]
LEASE = timedelta(seconds=60)  # a sender that has not settled by then is presumed dead
FIRST_RETRY = timedelta(seconds=5)
LAST_RETRY = timedelta(hours=1)
MAX_ATTEMPTS = 30  # about a day of hourly tries after the first minutes
BATCH = 100


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
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # None: due at once.
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Set while one worker is sending it (see the module doc).
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Settled without delivery: the platform refused for good, or we gave up.
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    failure: Mapped[str | None] = mapped_column(Text, nullable=True)


def enqueue(session: Session, channel: str, user_id: str, text: str) -> OutboxMessage:
    message = OutboxMessage(channel=channel, user_id=user_id, text=text)
    session.add(message)
    session.flush()
    return message


def _unsettled(rows: Any = OutboxMessage) -> ColumnElement[bool]:
    return and_(rows.delivered_at.is_(None), rows.failed_at.is_(None))


def _claimable(now: datetime) -> ColumnElement[bool]:
    """Unsettled, due, not held by a live lease."""
    return and_(
        _unsettled(),
        or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
    )


def _take_lease(session: Session, message_id: int, now: datetime) -> bool:
    return take_lease(session, OutboxMessage, message_id, _claimable(now), now + LEASE)


# No earlier unsettled message for the same resident: their order is kept.
_first_of_resident = first_of_resident(OutboxMessage, _unsettled)


def claim(session: Session, channel: str, limit: int = BATCH) -> list[tuple[int, str, str]]:
    """Due messages of a pushing channel (Telegram, Zalo), oldest first, one per resident,
    each leased to the caller: (id, user_id, text)."""
    now = utcnow()
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.user_id, OutboxMessage.text)
        .where(OutboxMessage.channel == channel, _claimable(now), _first_of_resident)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    return [(i, u, t) for i, u, t in rows if _take_lease(session, i, now)]


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    permanent: bool = False
    reason: str = ""


DELIVERED = Outcome(delivered=True)


def settle(session: Session, message_id: int, outcome: Outcome) -> None:
    """Record how a send went and release the lease."""
    message = session.get(OutboxMessage, message_id)
    if message is None:
        return
    now = utcnow()
    message.claimed_until = None
    if outcome.delivered:
        message.delivered_at = now
        return
    message.attempts = (message.attempts or 0) + 1
    if outcome.permanent or message.attempts >= MAX_ATTEMPTS:
        message.failed_at = now
        given_up = "" if outcome.permanent else f" (given up after {message.attempts} tries)"
        message.failure = (outcome.reason + given_up)[:1000]
        return
    message.next_attempt_at = now + backoff(message.attempts, FIRST_RETRY, LAST_RETRY)
    message.failure = outcome.reason[:1000]


def pending(
    session: Session, channel: str, user_id: str, acknowledged: int | None
) -> list[tuple[int, str]]:
    """The web chat's poll: what is waiting for one resident after ``acknowledged`` (the
    last id the page showed), oldest first; everything up to it is marked delivered. With
    no acknowledgement (an old page), what is returned is marked delivered at once."""
    mine = and_(OutboxMessage.channel == channel, OutboxMessage.user_id == user_id, _unsettled())
    now = utcnow()
    if acknowledged is not None:
        session.execute(
            update(OutboxMessage)
            .where(mine, OutboxMessage.id <= acknowledged)
            .values(delivered_at=now)
            .execution_options(synchronize_session=False)
        )
    query = select(OutboxMessage.id, OutboxMessage.text).where(mine)
    if acknowledged is not None:
        query = query.where(OutboxMessage.id > acknowledged)
    rows = [(i, t) for i, t in session.execute(query.order_by(OutboxMessage.id)).all()]
    if acknowledged is None and rows:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([i for i, _ in rows]))
            .values(delivered_at=now)
            .execution_options(synchronize_session=False)
        )
    return rows


async def _send(send: Sender, channel: str, user_id: str, text: str) -> Outcome:
    try:
        await send(user_id, text)
    except PermanentFailure as exc:
        logger.warning("message to %s:%s not deliverable: %s", channel, user_id, exc)
        return Outcome(False, permanent=True, reason=str(exc))
    except Exception as exc:
        logger.warning("message to %s:%s failed, will retry: %s", channel, user_id, exc)
        return Outcome(False, reason=f"{type(exc).__name__}: {exc}")
    return DELIVERED


def _claim(channel: str) -> list[tuple[int, str, str]]:
    with session_scope() as session:
        return claim(session, channel)


def _settle(message_id: int, outcome: Outcome) -> None:
    with session_scope() as session:
        settle(session, message_id, outcome)


async def push_once(senders: dict[str, Sender]) -> int:
    """Send what is due on the pushing channels; return how many were delivered."""
    delivered = 0
    for channel, send in senders.items():
        for message_id, user_id, text in await run_in_threadpool(_claim, channel):
            outcome = await _send(send, channel, user_id, text)
            await run_in_threadpool(_settle, message_id, outcome)
            delivered += outcome.delivered
    return delivered


def _store(channel: str, user_id: str, text: str, push: bool) -> tuple[int, bool]:
    """Store the message; lease it to the caller when it can go at once (a pushing
    channel, nothing earlier still waiting for this resident)."""
    with session_scope() as session:
        message = enqueue(session, channel, user_id, text)
        leased = push and _take_lease_if_first(session, message)
        return message.id, leased


def _take_lease_if_first(session: Session, message: OutboxMessage) -> bool:
    first = session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.id == message.id, _first_of_resident)
    )
    return first is not None and _take_lease(session, message.id, utcnow())


async def deliver(senders: dict[str, Sender], channel: str, user_id: str, text: str) -> None:
    """Store, then send at once when the channel pushes and nothing earlier is waiting for
    this resident; otherwise ``push_once`` sends it in order, and the web chat collects it
    when it polls."""
    send = senders.get(channel)
    message_id, leased = await run_in_threadpool(_store, channel, user_id, text, send is not None)
    if send is not None and leased:
        outcome = await _send(send, channel, user_id, text)
        await run_in_threadpool(_settle, message_id, outcome)
