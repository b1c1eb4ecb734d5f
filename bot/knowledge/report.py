"""``kb report``: what residents asked that nothing answered, and feedback per article."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import case, func, select

from bot.db import session_scope
from bot.knowledge.models import Feedback, UnansweredQuestion


def print_report(days: int = 30, limit: int = 30) -> None:
    since = datetime.now(UTC) - timedelta(days=days)
    with session_scope() as session:
        unanswered = session.execute(
            select(
                func.count().label("n"),
                func.min(UnansweredQuestion.question),
                func.max(UnansweredQuestion.candidates),
                func.avg(UnansweredQuestion.confidence),
                func.max(UnansweredQuestion.outcome),
            )
            .where(UnansweredQuestion.at >= since)
            .group_by(UnansweredQuestion.folded)
            .order_by(func.count().desc())
            .limit(limit)
        ).all()
        feedback = session.execute(
            select(
                Feedback.article_id,
                func.sum(case((Feedback.helpful, 1), else_=0)),
                func.sum(case((Feedback.helpful, 0), else_=1)),
            )
            .where(Feedback.at >= since)
            .group_by(Feedback.article_id)
            .order_by(func.sum(case((Feedback.helpful, 0), else_=1)).desc())
        ).all()
    labels = {
        "unsure": "chưa chắc",
        "not_covered": "chưa có bài",
        "off_topic": "ngoài phạm vi",
    }
    print(f"Câu hỏi chưa được trả lời ({days} ngày qua), nhiều nhất trước:")
    if not unanswered:
        print("  (không có)")
    for count, question, candidates, confidence, outcome in unanswered:
        print(f"  {count:4}x  [{labels.get(outcome, outcome)}] {question}")
        print(f"         gần nhất: {candidates or '-'} (độ tin cậy {confidence:.2f})")
    print(f"\nÝ kiến về từng bài ({days} ngày qua): hữu ích / chưa hữu ích")
    if not feedback:
        print("  (chưa có)")
    for article_id, good, bad in feedback:
        print(f"  {article_id:42} {good:4} / {bad:4}")
