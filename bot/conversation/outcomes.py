"""What became of each resident message: one row per answered message, for the leaders'
figures (console dashboard).

The action that answers says what it did by adding a marker to its reply
(``outcome_marker``: answered from article X, unsure, not covered, refused…); the
dispatcher takes the marker out of the messages, and the inbox writes the row in the same
transaction that marks the message done, after the reply was handed over: the reply never
waits for it. The row holds no text and no id of the resident, only a one-way digest to
count distinct residents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, utcnow

MARKER = "outcome"
ANSWERED = "answered"
UNSURE = "unsure"
NOT_COVERED = "not_covered"
OFF_TOPIC = "off_topic"
IMPROPER = "improper"
STATUS = "status"
HANDOFF = "handoff"
TEAM = "team"  # a handed-off resident's message, read by a person
OTHER = "other"  # greetings, thanks, buttons, small talk
KINDS = {
    ANSWERED: "Trả lời từ bài viết",
    UNSURE: "Chưa chắc",
    NOT_COVERED: "Chưa có hướng dẫn",
    OFF_TOPIC: "Ngoài phạm vi",
    IMPROPER: "Từ chối yêu cầu không đúng",
    STATUS: "Tra cứu hồ sơ",
    HANDOFF: "Chuyển cho tổ hỗ trợ",
    TEAM: "Tổ hỗ trợ đang trả lời",
    OTHER: "Chào hỏi, cảm ơn, khác",
}


def outcome_marker(
    kind: str,
    article: str | None = None,
    topic: str | None = None,
    confidence: float | None = None,
) -> dict[str, Any]:
    """The ``json_message`` an action adds to its reply to say what it did."""
    return {MARKER: {"kind": kind, "article": article, "topic": topic, "confidence": confidence}}


@dataclass(frozen=True)
class Verdict:
    kind: str
    article: str | None = None
    topic: str | None = None
    confidence: float | None = None
    ward: str = ""

    @classmethod
    def from_marker(cls, data: object) -> Verdict | None:
        if not isinstance(data, dict) or data.get("kind") not in KINDS:
            return None
        confidence = data.get("confidence")

        def text(key: str) -> str | None:
            value = data.get(key)
            return str(value)[:80] if value else None

        return cls(
            kind=str(data["kind"]),
            article=text("article"),
            topic=text("topic"),
            confidence=float(confidence) if isinstance(confidence, int | float) else None,
        )


class MessageOutcome(Base):
    __tablename__ = "message_outcomes"
    # Covering: the dashboard's counts by day, ward, channel, kind, topic and its distinct
    # residents are read from the index alone (1 million rows: see bench_dashboard.py).
    __table_args__ = (
        Index("ix_message_outcomes_figures", "day", "ward", "kind", "channel", "topic", "resident"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    day: Mapped[date] = mapped_column(Date)  # Vietnam's date: the charts group by it
    channel: Mapped[str] = mapped_column(String(20))
    ward: Mapped[str] = mapped_column(String(80), default="")
    resident: Mapped[str] = mapped_column(String(16))  # privacy.resident_key
    kind: Mapped[str] = mapped_column(String(20))
    article_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    topic: Mapped[str | None] = mapped_column(String(80), nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
