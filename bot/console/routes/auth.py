"""Signing in and out of the console."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from bot.audit import record
from bot.console import security
from bot.console.deps import SESSION_COOKIE, Form, settings_of, signed_in
from bot.console.pages import COOKIE_PATH, ConsoleRoute, flash, redirect, render
from bot.db import session_scope
from bot.privacy import mask_pii

logger = logging.getLogger(__name__)
router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

LOGIN_PATH = "/console/login"
MAX_FIELD = 1000

WRONG = "Tên đăng nhập hoặc mật khẩu chưa đúng. Bạn kiểm tra lại (chữ hoa, chữ thường) nhé."
BLOCKED = (
    f"Bạn đã nhập sai {security.MAX_FAILURES} lần liền. Để bảo vệ tài khoản, hãy thử lại sau "
    f"{int(security.FAILURE_WINDOW.total_seconds() // 60)} phút hoặc nhờ quản trị viên "
    "đặt lại mật khẩu."
)


def safe_next(value: str | None) -> str:
    """Only console pages of this site: a crafted link must not send a member elsewhere."""
    if (
        value
        and value.startswith("/console")
        and not value.startswith("//")
        and not any(c in value for c in "\\\r\n")
        and not value.startswith(LOGIN_PATH)
    ):
        return value
    return "/console"


def _login_form(
    request: Request,
    next_url: str,
    *,
    error: str | None = None,
    username: str = "",
    status: int = 200,
) -> Response:
    context = {"next": safe_next(next_url), "error": error, "username": username}
    return render(request, "login.html", context, status)


def _signed_in(request: Request, token: str, url: str) -> Response:
    """Off to ``url`` with the new session's cookie."""
    settings = settings_of(request)
    response = redirect(url)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.console_session_hours * 3600),
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=settings.console_secure_cookies,
    )
    return response


@router.get(LOGIN_PATH)
async def login_page(
    request: Request, next_url: Annotated[str, Query(alias="next")] = "/console"
) -> Response:
    if await signed_in(request) is not None:
        return redirect(safe_next(next_url))
    return _login_form(request, next_url)


def _sign_in(
    username: str, password: str, address: str | None, hours: float, previous: str | None
) -> tuple[security.LoginOutcome, str | None]:
    with session_scope() as session:
        outcome = security.authenticate(session, username, password, address)
        if outcome.member is None:
            return outcome, None
        if previous:  # signing in again in the same browser: one session, not two
            security.end_session(session, previous)
        security.purge_expired(session)
        token, _ = security.new_session(session, outcome.member, hours)
        return outcome, token


@router.post(LOGIN_PATH)
async def login(request: Request) -> Response:
    form = await request.form()
    username = str(form.get("username") or "").strip()[:MAX_FIELD]
    password = str(form.get("password") or "")[:MAX_FIELD]
    next_url = str(form.get("next") or "/console")
    if not username or not password:
        return _login_form(
            request,
            next_url,
            error="Bạn nhập cả tên đăng nhập và mật khẩu nhé.",
            username=username,
            status=400,
        )
    settings = settings_of(request)
    address = request.client.host if request.client else None
    outcome, token = await run_in_threadpool(
        _sign_in,
        username,
        password,
        address,
        settings.console_session_hours,
        request.cookies.get(SESSION_COOKIE),
    )
    if outcome.result == "blocked":
        logger.warning("console sign-in blocked for %s", mask_pii(username))
        return _login_form(request, next_url, error=BLOCKED, username=username, status=429)
    if token is None:
        return _login_form(request, next_url, error=WRONG, username=username, status=401)
    return _signed_in(request, token, safe_next(next_url))


def _sign_out(token: str) -> None:
    with session_scope() as session:
        member = security.end_session(session, token)
        if member is not None:
            record(session, f"console:{member.username}", "console_logout", f"member:{member.id}")


@router.post("/console/logout")
async def logout(request: Request, form: Form) -> Response:
    await run_in_threadpool(_sign_out, request.cookies.get(SESSION_COOKIE, ""))
    flash(request, "ok", "Bạn đã đăng xuất.")
    response = redirect(LOGIN_PATH)
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response


# -- a new password with the admin's one-time code ----------------------------------------------

CODE_PATH = f"{LOGIN_PATH}/ma"
WRONG_CODE = (
    "Tên đăng nhập hoặc mã một lần chưa đúng, hoặc mã đã hết hạn (mã dùng được 3 ngày, một "
    "lần). Bạn kiểm tra lại, hoặc nhờ quản trị viên cấp mã mới."
)


def _code_form(
    request: Request, *, error: str | None = None, username: str = "", status: int = 200
) -> Response:
    return render(request, "login_code.html", {"error": error, "username": username}, status)


@router.get(CODE_PATH)
async def code_page(request: Request) -> Response:
    return _code_form(request)


def _redeem(
    username: str, code: str, password: str, address: str | None, hours: float
) -> tuple[security.LoginOutcome, str | None]:
    with session_scope() as session:
        outcome = security.redeem_setup_code(session, username, code, password, address)
        if outcome.member is None:
            return outcome, None
        token, _ = security.new_session(session, outcome.member, hours)
        return outcome, token


@router.post(CODE_PATH)
async def redeem_code(request: Request) -> Response:
    form = await request.form()
    username = str(form.get("username") or "").strip()[:MAX_FIELD]
    code = str(form.get("code") or "")[:100]
    password = str(form.get("password") or "")[:MAX_FIELD]
    again = str(form.get("password_again") or "")[:MAX_FIELD]
    problem = security.password_problem(password) or (
        "Hai lần nhập mật khẩu mới không khớp." if password != again else None
    )
    if not username or not code or problem:
        error = problem or "Bạn nhập tên đăng nhập, mã một lần và mật khẩu mới nhé."
        return _code_form(request, error=error, username=username, status=400)
    settings = settings_of(request)
    address = request.client.host if request.client else None
    outcome, token = await run_in_threadpool(
        _redeem, username, code, password, address, settings.console_session_hours
    )
    if outcome.result == "blocked":
        return _code_form(request, error=BLOCKED, username=username, status=429)
    if token is None:
        return _code_form(request, error=WRONG_CODE, username=username, status=401)
    flash(request, "ok", "Đã đặt mật khẩu mới. Lần sau bạn đăng nhập bằng mật khẩu này.")
    return _signed_in(request, token, "/console")
