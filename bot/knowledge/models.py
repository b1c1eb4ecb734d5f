"""What residents told us about answers, for the editors' report (``kb report``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, utcnow


class Feedback(Base):
    """A helpful / not helpful press after an answer."""

    __tablename__ = "kb_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(String(20))
    article_id: Mapped[str] = mapped_column(String(80), index=True)
    helpful: Mapped[bool] = mapped_column(Boolean)
    question: Mapped[str] = mapped_column(Text, default="")  # masked


class UnansweredQuestion(Base):
    """A question the knowledge base did not answer: unsure (under the threshold), not
    covered by any article, or refused as out of scope although it looked in-domain."""

    __tablename__ = "kb_unanswered"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(String(20))
    question: Mapped[str] = mapped_column(Text)  # masked
    folded: Mapped[str] = mapped_column(String(500), index=True)  # groups the same question
    confidence: Mapped[float] = mapped_column(Float)
    candidates: Mapped[str] = mapped_column(Text, default="")  # top article ids, comma-separated
    outcome: Mapped[str] = mapped_column(String(20), default="unsure", server_default="unsure")
