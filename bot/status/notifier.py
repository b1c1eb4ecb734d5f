"""Tell subscribed residents when their application's status changes, once per change.

``collect`` turns new status changes into outbox messages and advances each
subscription's cursor in the same transaction, so a change is announced exactly once even
if the gateway restarts. Channels deliver the outbox: the web chat polls it; Telegram and
Zalo push it.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.audit import record
from bot.conversation.outbox import OutboxMessage
from bot.db.base import affected
from bot.status.explain import status_message
from bot.status.models import Application, StatusChange, Subscription
from bot.status.providers import ApplicationStatus

NOTIFIED = "status.notified"  # audit action: one status notification queued


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
    return affected(result)


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
        record(session, "system", NOTIFIED, f"channel:{sub.channel}")  # the figures count these
        queued += 1
    return queued
