"""The desk's memory: closed tickets with search, and the team's canned replies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from bot.audit import record
from bot.console import queries
from bot.console.deps import Form, SignedIn
from bot.console.pages import ConsoleProblem, ConsoleRoute, redirect_with, render
from bot.db import SessionDep
from bot.handoff.models import CannedReply, Team

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
REPLIES = "/console/replies"
MAX_CANNED = 100


@router.get("/console/history")
def history_page(
    request: Request,
    staff: SignedIn,
    session: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "",
    ward: Annotated[str, Query(alias="phuong", max_length=80)] = "",
    before: Annotated[int | None, Query(alias="truoc", ge=1)] = None,
) -> Response:
    rows = queries.closed_tickets(session, staff, q, ward or None, before)
    wards = list(session.execute(select(Team.ward, Team.name).order_by(Team.ward)))
    return render(
        request,
        "history.html",
        {
            "staff": staff,
            "rows": rows,
            "q": q,
            "ward": ward,
            "wards": wards if staff.is_admin else [],
            "more": rows[-1].id if len(rows) == queries.HISTORY_PAGE else None,
        },
    )


@router.get(REPLIES)
def replies_page(request: Request, staff: SignedIn, session: SessionDep) -> Response:
    canned = queries.canned_replies(session, staff.team_id)
    return render(request, "replies.html", {"staff": staff, "canned": canned})


@router.post(REPLIES)
def add_reply(request: Request, form: Form, session: SessionDep) -> Response:
    title, text = form.text("title").strip()[:80], form.text("text").strip()
    if not title or not text:
        raise ConsoleProblem(400, "Cần cả tên ngắn và nội dung câu trả lời mẫu.")
    if len(text) > 4000:
        raise ConsoleProblem(400, "Câu trả lời mẫu dài quá 4000 ký tự.")
    if len(queries.canned_replies(session, form.staff.team_id)) >= MAX_CANNED:
        raise ConsoleProblem(400, f"Tổ đã có {MAX_CANNED} câu mẫu: xóa bớt câu không dùng.")
    row = CannedReply(
        team_id=form.staff.team_id, title=title, text=text, created_by=form.staff.name
    )
    session.add(row)
    session.flush()
    record(session, f"console:{form.staff.username}", "canned_added", f"canned:{row.id}")
    return redirect_with(request, REPLIES, f"Đã thêm câu mẫu “{title}”.")


@router.post(REPLIES + "/{reply_id}/delete")
def delete_reply(request: Request, form: Form, session: SessionDep, reply_id: int) -> Response:
    row = session.get(CannedReply, reply_id)
    if row is None or (row.team_id != form.staff.team_id and not form.staff.is_admin):
        raise ConsoleProblem(404, "Không có câu trả lời mẫu này.")
    session.delete(row)
    record(session, f"console:{form.staff.username}", "canned_deleted", f"canned:{reply_id}")
    return redirect_with(request, REPLIES, f"Đã xóa câu mẫu “{row.title}”.")
