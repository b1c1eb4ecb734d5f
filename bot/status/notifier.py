"""Tell subscribed residents when their application's status changes, once per change.

``collect`` turns new status changes into outbox messages and advances each
subscription's cursor in the same transaction, so a change is announced exactly once even
if the gateway restarts. Channels deliver the outbox: the web chat polls it; Telegram and
Zalo push it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.db.base import Base, utcnow
from bot.status.explain import status_message
from bot.status.models import Application, StatusChange, Subscription
from bot.status.providers import ApplicationStatus


class OutboxMessage(Base):
    """A message the assistant sends on its own (not as a reply), until delivered."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), index=True)
    user_id: Mapped[str] = mapped_column(String(120), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


def subscribe(session: Session, lookup_key: str, channel: str, user_id: str) -> bool:
    """Subscribe from now on; False when that resident already follows this application."""
    existing = session.scalar(
        select(Subscription).where(
            Subscription.lookup_key == lookup_key,
            Subscription.channel == channel,
            Subscription.user_id == user_id,
            Subscription.active.is_(True),
        )
    )
    if existing is not None:
        return False
    latest = session.scalar(
        select(StatusChange.id)
        .join(Application, Application.id == StatusChange.application_id)
        .where(Application.lookup_key == lookup_key)
        .order_by(StatusChange.id.desc())
        .limit(1)
    )
    session.add(
        Subscription(
            lookup_key=lookup_key, channel=channel, user_id=user_id, last_change_id=latest or 0
        )
    )
    return True


def unsubscribe(session: Session, channel: str, user_id: str) -> int:
    result = session.execute(
        update(Subscription)
        .where(
            Subscription.channel == channel,
            Subscription.user_id == user_id,
            Subscription.active.is_(True),
        )
        .values(active=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def collect(session: Session) -> int:
    """Queue one message per (subscription, new status change); return how many."""
    queued = 0
    subscriptions = session.scalars(
        select(Subscription).where(Subscription.active.is_(True)).with_for_update()
    ).all()
    for sub in subscriptions:
        rows = session.execute(
            select(StatusChange, Application)
            .join(Application, Application.id == StatusChange.application_id)
            .where(Application.lookup_key == sub.lookup_key, StatusChange.id > sub.last_change_id)
            .order_by(StatusChange.id)
        ).all()
        if not rows:
            continue
        change, app = rows[-1]  # several changes since the last look: announce the latest
        status = ApplicationStatus(
            app.code,
            app.procedure,
            change.new_status,
            app.received_at,
            app.due_at,
            app.office,
            app.note,
        )
        session.add(
            OutboxMessage(
                channel=sub.channel,
                user_id=sub.user_id,
                text="Cập nhật hồ sơ bạn đang theo dõi:\n"
                + status_message(status)
                + '\n(Nhắn "hủy theo dõi" nếu bạn không muốn nhận tin nữa.)',
            )
        )
        sub.last_change_id = change.id
        queued += 1
    return queued


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
