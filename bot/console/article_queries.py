"""What the editors' pages show: the article list with its figures, one article's usage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.conversation.outcomes import ANSWERED, MessageOutcome
from bot.db.base import utcnow
from bot.knowledge import store
from bot.knowledge.articles import ArticleError, parse_text
from bot.knowledge.models import ArticleRecord, ArticleVersion, Feedback
from bot.text import fold
from bot.text.dates import vietnam_today

FILTERS = {
    "": "Tất cả",
    "cu": "Lâu chưa rà soát",
    "chua-huu-ich": "Bị chê nhiều nhất",
    "hoi-nhieu": "Được hỏi nhiều nhất",
    "nhap": "Có bản nháp chưa xuất bản",
}
WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class ArticleRow:
    id: str
    title: str
    tags: list[str]
    owner: str
    last_reviewed: date | None
    stale: bool
    helpful: int  # presses in the last 30 days
    unhelpful: int
    answered: int  # questions it answered in the last 30 days
    has_draft: bool
    published: int
    broken: str  # why the published text cannot be read ("" when it can)


def today_iso() -> str:
    return vietnam_today().isoformat()


def record(session: Session, article_id: str) -> ArticleRecord | None:
    return session.get(ArticleRecord, article_id) if article_id else None


def published_text(session: Session, row: ArticleRecord) -> str:
    text = session.scalar(
        select(ArticleVersion.text).where(
            ArticleVersion.article_id == row.id, ArticleVersion.number == row.published
        )
    )
    return text or ""


def feedback_counts(session: Session, article_id: str | None = None) -> dict[str, tuple[int, int]]:
    query = select(
        Feedback.article_id,
        func.sum(case((Feedback.helpful, 1), else_=0)),
        func.sum(case((Feedback.helpful, 0), else_=1)),
    ).where(Feedback.at >= utcnow() - WINDOW)
    if article_id is not None:
        query = query.where(Feedback.article_id == article_id)
    return {
        aid: (int(good or 0), int(bad or 0))
        for aid, good, bad in session.execute(query.group_by(Feedback.article_id))
    }


def answered_counts(session: Session) -> dict[str, int]:
    """Questions each article answered in the last 30 days (message_outcomes)."""
    since = vietnam_today() - WINDOW
    return {
        str(article): count
        for article, count in session.execute(
            select(MessageOutcome.article_id, func.count())
            .where(
                MessageOutcome.day >= since,
                MessageOutcome.kind == ANSWERED,
                MessageOutcome.article_id.is_not(None),
            )
            .group_by(MessageOutcome.article_id)
        )
    }


def article_rows(session: Session, stale_after_days: int) -> list[ArticleRow]:
    texts = store.published_texts(session)
    answered = answered_counts(session)
    drafts = {r.id: r for r in session.scalars(select(ArticleRecord))}
    counts = feedback_counts(session)
    today = vietnam_today()
    rows: list[ArticleRow] = []
    for article_id, row in sorted(drafts.items()):
        good, bad = counts.get(article_id, (0, 0))
        try:
            article = parse_text(
                texts.get(article_id, row.draft or ""), store.article_path(article_id)
            )
        except ArticleError as exc:
            rows.append(
                ArticleRow(
                    article_id,
                    article_id,
                    [],
                    "",
                    None,
                    False,
                    good,
                    bad,
                    answered.get(article_id, 0),
                    row.draft is not None,
                    row.published,
                    exc.message,
                )
            )
            continue
        reviewed = article.meta.last_reviewed
        rows.append(
            ArticleRow(
                id=article_id,
                title=article.title,
                tags=article.meta.tags,
                owner=article.meta.owner,
                last_reviewed=reviewed,
                stale=(today - reviewed).days > stale_after_days,
                helpful=good,
                unhelpful=bad,
                answered=answered.get(article_id, 0),
                has_draft=row.draft is not None,
                published=row.published,
                broken="",
            )
        )
    return rows


def filtered(rows: list[ArticleRow], q: str, topic: str, show: str) -> list[ArticleRow]:
    wanted = fold(q).split()
    if wanted:
        rows = [
            r
            for r in rows
            if all(w in fold(f"{r.title} {r.id} {' '.join(r.tags)}") for w in wanted)
        ]
    if topic:
        rows = [r for r in rows if topic in r.tags]
    if show == "cu":
        rows = sorted((r for r in rows if r.stale), key=lambda r: r.last_reviewed or date.min)
    elif show == "chua-huu-ich":
        rows = sorted((r for r in rows if r.unhelpful), key=lambda r: -r.unhelpful)
    elif show == "hoi-nhieu":
        rows = sorted(rows, key=lambda r: -r.answered)
    elif show == "nhap":
        rows = [r for r in rows if r.has_draft]
    return rows


def usage(session: Session, article_id: str) -> tuple[int, int]:
    """Helpful and unhelpful presses on this article in the last 30 days."""
    return feedback_counts(session, article_id).get(article_id, (0, 0))
