"""Rendering of the console's pages: templates, Vietnamese labels, flash messages, and
the response headers every console page carries."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from bot.db.base import as_utc, utcnow
from bot.text.dates import VIETNAM

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
COOKIE_PATH = "/console"
FLASH_COOKIE = "console_flash"  # SessionMiddleware's cookie, on the console's paths
FLASH_KEY = "flash"

CHANNELS = {"web": "Web", "telegram": "Telegram", "zalo": "Zalo"}
REASONS = {
    "asked": "Người dân muốn gặp người",
    "kb_unsure": "Trợ lý chưa chắc câu trả lời",
    "feedback": "Phản ánh, góp ý",
}
STATUSES = {"open": "Đang chờ nhận", "claimed": "Đang xử lý", "closed": "Đã kết thúc"}
AUTHORS = {"resident": "Người dân", "assistant": "Trợ lý tự động"}
NOTE_LABEL = "Ghi chú nội bộ — người dân không thấy"


def duration(span: timedelta | None) -> str:
    """ "4 phút", "1 giờ 20 phút", "2 ngày 3 giờ"; "—" when there is nothing to show."""
    if span is None:
        return "—"
    minutes = max(0, int(span.total_seconds() // 60))
    if minutes < 1:
        return "dưới 1 phút"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} ngày {hours} giờ" if hours else f"{days} ngày"
    if hours:
        return f"{hours} giờ {minutes} phút" if minutes else f"{hours} giờ"
    return f"{minutes} phút"


def since(moment: datetime) -> str:
    return duration(utcnow() - as_utc(moment))


def local_time(moment: datetime | None) -> str:
    """Vietnam time, the way ward staff read it: "14:05 23/11"."""
    if moment is None:
        return ""
    return as_utc(moment).astimezone(VIETNAM).strftime("%H:%M %d/%m")


def excerpt(text: str, length: int = 140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters.update(
    duration=duration,
    since=since,
    local_time=local_time,
    excerpt=excerpt,
    channel=lambda c: CHANNELS.get(c, c),
    reason=lambda r: REASONS.get(r, r),
    status=lambda s: STATUSES.get(s, s),
)
templates.env.globals.update(NOTE_LABEL=NOTE_LABEL, AUTHORS=AUTHORS)


# -- flash messages and form tokens ------------------------------------------------------------


def flash(request: Request, kind: str, text: str) -> None:
    """A message for the next page shown (post-redirect-get), kept in the signed session
    cookie of Starlette's SessionMiddleware."""
    request.session[FLASH_KEY] = {"kind": kind, "text": text[:600]}


def form_token(request: Request) -> str:
    """The token every console form carries in its ``csrf`` field (bot.console.csrf: the
    middleware sets its cookie with the page)."""
    get: Callable[[], str] | None = request.scope.get("csrftoken")
    return get() if get is not None else ""


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """A page with the pending flash message, shown once, and the forms' token."""
    message = request.session.pop(FLASH_KEY, None) if "session" in request.scope else None
    return templates.TemplateResponse(
        request,
        name,
        {"flash": message, "nonce": _nonce(request), "csrf": form_token(request), **context},
        status_code=status_code,
    )


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def redirect_with(request: Request, url: str, text: str, kind: str = "ok") -> RedirectResponse:
    """Post-redirect-get: to ``url``, which shows ``text`` once (kind ok or error)."""
    flash(request, kind, text)
    return redirect(url)


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


# -- errors and headers -----------------------------------------------------------------------


class ConsoleProblem(Exception):
    """Ends a console request with a Vietnamese message: a page for people, JSON for the
    page's script (and anyone asking for JSON)."""

    def __init__(self, status: int, message: str, *, as_json: bool = False) -> None:
        super().__init__(message)
        self.status, self.message, self.as_json = status, message, as_json

    def response(self, request: Request) -> Response:
        if self.as_json or wants_json(request):
            return JSONResponse({"detail": self.message}, status_code=self.status)
        return render(request, "problem.html", {"message": self.message}, self.status)


class SignInRequired(ConsoleProblem):
    """No valid session: people go to the sign-in page and come back afterwards."""

    def __init__(self, next_url: str, *, as_json: bool = False) -> None:
        super().__init__(401, "Phiên đăng nhập đã hết hạn. Bạn đăng nhập lại nhé.", as_json=as_json)
        self.next_url = next_url

    def response(self, request: Request) -> Response:
        if self.as_json or wants_json(request):
            return super().response(request)
        return redirect(f"/console/login?next={quote(self.next_url, safe='/')}")


def _nonce(request: Request) -> str:
    nonce: str | None = getattr(request.state, "csp_nonce", None)
    if nonce is None:
        nonce = request.state.csp_nonce = secrets.token_urlsafe(16)
    return nonce


_warned: list[bool] = []


def _warn_insecure_cookies(request: Request) -> None:
    """Once per process: the console is reached over HTTPS (directly or through a proxy
    the gateway trusts) but its cookies would also travel over plain HTTP."""
    settings = request.app.state.settings
    if request.url.scheme == "https" and not settings.console_secure_cookies and not _warned:
        _warned.append(True)
        logger.warning(
            "the console is served over HTTPS but CONSOLE_SECURE_COOKIES is false: set it "
            "to true so sign-in cookies are never sent over plain HTTP"
        )


class ConsoleRoute(APIRoute):
    """Turns ``ConsoleProblem`` into its response, and gives every console response the
    same protective headers: no framing (the buttons act on residents' tickets), no
    caching of pages showing residents' messages, scripts only with this page's nonce."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            _warn_insecure_cookies(request)
            try:
                response = await handler(request)
            except ConsoleProblem as problem:
                response = problem.response(request)
            headers = response.headers
            headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; script-src 'nonce-"
                + _nonce(request)
                + "'; style-src 'self'; img-src 'self'; connect-src 'self'; "
                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            )
            headers.setdefault("X-Frame-Options", "DENY")
            headers.setdefault("X-Content-Type-Options", "nosniff")
            headers.setdefault("Referrer-Policy", "same-origin")
            headers.setdefault("Cache-Control", "no-store")
            return response

        return guarded
