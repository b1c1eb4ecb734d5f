"""``kb report``: what residents asked that went wrong, and feedback per article — the
terminal's view of the console's "Câu hỏi cần xem" (which also groups by meaning and lets
an editor act on each group).

Counted by distinct residents (a script repeating one text is one resident); off-topic
messages are left out (rightly refused); questions the current index now answers
confidently are counted apart, not listed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import case, func, select

from bot.db import session_scope
from bot.knowledge.models import Feedback, UnansweredQuestion
from bot.knowledge.responder import REFUSED, Responder

LABELS = {"unsure": "chưa chắc", "not_covered": "chưa có bài", REFUSED: "bị từ chối nhầm"}


def print_report(responder: Responder | None, days: int = 30, limit: int = 30) -> None:
    since = datetime.now(UTC) - timedelta(days=days)
    residents = func.count(func.distinct(UnansweredQuestion.resident))
    with session_scope() as session:
        unanswered = session.execute(
            select(
                residents,
                func.count(),
                func.min(UnansweredQuestion.question),
                func.max(UnansweredQuestion.candidates),
                func.max(UnansweredQuestion.outcome),
            )
            .where(UnansweredQuestion.at >= since, UnansweredQuestion.outcome.in_(LABELS))
            .group_by(UnansweredQuestion.folded)
            .order_by(residents.desc(), func.count().desc())
            .limit(limit * 4)
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
    listed, solved = 0, 0
    print(f"Câu hỏi chưa được trả lời tốt ({days} ngày qua), nhiều người hỏi nhất trước:")
    for people, times, question, candidates, outcome in unanswered:
        if responder is not None and responder.decide(question).confident:
            solved += 1  # an edit since then answers it
            continue
        if listed == limit:
            break
        listed += 1
        print(f"  {people:4} người, {times:4} lần  [{LABELS.get(outcome, outcome)}] {question}")
        print(f"         bài gần nhất: {candidates or '-'}")
    if not listed:
        print("  (không có)")
    if solved:
        print(f"  ({solved} câu khác nay đã được trả lời nhờ các bài đã sửa: không liệt kê)")
    print(f"\nÝ kiến về từng bài ({days} ngày qua): hữu ích / chưa hữu ích")
    if not feedback:
        print("  (chưa có)")
    for article_id, good, bad in feedback:
        print(f"  {article_id:42} {good:4} / {bad:4}")
