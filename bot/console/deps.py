"""Who is signed in: the console's dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from bot.console import security
from bot.console.pages import ConsoleProblem, SignInRequired
from bot.db import session_scope
from bot.handoff.models import Team
from bot.knowledge.workbench import Workbench
from bot.settings import Settings

SESSION_COOKIE = "console_session"


@dataclass(frozen=True)
class Staff:
    """The signed-in member, as a snapshot safe outside the database session."""

    member_id: int
    name: str
    username: str
    role: str
    team_id: int
    ward: str
    team_name: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_editor(self) -> bool:
        """Keeps the knowledge articles (admins too)."""
        return self.role in {"editor", "admin"}


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def workbench_of(request: Request) -> Workbench:
    """The editors' workbench the app factory built (bot.gateway.app)."""
    workbench: Workbench = request.app.state.workbench
    return workbench


def _staff(token: str) -> Staff | None:
    with session_scope() as session:
        found = security.find_session(session, token)
        if found is None:
            return None
        _, member = found
        team = session.get(Team, member.team_id)
        return Staff(
            member_id=member.id,
            name=member.name,
            username=member.username or "",
            role=member.role,
            team_id=member.team_id,
            ward=team.ward if team else "",
            team_name=team.name if team else "",
        )


async def signed_in(request: Request) -> Staff | None:
    token = request.cookies.get(SESSION_COOKIE)
    return await run_in_threadpool(_staff, token) if token else None


def _back_here(request: Request) -> str:
    """Where to return after signing in: this page, or the ticket a form acted on (an
    action's URL only takes POST)."""
    path = request.url.path
    if request.method != "GET":
        parts = path.split("/")  # /console/tickets/{id}/{action}
        return "/".join(parts[:4]) if path.startswith("/console/tickets/") else "/console"
    return f"{path}?{request.url.query}" if request.url.query else path


async def current_member(request: Request) -> Staff:
    """Pages: the signed-in member; otherwise off to the sign-in page."""
    staff = await signed_in(request)
    if staff is None:
        raise SignInRequired(_back_here(request))
    return staff


async def current_member_api(request: Request) -> Staff:
    """The page's polling script: 401 JSON when the session is gone."""
    staff = await signed_in(request)
    if staff is None:
        raise SignInRequired(_back_here(request), as_json=True)
    return staff


async def current_editor(request: Request) -> Staff:
    staff = await current_member(request)
    if not staff.is_editor:
        raise ConsoleProblem(
            403,
            "Trang này dành cho người biên tập nội dung. Nhờ quản trị viên cấp quyền "
            "biên tập nếu bạn cần sửa bài.",
        )
    return staff


async def current_admin(request: Request) -> Staff:
    staff = await current_member(request)
    if not staff.is_admin:
        raise ConsoleProblem(
            403, "Trang này dành cho quản trị viên (thêm thành viên, đặt lại mật khẩu, giờ làm)."
        )
    return staff


SignedIn = Annotated[Staff, Depends(current_member)]
AdminIn = Annotated[Staff, Depends(current_admin)]
EditorIn = Annotated[Staff, Depends(current_editor)]
SignedInApi = Annotated[Staff, Depends(current_member_api)]


@dataclass(frozen=True)
class Posted:
    """A form a signed-in member sent (its CSRF token checked before: bot.console.csrf)."""

    staff: Staff
    fields: dict[str, str]

    def text(self, name: str) -> str:
        return self.fields.get(name, "")


async def posted_form(request: Request, staff: SignedIn) -> Posted:
    form = await request.form()
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    return Posted(staff, fields)


Form = Annotated[Posted, Depends(posted_form)]


async def editor_form(request: Request, staff: EditorIn) -> Posted:
    return await posted_form(request, staff)


EditorForm = Annotated[Posted, Depends(editor_form)]


async def admin_form(request: Request, staff: AdminIn) -> Posted:
    return await posted_form(request, staff)


AdminForm = Annotated[Posted, Depends(admin_form)]
