"""Editors keep the knowledge articles in the browser: list, edit form, checks on the field
at fault, preview as residents see it, "Thử câu hỏi", publish, versions and rollback.

One form posts with the button pressed: ``xem`` (check, preview and try the question),
``luu`` (keep an unpublished draft) or ``xuat-ban`` (publish: the index is rebuilt and
switched before the page returns, so the next resident question gets the new answer).
Every write carries the revision the editor opened: a concurrent change is refused.
"""

from __future__ import annotations

import difflib
import logging
from contextlib import suppress
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from bot.console import article_queries
from bot.console.deps import EditorForm, EditorIn, Posted, Staff, settings_of, workbench_of
from bot.console.pages import ConsoleProblem, ConsoleRoute, redirect_with, render
from bot.db import SessionDep
from bot.knowledge import store
from bot.knowledge.answer import article_messages
from bot.knowledge.articles import ArticleError, parse_text
from bot.knowledge.draft import ArticleDraft, from_article, lines_of, to_markdown
from bot.knowledge.index import article_record
from bot.knowledge.lint import Problem
from bot.knowledge.publishing import NotPublishable
from bot.knowledge.workbench import Trial

logger = logging.getLogger(__name__)
router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
MAX_SOURCES = 12
NEW = "moi"  # /console/articles/moi: a new article


@router.get("/console/articles")
def article_list(
    request: Request,
    staff: EditorIn,
    session: SessionDep,
    q: str = "",
    topic: Annotated[str, Query(alias="chu-de")] = "",
    show: Annotated[str, Query(alias="loc")] = "",
) -> Response:
    settings = settings_of(request)
    rows = article_queries.article_rows(session, settings.kb_stale_after_days)
    topics = sorted({t for row in rows for t in row.tags})
    shown = article_queries.filtered(rows, q, topic, show)
    return render(
        request,
        "articles.html",
        {
            "staff": staff,
            "rows": shown,
            "total": len(rows),
            "topics": topics,
            "q": q,
            "topic": topic,
            "show": show,
            "filters": article_queries.FILTERS,
        },
    )


def _draft_from_fields(fields: dict[str, str], article_id: str) -> ArticleDraft:
    sources = []
    for i in range(MAX_SOURCES):
        title = fields.get(f"source_title_{i}", "").strip()
        url = fields.get(f"source_url_{i}", "").strip()
        if title or url:
            sources.append((title, url))
    return ArticleDraft(
        id=article_id,
        title=fields.get("title", "").strip(),
        questions=[q.strip() for q in lines_of(fields.get("questions", ""))],
        tags=[t.strip() for t in fields.get("tags", "").replace(";", ",").split(",") if t.strip()],
        short_answer=fields.get("short_answer", "").strip(),
        steps=fields.get("steps", ""),
        other_sections=fields.get("other_sections", ""),
        if_fails=fields.get("if_fails", ""),
        sources=sources,
        related=[
            r.strip() for r in fields.get("related", "").replace(";", ",").split(",") if r.strip()
        ],
        owner=fields.get("owner", "").strip(),
        last_reviewed=fields.get("last_reviewed", "").strip(),
    )


def _by_field(problems: list[Problem]) -> dict[str, list[Problem]]:
    grouped: dict[str, list[Problem]] = {}
    for problem in problems:
        grouped.setdefault(problem.field or "general", []).append(problem)
    return grouped


def _editor(
    request: Request,
    staff: Staff,
    session: SessionDep,
    article_id: str,
    draft: ArticleDraft,
    revision: int,
    *,
    problems: list[Problem] | None = None,
    trial: Trial | None = None,
    question: str = "",
    error: str | None = None,
    status: int = 200,
) -> Response:
    text = to_markdown(draft)
    preview: list[dict[str, Any]] = []
    with suppress(ArticleError):  # the problems say why; nothing to preview yet
        preview = list(
            article_messages(article_record(parse_text(text, store.article_path(article_id))))
        )
    record = article_queries.record(session, article_id)
    return render(
        request,
        "article.html",
        {
            "staff": staff,
            "article_id": article_id,
            "is_new": record is None,
            "record": record,
            "d": draft,
            "sources": draft.sources + [("", "")] * 2,
            "revision": revision,
            "problems": _by_field(problems or []),
            "problem_count": len(problems or []),
            "preview": preview,
            "trial": trial,
            "question": question,
            "error": error,
            "versions": store.versions(session, article_id) if record else [],
            "usage": article_queries.usage(session, article_id),
        },
        status,
    )


@router.get("/console/articles/{article_id}")
def article_page(
    request: Request,
    staff: EditorIn,
    session: SessionDep,
    article_id: str,
    asked: Annotated[str, Query(alias="cau-hoi", max_length=5000)] = "",
) -> Response:
    if article_id == NEW:  # from the inbox: the residents' wordings as its first questions
        today = article_queries.today_iso()
        draft = ArticleDraft(
            id="", owner=staff.team_name, last_reviewed=today, questions=lines_of(asked)[:10]
        )
        return _editor(request, staff, session, "", draft, 0)
    record = article_queries.record(session, article_id)
    if record is None:
        raise ConsoleProblem(404, "Không có bài này. Có thể mã bài đã đổi: quay lại danh sách.")
    text = (
        record.draft
        if record.draft is not None
        else article_queries.published_text(session, record)
    )
    try:
        draft = from_article(parse_text(text, store.article_path(article_id)))
    except ArticleError as exc:
        # A file imported with an error: show the editor what is wrong with it.
        return render(
            request,
            "problem.html",
            {
                "staff": staff,
                "message": f"Bài này đang lỗi, chưa mở được trong biểu mẫu: {exc.message}",
            },
            422,
        )
    return _editor(request, staff, session, article_id, draft, record.revision)


