"""The editors' inbox: what residents asked that went wrong, grouped by meaning, with a
one-click decision per group (attach to an article, start a new article, out of scope,
dismiss). A group the current index now answers confidently shows as resolved."""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response

from bot.console import article_queries, misses
from bot.console.deps import EditorForm, EditorIn, settings_of, workbench_of
from bot.console.pages import ConsoleProblem, ConsoleRoute, redirect, redirect_with, render
from bot.db import SessionDep
from bot.knowledge import store
from bot.knowledge.articles import ArticleError, parse_text
from bot.knowledge.draft import from_article, to_markdown
from bot.knowledge.grouping import SOURCES
from bot.text import fold

logger = logging.getLogger(__name__)
router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PERIODS = {7: "7 ngày", 30: "30 ngày", 90: "90 ngày"}
PAGE = "/console/questions"


@router.get(PAGE)
def questions_page(
    request: Request,
    staff: EditorIn,
    session: SessionDep,
    days: Annotated[int, Query(alias="ngay")] = 30,
) -> Response:
    days = days if days in PERIODS else 30
    groups = workbench_of(request).groups(misses.collect(session, days))
    rows = article_queries.article_rows(session, settings_of(request).kb_stale_after_days)
    titles = {r.id: r.title for r in rows if not r.broken}
    return render(
        request,
        "questions.html",
        {
            "staff": staff,
            "open": [g for g in groups if g.answered_by is None],
            "resolved": [g for g in groups if g.answered_by is not None],
            "titles": titles,
            "sources": SOURCES,
            "days": days,
            "periods": PERIODS,
        },
    )


def _lines(value: str) -> list[str]:
    return [line for line in value.split("\n") if line.strip()][:200]


@router.post(f"{PAGE}/decide")
def decide(request: Request, posted: EditorForm, session: SessionDep) -> Response:
    questions = [q.strip() for q in _lines(posted.text("questions"))]
    if not questions:
        raise ConsoleProblem(400, "Không rõ nhóm câu hỏi nào: tải lại trang rồi thử lại.")
    keys = [fold(q) for q in questions]
    action, who = posted.text("action"), posted.staff.name
    back = f"{PAGE}?ngay={posted.text('days') or 30}"
    if action == "new":
        return redirect("/console/articles/moi?cau-hoi=" + quote("\n".join(questions[:10])))
    if action in {"out_of_scope", "dismissed"}:
        misses.mark(session, keys, questions, action, who)
        session.commit()
        done = f"Đã ghi nhận “{misses.MARKS[action]}” cho {len(questions)} câu."
        return redirect_with(request, back, done)
    if action != "attach":
        raise ConsoleProblem(400, "Không rõ bạn muốn làm gì: bấm một trong các nút của nhóm.")
    article_id = posted.text("article").strip()
    record = article_queries.record(session, article_id)
    if record is None:
        raise ConsoleProblem(404, "Không có bài này: chọn lại bài trong danh sách.")
    text = article_queries.published_text(session, record)
    try:
        draft = from_article(parse_text(text, store.article_path(article_id)))
    except ArticleError as exc:
        raise ConsoleProblem(
            422, f"Bài {article_id} đang lỗi, sửa bài trước: {exc.message}"
        ) from exc
    known = {fold(q) for q in draft.questions}
    added = [q for q in questions[:1] if fold(q) not in known]  # the wording asked most
    draft.questions += added
    new_text = to_markdown(draft)
    _, problems = workbench_of(request).with_draft(session, article_id, new_text)
    errors = [p for p in problems if p.level == "error"]
    if errors:
        refused = f"Chưa thêm được vào bài {article_id}: {errors[0].message}"
        return redirect_with(request, back, refused, "error")
    try:
        store.publish(
            session, article_id, new_text, record.revision, who, "thêm câu hỏi của người dân"
        )
    except store.EditConflict as exc:
        session.rollback()
        return redirect_with(request, back, str(exc), "error")
    misses.mark(session, keys, questions, "attached", who, article_id)
    session.commit()
    try:
        workbench_of(request).publish_index()
    except Exception:  # NotPublishable or a failure of the build itself
        logger.exception("index build after attaching a question failed")
        failed = (
            f"Đã thêm câu hỏi vào bài {article_id} nhưng chỉ mục chưa xây lại được: mở bài "
            "và bấm Xuất bản lần nữa, hoặc báo quản trị viên."
        )
        return redirect_with(request, back, failed, "error")
    answered_by, confidence = workbench_of(request).answers(questions[0])
    if answered_by == article_id:
        message = (
            f"Đã thêm “{questions[0]}” vào bài {article_id} và xuất bản. Trợ lý giờ trả lời câu "
            f"này bằng bài đó (độ tin cậy {confidence:.2f})."
        )
        return redirect_with(request, back, message)
    message = (
        f"Đã thêm “{questions[0]}” vào bài {article_id} và xuất bản, nhưng trợ lý vẫn chưa "
        "chắc khi trả lời câu này: mở bài, thêm vài cách hỏi tương tự rồi thử lại."
    )
    return redirect_with(request, back, message, "error")
