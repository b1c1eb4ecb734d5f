"""The editors' inbox of what residents asked that went wrong: where each question comes
from, and what an editor decided about it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversation.dispatcher import sender_id
from bot.db.base import utcnow
from bot.handoff.models import Ticket
from bot.knowledge.grouping import Miss
from bot.knowledge.models import Feedback, QuestionMark, UnansweredQuestion
from bot.privacy import mask_pii, resident_key

# What the inbox lists from kb_unanswered: off-topic messages (cooking, football) are
# rightly refused and are not the editors' work.
UNANSWERED = ("unsure", "not_covered", "refused")
MARKS = {
    "attached": "Đã thêm vào bài",
    "out_of_scope": "Ngoài phạm vi",
    "dismissed": "Bỏ qua",
}
LIMIT = 5000  # of each source, newest first


def collect(session: Session, days: int) -> list[Miss]:
    since = utcnow() - timedelta(days=days)
    misses = [
        Miss(
            row.question,
            row.outcome,
            row.channel,
            row.resident,
            row.at,
            _first(row.candidates),
            row.folded,  # folded when recorded: folding thousands again is slow
        )
        for row in session.scalars(
            select(UnansweredQuestion)
            .where(UnansweredQuestion.at >= since, UnansweredQuestion.outcome.in_(UNANSWERED))
            .order_by(UnansweredQuestion.at.desc())
            .limit(LIMIT)
        )
    ]
    misses += [
        Miss(row.question, "unhelpful", row.channel, row.resident, row.at, row.article_id)
        for row in session.scalars(
            select(Feedback)
            .where(Feedback.at >= since, Feedback.helpful.is_(False), Feedback.question != "")
            .order_by(Feedback.at.desc())
            .limit(LIMIT)
        )
    ]
    misses += [
        Miss(
            mask_pii(row.question),
            "handoff",
            row.channel,
            resident_key(sender_id(row.channel, row.user_id)),
            row.created_at,
        )
        for row in session.scalars(
            select(Ticket)
            .where(Ticket.created_at >= since, Ticket.reason == "kb_unsure", Ticket.question != "")
            .order_by(Ticket.created_at.desc())
            .limit(LIMIT)
        )
    ]
    marked = set(session.scalars(select(QuestionMark.folded)))
    return [m for m in misses if m.key not in marked]


def _first(candidates: str) -> str | None:
    return candidates.split(",")[0] or None if candidates else None


def mark(
    session: Session,
    keys: list[str],
    questions: list[str],
    kind: str,
    by: str,
    article_id: str | None = None,
) -> None:
    """Record an editor's decision on every wording of a group (a wording decided again
    takes the newer decision)."""
    for key, question in zip(keys, questions, strict=True):
        key = key[:500]
        row = session.get(QuestionMark, key)
        if row is None:
            row = QuestionMark(folded=key)
            session.add(row)
        row.mark, row.question, row.article_id, row.by, row.at = (
            kind,
            question[:2000],
            article_id,
            by,
            utcnow(),
        )
