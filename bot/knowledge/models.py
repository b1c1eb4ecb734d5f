"""The knowledge base's tables: the published articles and every version of them (the
source of truth the index is built from), and what residents told us about answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, Integer, String, Text, UniqueConstraint
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
    resident: Mapped[str] = mapped_column(String(16), default="", server_default="")


class UnansweredQuestion(Base):
    """A question the knowledge base did not answer: unsure (under the threshold), not
    covered by any article, off topic, or refused as out of scope by the NLU although it
    looked like a public-service question (``refused``)."""

    __tablename__ = "kb_unanswered"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(String(20))
    question: Mapped[str] = mapped_column(Text)  # masked
    folded: Mapped[str] = mapped_column(String(500), index=True)  # groups the same question
    confidence: Mapped[float] = mapped_column(Float)
    candidates: Mapped[str] = mapped_column(Text, default="")  # top article ids, comma-separated
    outcome: Mapped[str] = mapped_column(String(20), default="unsure", server_default="unsure")
    resident: Mapped[str] = mapped_column(String(16), default="", server_default="")  # digest


class ArticleRecord(Base):
    """One article: which version is published, the editor's unpublished draft, and a
    revision every save bumps (two editors on one article: the later save is refused)."""

    __tablename__ = "kb_articles"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    published: Mapped[int] = mapped_column(Integer, default=0)  # version number; 0: none yet
    revision: Mapped[int] = mapped_column(Integer, default=1)
    draft: Mapped[str | None] = mapped_column(Text, nullable=True)  # Markdown, unpublished
    draft_by: Mapped[str] = mapped_column(String(200), default="")
    draft_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # SHA-256 of knowledge/articles/<id>.md when it was last imported: a newer file in a
    # release is imported unless an editor has changed the article since.
    file_sha: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ArticleVersion(Base):
    """A published version, kept for ever: its whole Markdown text, who and when."""

    __tablename__ = "kb_article_versions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[str] = mapped_column(String(80), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(String(20))  # file | web | rollback
    note: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class QuestionMark(Base):
    """An editor's decision on a question residents asked that went wrong (the console's
    inbox): attached to an article, out of scope (a negative for the calibration), or
    dismissed. Keyed by the question folded, as ``UnansweredQuestion.folded``."""

    __tablename__ = "kb_question_marks"

    folded: Mapped[str] = mapped_column(String(500), primary_key=True)
    mark: Mapped[str] = mapped_column(String(20))  # attached | out_of_scope | dismissed
    question: Mapped[str] = mapped_column(Text)  # masked, as asked
    article_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    by: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