def _posted_id(posted: Posted, article_id: str) -> str:
    return posted.text("id").strip() if article_id == NEW else article_id


@router.post("/console/articles/{article_id}")
def article_post(
    request: Request, posted: EditorForm, session: SessionDep, article_id: str
) -> Response:
    staff = posted.staff
    real_id = _posted_id(posted, article_id)
    action = posted.text("action")
    question = posted.text("question").strip()[:500]
    draft = _draft_from_fields(posted.fields, real_id)
    try:
        revision = int(posted.text("revision") or "0")
    except ValueError:
        revision = -1

    def again(**shown: Any) -> Response:
        """The form once more, with what the editor typed."""
        return _editor(request, staff, session, real_id, draft, revision, **shown)

    if article_id == NEW and not real_id:
        missing = "cần mã bài, ví dụ vneid-doi-so-dien-thoai"
        return again(
            problems=[Problem(store.article_path("bai-moi"), 1, "error", missing, "id")],
            status=422,
        )
    text = to_markdown(draft)
    workbench = workbench_of(request)
    if action == "xem":
        problems, trial = workbench.check_and_try(session, real_id, text, question)
        return again(problems=problems, trial=trial, question=question)
    who = staff.name
    try:
        if article_id == NEW:
            store.create(session, real_id, who)
            revision = 1
        if action == "luu":
            store.save_draft(session, real_id, text, revision, who)
            session.commit()
            saved = (
                "Đã lưu bản nháp. Người dân vẫn nhận bản đang xuất bản cho đến khi bạn "
                "bấm Xuất bản."
            )
            return redirect_with(request, f"/console/articles/{real_id}", saved)
        if action != "xuat-ban":
            raise ConsoleProblem(
                400, "Không rõ bạn muốn làm gì: bấm một trong các nút của biểu mẫu."
            )
        _, problems = workbench.with_draft(session, real_id, text)
        if any(p.level == "error" for p in problems):
            session.rollback()
            return again(
                problems=problems,
                error="Chưa xuất bản: sửa các lỗi được đánh dấu bên dưới trước.",
                status=422,
            )
        version = store.publish(session, real_id, text, revision, who, posted.text("note").strip())
        session.commit()
    except store.EditConflict as exc:
        session.rollback()
        return again(error=str(exc), status=409)
    return _published(request, real_id, f"Đã xuất bản bản số {version.number}")


def _published(request: Request, article_id: str, done: str) -> Response:
    """Rebuild the index now; the editor learns whether residents already get it."""
    url = f"/console/articles/{article_id}"
    try:
        stats = workbench_of(request).publish_index()
    except NotPublishable as exc:
        return redirect_with(
            request, url, f"{done}, nhưng chỉ mục chưa xây lại được: {exc}", "error"
        )
    except Exception:
        logger.exception("index build after a publish failed")
        failed = (
            f"{done}, nhưng chỉ mục chưa xây lại được (lỗi hệ thống đã được ghi lại). "
            "Bấm Xuất bản lần nữa hoặc báo quản trị viên."
        )
        return redirect_with(request, url, failed, "error")
    seconds = max(1, round(stats.seconds))
    used = f"{done}. Trợ lý dùng nội dung mới từ câu hỏi tiếp theo (xây lại trong {seconds} giây)."
    return redirect_with(request, url, used)


@router.post("/console/articles/{article_id}/preview")
def article_preview(
    request: Request, posted: EditorForm, session: SessionDep, article_id: str
) -> dict[str, Any]:
    """The live preview as the editor types (the page's script): the full article as
    residents would see it, and the draft's problems; nothing is saved or built."""
    real_id = _posted_id(posted, article_id) or "bai-moi"
    text = to_markdown(_draft_from_fields(posted.fields, real_id))
    _, problems = workbench_of(request).with_draft(session, real_id, text)
    messages: list[dict[str, Any]] = []
    with suppress(ArticleError):
        messages = list(
            article_messages(article_record(parse_text(text, store.article_path(real_id))))
        )
    return {
        "messages": [
            {"text": m.get("text", ""), "buttons": [b["title"] for b in m.get("buttons") or []]}
            for m in messages
        ],
        "problems": [
            {"field": p.field or "general", "level": p.level, "message": p.message}
            for p in problems
        ],
    }


@router.post("/console/articles/{article_id}/rollback")
def article_rollback(
    request: Request, posted: EditorForm, session: SessionDep, article_id: str
) -> Response:
    try:
        number = int(posted.text("number"))
        revision = int(posted.text("revision"))
    except ValueError as exc:
        raise ConsoleProblem(400, "Thiếu số bản cần khôi phục: tải lại trang rồi thử lại.") from exc
    try:
        version = store.rollback(session, article_id, number, revision, posted.staff.name)
        session.commit()
    except store.EditConflict as exc:
        session.rollback()
        raise ConsoleProblem(409, str(exc)) from exc
    return _published(
        request, article_id, f"Đã khôi phục bản số {number} (thành bản số {version.number})"
    )


@router.get("/console/articles/{article_id}/versions/{number}")
def article_version(
    request: Request, staff: EditorIn, session: SessionDep, article_id: str, number: int
) -> Response:
    versions = {v.number: v for v in store.versions(session, article_id)}
    version = versions.get(number)
    if version is None:
        raise ConsoleProblem(404, "Không có bản này của bài.")
    before = versions.get(number - 1)
    diff = list(
        difflib.unified_diff(
            (before.text if before else "").splitlines(),
            version.text.splitlines(),
            f"bản {number - 1}" if before else "(trống)",
            f"bản {number}",
            lineterm="",
            n=1,
        )
    )
    return render(
        request,
        "article_version.html",
        {"staff": staff, "article_id": article_id, "v": version, "diff": diff},
    )
