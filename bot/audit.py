"""The audit log: who did what, with personal data masked."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.db.base import Base, utcnow
from bot.privacy import mask_pii


class AuditEvent(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120))  # "telegram:123", "console:lan", "system"
    action: Mapped[str] = mapped_column(String(60), index=True)
    subject: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


def record(session: Session, actor: str, action: str, subject: str = "", detail: str = "") -> None:
    """Add an audit event to ``session`` (committed with the caller's transaction)."""
    session.add(
        AuditEvent(
            actor=mask_pii(actor),
            action=action,
            subject=mask_pii(subject),
            detail=mask_pii(detail),
        )
    )
