"""Residents' messages, written down before they are acknowledged.

The guarantee, for every channel: a message the gateway acknowledged (the web chat's HTTP
answer, a webhook's 200) is in ``inbox_messages`` first, keyed by the platform's id so a
retried delivery is stored once; it is marked done only after its replies were handed to
the channel. A message left half done (the gateway killed mid-answer) or answered with the
apology (Rasa or the action server down) is taken up again by ``inbox_loop``, in each
resident's order, and answered when the assistant is back — at least once: a crash between
sending a reply and marking it done can repeat that reply.

The process that accepts a message holds it (a lease, ``claimed_until``) while it answers;
``inbox_loop`` takes only messages whose lease ran out, with a conditional UPDATE that one
worker alone can win (SQLite and PostgreSQL alike).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column
from starlette.concurrency import run_in_threadpool

from bot.conversation.dispatcher import Dispatcher, sender_id
from bot.conversation.messages import OutgoingMessage
from bot.conversation.outcomes import MessageOutcome, Verdict
from bot.db import session_scope
from bot.db.base import Base, as_utc, utcnow
from bot.db.leases import backoff, first_of_resident, take_lease
from bot.privacy import resident_key
from bot.text.dates import VIETNAM
from bot.text.incoming import storable

logger = logging.getLogger(__name__)
# How a channel sends replies to one resident (user id, replies).
Replier = Callable[[str, list[OutgoingMessage]], Awaitable[None]]
# A channel's check before a message is stored (its rate limits), in the same transaction:
# it raises to refuse the message, and what it counted is then rolled back with it.
Admit = Callable[[Session], None]
LEASE = timedelta(seconds=90)  # default of INBOX_LEASE_SECONDS
FIRST_RETRY = timedelta(seconds=10)  # after the apology: 10 s, 20 s… at most 5 minutes
LAST_RETRY = timedelta(minutes=5)
GIVE_UP = timedelta(hours=24)


class InboxMessage(Base):
    __tablename__ = "inbox_messages"
    __table_args__ = (UniqueConstraint("channel", "platform_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), index=True)
    user_id: Mapped[str] = mapped_column(String(120), index=True)
    # The platform's id of the message (Telegram update, Zalo msg_id): a retry is stored once.
    platform_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    meta: Mapped[str] = mapped_column(Text, default="{}")  # JSON: ward code, address…
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True, index=True
    )
    # answered | replayed (answered after a failure) | gave_up
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)


def _open() -> ColumnElement[bool]:
    return InboxMessage.done_at.is_(None)


def _claimable(now: datetime) -> ColumnElement[bool]:
    return and_(
        _open(),
        or_(InboxMessage.claimed_until.is_(None), InboxMessage.claimed_until < now),
        or_(InboxMessage.next_attempt_at.is_(None), InboxMessage.next_attempt_at <= now),
    )


# No earlier open message for the same resident: their order is kept.
_first_of_resident = first_of_resident(InboxMessage, lambda rows: rows.done_at.is_(None))


def store(
    channel: str,
    user_id: str,
    text: str,
    platform_id: str | None,
    meta: dict[str, Any],
    lease: timedelta = LEASE,
    admit: Admit | None = None,
) -> int | None:
    """Write the message down, held by the caller; None when the platform delivered it
    before (same id)."""
    try:
        with session_scope() as session:
            if admit is not None:
                admit(session)
            message = InboxMessage(
                channel=channel,
                user_id=user_id,
                platform_id=storable(platform_id)[:200] if platform_id else None,
                text=storable(text),
                meta=json.dumps(meta, ensure_ascii=False, default=str),
                claimed_until=utcnow() + lease,
            )
            session.add(message)
            session.flush()
            return message.id
    except IntegrityError:
        return None


def claim_due(session: Session, limit: int = 10, lease: timedelta = LEASE) -> list[InboxMessage]:
    """Messages whose lease ran out (or that wait for a retry), one per resident, oldest
    first, each now held by the caller. Few at a time: they are answered one after the
    other, and each lease must outlast the answers before it."""
    now = utcnow()
    ids = session.scalars(
        select(InboxMessage.id)
        .where(_claimable(now), _first_of_resident)
        .order_by(InboxMessage.id)
        .limit(limit)
    ).all()
    taken = [i for i in ids if take_lease(session, InboxMessage, i, _claimable(now), now + lease)]
    rows = session.scalars(select(InboxMessage).where(InboxMessage.id.in_(taken))).all()
    for row in rows:
        session.expunge(row)
    return sorted(rows, key=lambda r: r.id)


def _finish(
    message_id: int, outcome: str, channel: str, user_id: str, verdict: Verdict | None
) -> None:
    """Done: the text and metadata are no longer needed and are not kept (the platform id
    stays, so a late retry of the same message is still recognised). What became of the
    message is recorded for the figures in the same transaction."""
    with session_scope() as session:
        now = utcnow()
        session.execute(
            update(InboxMessage)
            .where(InboxMessage.id == message_id)
            .values(done_at=now, claimed_until=None, outcome=outcome, text="", meta="{}")
        )
        if verdict is not None:
            session.add(
                MessageOutcome(
                    at=now,
                    day=now.astimezone(VIETNAM).date(),
                    channel=channel,
                    ward=verdict.ward,
                    resident=resident_key(sender_id(channel, user_id)),
                    kind=verdict.kind,
                    article_id=verdict.article,
                    topic=verdict.topic,
                    confidence=verdict.confidence,
                )
            )


def _retry_later(message_id: int) -> None:
    """Not answered (the apology went out): try again later, or give up after a day."""
    with session_scope() as session:
        message = session.get(InboxMessage, message_id)
        if message is None:
            return
        now = utcnow()
        message.attempts = (message.attempts or 0) + 1
        message.claimed_until = None
        if now - as_utc(message.received_at) > GIVE_UP:
            message.done_at, message.outcome = now, "gave_up"
            return
        message.next_attempt_at = now + backoff(message.attempts, FIRST_RETRY, LAST_RETRY)


def _claim_due(lease: timedelta) -> list[InboxMessage]:
    with session_scope() as session:
        return claim_due(session, lease=lease)


def replay_note(text: str, received_at: datetime) -> OutgoingMessage:
    """What a reply that comes late says first: which message it answers (Vietnam time;
    SQLite hands back naive UTC datetimes)."""
    local = as_utc(received_at).astimezone(VIETNAM)
    quoted = text if len(text) <= 80 else text[:79] + "…"
    return OutgoingMessage(text=f'Trả lời tin nhắn của bạn lúc {local:%H:%M}: "{quoted}"')


class Inbox:
    """Accept a resident's message (stored first), answer it, mark it done."""

    def __init__(self, dispatcher: Dispatcher, lease: timedelta = LEASE) -> None:
        # How long the process that took a message has to answer it before another
        # process may (a crash leaves it held): longer than Rasa's timeout.
        self._dispatcher = dispatcher
        self._lease = lease

    async def accept(
        self,
        channel: str,
        user_id: str,
        text: str,
        platform_id: str | None = None,
        meta: dict[str, Any] | None = None,
        admit: Admit | None = None,
    ) -> int | None:
        """Store the message (held by this process); None for a repeat delivery.
        ``admit`` raises to refuse it (see ``Admit``)."""
        return await run_in_threadpool(
            store, channel, user_id, text, platform_id, meta or {}, self._lease, admit
        )

    async def answer(
        self,
        message_id: int,
        channel: str,
        user_id: str,
        text: str,
        reply: Replier,
        meta: dict[str, Any] | None = None,
        late: datetime | None = None,
    ) -> list[OutgoingMessage]:
        """Answer a message this process holds; done once the replies were handed over.
        ``late``: when it was received, for a message answered after a failure."""
        handled = await self._dispatcher.handle(channel, user_id, text, meta)
        messages = handled.messages
        if late is not None:
            if not handled.answered:  # still down: stay quiet, try again later
                await run_in_threadpool(_retry_later, message_id)
                return []
            messages = [replay_note(text, late), *messages]
        await reply(user_id, messages)
        if handled.answered:
            await run_in_threadpool(
                _finish,
                message_id,
                "replayed" if late else "answered",
                channel,
                user_id,
                handled.verdict,
            )
        else:
            await run_in_threadpool(_retry_later, message_id)
        return messages

    async def recover_once(self, repliers: dict[str, Replier]) -> int:
        """Answer what a crash or an outage left open; returns how many were tried."""
        due = await run_in_threadpool(_claim_due, self._lease)
        for message in due:
            reply = repliers.get(message.channel)
            if reply is None:  # the channel is not configured any more
                await run_in_threadpool(
                    _finish, message.id, "gave_up", message.channel, message.user_id, None
                )
                continue
            try:
                meta = json.loads(message.meta or "{}")
                late = message.received_at
                await self.answer(
                    message.id, message.channel, message.user_id, message.text, reply, meta, late
                )
            except Exception:
                logger.exception("could not answer inbox message %s", message.id)
        return len(due)


async def inbox_loop(inbox: Inbox, repliers: dict[str, Replier], interval: float) -> None:
    """Every ``interval`` seconds, answer what was left open (see the module doc)."""
    while True:
        try:
            await inbox.recover_once(repliers)
        except Exception:  # the database hiccuped: next round
            logger.exception("inbox recovery failed")
        await asyncio.sleep(interval)
