"""Admins run the teams from the browser: members (add, role, deactivate, one-time codes
for a new password), team hours and Telegram group. Every change is audited with the
admin's name; a deactivated member's tickets go back to the queue and are announced."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.audit import record
from bot.console import security
from bot.console.deps import AdminForm, AdminIn, Posted
from bot.console.pages import ConsoleProblem, ConsoleRoute, redirect_with, render
from bot.db import SessionDep, in_session
from bot.handoff import service
from bot.handoff.desk import HandoffDesk
from bot.handoff.hours import parse_hours
from bot.handoff.models import Member, Team

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
PAGE = "/console/team"
ROLE_NAMES = {"member": "Thành viên", "editor": "Biên tập nội dung", "admin": "Quản trị viên"}
_WARD = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_USERNAME = re.compile(r"^[A-Za-z0-9._-]{3,80}$")


def _actor(posted: Posted) -> str:
    return f"console:{posted.staff.username}"


@router.get(PAGE)
def team_page(request: Request, staff: AdminIn, session: SessionDep) -> Response:
    teams = list(session.scalars(select(Team).order_by(Team.ward)))
    members = list(session.scalars(select(Member).order_by(Member.active.desc(), Member.name)))
    by_team: dict[int, list[Member]] = {}
    for member in members:
        by_team.setdefault(member.team_id, []).append(member)
    return render(
        request,
        "team.html",
        {"staff": staff, "teams": teams, "members": by_team, "roles": ROLE_NAMES},
    )


def _done(request: Request, message: str, anchor: str = "") -> Response:
    return redirect_with(request, PAGE + anchor, message)


def _attempt(request: Request, session: Session, change: Callable[[], Any]) -> Any:
    """Run a change; a refusal of the service becomes the page's error message."""
    try:
        return change()
    except (service.HandoffError, ValueError) as exc:
        session.rollback()
        raise ConsoleProblem(400, str(exc)) from exc


@router.post(f"{PAGE}/add")
def add_team(request: Request, posted: AdminForm, session: SessionDep) -> Response:
    ward = posted.text("ward").strip().lower()
    if not _WARD.match(ward):
        raise ConsoleProblem(
            400, "Mã phường chỉ gồm chữ thường không dấu, số và gạch ngang, ví dụ tay-ho."
        )
    team = _attempt(
        request,
        session,
        lambda: service.add_team(
            session,
            ward,
            posted.text("name").strip() or f"Tổ công nghệ số {ward}",
            posted.text("hours").strip(),
            posted.text("telegram_chat").strip() or None,
        ),
    )
    record(session, _actor(posted), "team_added", f"team:{team.id}")
    return _done(request, f"Đã thêm tổ của phường {ward}.", f"#to-{ward}")


@router.post(PAGE + "/{ward}")
def change_team(request: Request, posted: AdminForm, session: SessionDep, ward: str) -> Response:
    hours = posted.text("hours").strip()
    if hours:
        _attempt(request, session, lambda: parse_hours(hours))
    team = _attempt(
        request,
        session,
        lambda: service.update_team(
            session,
            ward,
            name=posted.text("name").strip() or None,
            hours=hours or None,
            telegram_chat_id=posted.text("telegram_chat").strip(),
        ),
    )
    record(session, _actor(posted), "team_changed", f"team:{team.id}")
    return _done(request, f"Đã lưu thông tin tổ phường {ward}.", f"#to-{ward}")


def _code_page(request: Request, posted: Posted, member: Member, code: str) -> Response:
    """Shown once: only a hash of the code is kept."""
    return render(request, "setup_code.html", {"staff": posted.staff, "m": member, "code": code})


@router.post(PAGE + "/{ward}/members")
def add_member(request: Request, posted: AdminForm, session: SessionDep, ward: str) -> Response:
    username = posted.text("username").strip()
    if not posted.text("name").strip():
        raise ConsoleProblem(400, "Cần tên hiển thị cho người dân, ví dụ “chị Lan”.")
    if username and not _USERNAME.match(username):
        raise ConsoleProblem(400, "Tên đăng nhập 3–80 ký tự: chữ không dấu, số, dấu chấm, gạch.")
    member = _attempt(
        request,
        session,
        lambda: service.add_member(
            session,
            ward,
            posted.text("name").strip(),
            username=username or None,
            role=posted.text("role") or "member",
            telegram=posted.text("telegram").strip() or None,
        ),
    )
    record(session, _actor(posted), "member_added", f"member:{member.id}")
    if not member.username:
        return _done(request, f"Đã thêm {member.name} (chỉ dùng Telegram).", f"#to-{ward}")
    code = security.new_setup_code(session, member, posted.staff.username)
    return _code_page(request, posted, member, code)


def _member(session: Session, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None:
        raise ConsoleProblem(404, "Không có thành viên này.")
    return member


@router.post("/console/members/{member_id}/code")
def new_code(request: Request, posted: AdminForm, session: SessionDep, member_id: int) -> Response:
    member = _member(session, member_id)
    if not member.username:
        raise ConsoleProblem(400, "Thành viên này chưa có tên đăng nhập trang quản lý.")
    code = security.new_setup_code(session, member, posted.staff.username)
    return _code_page(request, posted, member, code)


@router.post("/console/members/{member_id}/role")
def change_role(
    request: Request, posted: AdminForm, session: SessionDep, member_id: int
) -> Response:
    if member_id == posted.staff.member_id:
        raise ConsoleProblem(400, "Bạn không tự đổi vai trò của mình được: nhờ quản trị viên khác.")
    member = _attempt(
        request, session, lambda: service.set_role(session, member_id, posted.text("role"))
    )
    record(session, _actor(posted), "member_role", f"member:{member.id}", f"role={member.role}")
    return _done(request, f"{member.name}: {ROLE_NAMES[member.role]}.")


@router.post("/console/members/{member_id}/deactivate")
async def deactivate(request: Request, posted: AdminForm, member_id: int) -> Response:
    if member_id == posted.staff.member_id:
        raise ConsoleProblem(400, "Bạn không tự khóa tài khoản của mình được.")

    def change(session: Session) -> tuple[str, list[int]]:
        member, released = service.deactivate_member(session, f"#{member_id}")
        security.end_member_sessions(session, member.id)
        record(session, _actor(posted), "member_deactivated", f"member:{member.id}")
        return member.name, released

    try:
        name, released = await in_session(change)
    except service.HandoffError as exc:
        raise ConsoleProblem(404, str(exc)) from exc
    desk: HandoffDesk = request.app.state.desk
    desk.wake()  # the released tickets are announced to the team again now
    back = f" {len(released)} yêu cầu {name} đang giữ đã trở lại hàng chờ." if released else ""
    return _done(request, f"Đã khóa tài khoản của {name}.{back}")


@router.post("/console/members/{member_id}/activate")
def activate(request: Request, posted: AdminForm, session: SessionDep, member_id: int) -> Response:
    member = _attempt(request, session, lambda: service.reactivate_member(session, member_id))
    record(session, _actor(posted), "member_reactivated", f"member:{member.id}")
    return _done(request, f"Đã mở lại tài khoản của {member.name}.")
