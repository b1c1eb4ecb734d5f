"""Process each platform event once: Telegram retries a webhook, Zalo re-sends an event it
thinks we missed. The first delivery inserts its id; a repeat hits the unique key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import session_scope
from bot.db.base import Base, utcnow


class ChannelEvent(Base):
    __tablename__ = "channel_events"
    __table_args__ = (UniqueConstraint("channel", "event_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


def first_time(channel: str, event_id: str) -> bool:
    """True the first time (channel, event_id) is seen, False for every repeat."""
    try:
        with session_scope() as session:
            session.add(ChannelEvent(channel=channel, event_id=event_id[:200]))
        return True
    except IntegrityError:
        return False
