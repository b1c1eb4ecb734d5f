"""The ward office's application registry, status changes, subscriptions, look-ups."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, utcnow


class Application(Base):
    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(80))
    lookup_key: Mapped[str] = mapped_column(String(80), unique=True, index=True)
    procedure: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(120))
    received_at: Mapped[date] = mapped_column(Date)
    due_at: Mapped[date | None] = mapped_column(Date, nullable=True)
    office: Mapped[str] = mapped_column(String(300), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StatusChange(Base):
    __tablename__ = "application_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    old_status: Mapped[str] = mapped_column(String(120), default="")
    new_status: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class Subscription(Base):
    """A resident who asked to be told when an application's status changes."""

    __tablename__ = "status_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lookup_key: Mapped[str] = mapped_column(String(80), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The last status change already announced: each change is sent once.
    last_change_id: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StatusLookup(Base):
    """One look-up by one resident: the per-resident rate limit counts these."""

    __tablename__ = "status_lookups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender: Mapped[str] = mapped_column(String(120), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
