"""The queue, a ticket's page, and what members do with tickets.

Actions go through the ``HandoffDesk`` so residents and the Telegram group hear about
them; the desk's service layer decides and audits. Forms post and redirect back (works
without JavaScript); asked for JSON, the same routes answer JSON with 4xx on refusal.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from bot.console import queries
from bot.console.deps import Form, SignedIn, SignedInApi, Staff
from bot.console.pages import (
    ConsoleProblem,
    ConsoleRoute,
    local_time,
    redirect_with,
    render,
    wants_json,
)
from bot.db import SessionDep, in_session
from bot.handoff.desk import HandoffDesk
from bot.handoff.models import CLOSED, CannedReply
from bot.handoff.service import HandoffError

logger = logging.getLogger(__name__)
router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
MAX_TEXT = 4000
UNSURE = (
    "Có lỗi khi báo cho người dân hoặc nhóm Telegram; thao tác có thể đã được lưu. "
    "Bạn xem lại cuộc trò chuyện bên dưới trước khi làm lại nhé."
)


def _desk(request: Request) -> HandoffDesk:
    desk: HandoffDesk = request.app.state.desk
    return desk


@router.get("/console")
def queue_page(
    request: Request,
    staff: SignedIn,
    session: SessionDep,
    ward: Annotated[str, Query(alias="phuong")] = "",
) -> Response:
    data = queries.queue(session, staff, ward.strip() or None)
    return render(request, "queue.html", {"staff": staff, "q": data})


async def _visible(staff: Staff, ticket_id: int, *, as_json: bool = False) -> None:
    try:
        await in_session(queries.visible_ticket, staff, ticket_id)
    except queries.Hidden as exc:
        raise ConsoleProblem(exc.status, str(exc), as_json=as_json) from exc


@router.get("/console/tickets/{ticket_id}")
def ticket_page(request: Request, staff: SignedIn, session: SessionDep, ticket_id: int) -> Response:
    try:
        page = queries.ticket_page(session, staff, ticket_id)
    except queries.Hidden as exc:
        raise ConsoleProblem(exc.status, str(exc)) from exc
    return render(request, "ticket.html", {"staff": staff, "t": page})


@router.get("/console/tickets/{ticket_id}/messages")
def ticket_messages(
    staff: SignedInApi,
    session: SessionDep,
    ticket_id: int,
    after: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """New lines of the transcript for the page's script, and the ticket's state (the page
    offers a reload when someone else claimed, passed back or closed it)."""
    try:
        update = queries.update(session, staff, ticket_id, after)
    except queries.Hidden as exc:
        raise ConsoleProblem(exc.status, str(exc), as_json=True) from exc
    return {
        "status": update.status,
        "claimed_by": update.claimed_by,
        "messages": [
            {
                "id": line.id,
                "kind": line.kind,
                "author": line.author,
                "text": line.text,
                "revealable": line.revealable,
                "at": local_time(line.created_at),
            }
            for line in update.lines
        ],
    }


@router.post("/console/tickets/{ticket_id}/messages/{message_id}/reveal")
def reveal(
    request: Request, form: Form, session: SessionDep, ticket_id: int, message_id: int
) -> Response:
    """A masked message in full, for the member who asks (audited). JSON for the page's
    script; without it, the ticket page with that message shown in full."""
    as_json = wants_json(request)
    try:
        text = queries.reveal(session, form.staff, ticket_id, message_id)
        page = None if as_json else queries.ticket_page(session, form.staff, ticket_id)
    except queries.Hidden as exc:
        raise ConsoleProblem(exc.status, str(exc), as_json=as_json) from exc
    if page is None:
        return JSONResponse({"text": text})
    lines = [
        replace(x, text=text, revealable=False) if x.id == message_id else x for x in page.lines
    ]
    return render(request, "ticket.html", {"staff": form.staff, "t": replace(page, lines=lines)})


async def _act(
    request: Request,
    form: Form,
    ticket_id: int,
    action: Callable[[], Awaitable[str]],
    done_url: str,
) -> Response:
    """Run a desk action; tell the member how it went on the next page (or in JSON)."""
    await _visible(form.staff, ticket_id, as_json=wants_json(request))
    ticket_url = f"/console/tickets/{ticket_id}"
    try:
        message = await action()
    except HandoffError as exc:
        return _refused(request, ticket_url, str(exc), 409)
    except Exception:
        # The desk writes before it calls any platform: the step may well be saved. Say so
        # rather than show a bare error page that invites pressing again.
        logger.exception("console action on ticket %s failed", ticket_id)
        return _refused(request, ticket_url, UNSURE, 500)
    if wants_json(request):
        return JSONResponse({"detail": message})
    return redirect_with(request, done_url, message)


def _refused(request: Request, ticket_url: str, message: str, status: int) -> Response:
    if wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    return redirect_with(request, ticket_url, message, "error")


def _text(form: Form) -> str:
    text = form.text("text").strip()
    if len(text) > MAX_TEXT:
        raise HandoffError(f"Nội dung dài quá {MAX_TEXT} ký tự; bạn chia thành vài tin nhé.")
    return text


@router.post("/console/tickets/{ticket_id}/claim")
async def claim(request: Request, form: Form, ticket_id: int) -> Response:
    async def action() -> str:
        result = await _desk(request).claim(ticket_id, form.staff.member_id)
        if result.won:
            return f"Bạn đã nhận yêu cầu #{ticket_id}. Người dân đã được báo."
        if result.ticket.status == CLOSED:
            raise HandoffError(f"Yêu cầu #{ticket_id} đã kết thúc.")
        holder = result.holder.name if result.holder else "Người khác"
        raise HandoffError(f"{holder} đã nhận yêu cầu #{ticket_id} trước bạn.")

    return await _act(request, form, ticket_id, action, f"/console/tickets/{ticket_id}#tra-loi")


def _canned_text(session: Session, staff: Staff, canned_id: int) -> str:
    row = session.get(CannedReply, canned_id)
    if row is None or (row.team_id != staff.team_id and not staff.is_admin):
        raise HandoffError("Không có câu trả lời mẫu này: tải lại trang rồi chọn lại.")
    return row.text


@router.post("/console/tickets/{ticket_id}/reply")
async def reply(request: Request, form: Form, ticket_id: int) -> Response:
    async def action() -> str:
        text = _text(form)
        canned = form.text("canned")
        if not text and canned.isdigit():  # without JavaScript: the chosen canned reply
            text = await in_session(_canned_text, form.staff, int(canned))
        if not text:
            raise HandoffError("Bạn nhập câu trả lời (hoặc chọn một câu trả lời mẫu) nhé.")
        await _desk(request).reply(ticket_id, form.staff.member_id, text)
        return "Đã gửi cho người dân."

    return await _act(request, form, ticket_id, action, f"/console/tickets/{ticket_id}#tra-loi")


@router.post("/console/tickets/{ticket_id}/note")
async def note(request: Request, form: Form, ticket_id: int) -> Response:
    async def action() -> str:
        await _desk(request).note(ticket_id, form.staff.member_id, _text(form))
        return "Đã lưu ghi chú nội bộ."

    return await _act(request, form, ticket_id, action, f"/console/tickets/{ticket_id}#ghi-chu")


@router.post("/console/tickets/{ticket_id}/release")
async def release(request: Request, form: Form, ticket_id: int) -> Response:
    async def action() -> str:
        await _desk(request).release(ticket_id, form.staff.member_id)
        return f"Đã chuyển yêu cầu #{ticket_id} lại cho tổ."

    return await _act(request, form, ticket_id, action, "/console")


@router.post("/console/tickets/{ticket_id}/close")
async def close(request: Request, form: Form, ticket_id: int) -> Response:
    async def action() -> str:
        await _desk(request).close(ticket_id, form.staff.member_id)
        return f"Đã kết thúc yêu cầu #{ticket_id}. Trợ lý tự động tiếp tục với người dân."

    return await _act(request, form, ticket_id, action, "/console")
