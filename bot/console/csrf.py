"""The console's forms are protected from cross-site requests by asgi-csrf (double submit:
a signed cookie and the same token in every form's ``csrf`` field, ``pages.form_token``),
on the console's paths only: residents' and platforms' posts carry no console cookie.

asgi-csrf parses a form's body itself before the console does. What it cannot parse (not a
urlencoded form, a body that is not UTF-8) is refused here with 400,
and a missing or wrong token gets a Vietnamese page that says to reload the form."""

from __future__ import annotations

from typing import Any

from asgi_csrf import asgi_csrf_decorator
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.console.pages import COOKIE_PATH, ConsoleProblem

FIELD = "csrf"  # every console form's hidden input
COOKIE = "console_csrf"
# Signing in has no session cookie yet: protected even when the browser sends no cookie,
# or another site could sign a member into someone else's account.
SIGN_IN_PATHS = ("/console/login", "/console/login/ma")
PASSED = "console_csrf_passed"  # scope key: the request went on to the console
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM = b"application/x-www-form-urlencoded"
STALE = "Biểu mẫu đã cũ hoặc không đến từ trang quản lý. Bạn tải lại trang rồi thử lại nhé."
UNREADABLE = "Nội dung gửi lên không đọc được. Bạn tải lại trang rồi gửi lại nhé."


async def _answer(scope: Scope, receive: Receive, send: Send, status: int, text: str) -> None:
    """The console's own problem page (JSON for the page's script)."""
    response = ConsoleProblem(status, text).response(Request(scope, receive))
    await response(scope, receive, send)


class ConsoleCsrf:
    def __init__(self, app: ASGIApp, secret: str, secure: bool) -> None:
        self.app = app

        async def refuse(scope: Scope, send: Send, _reason: Any) -> None:
            await _answer(scope, _no_body, send, 403, STALE)

        async def checked(scope: Scope, receive: Receive, send: Send) -> None:
            scope[PASSED][0] = True
            await app(scope, receive, send)

        self.protected = asgi_csrf_decorator(
            cookie_name=COOKIE,
            form_input=FIELD,
            signing_secret=secret,
            cookie_path=COOKIE_PATH,
            cookie_secure=secure,
            always_protect=set(SIGN_IN_PATHS),
            send_csrf_failed=refuse,
        )(checked)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope["path"]).startswith(COOKIE_PATH):
            await self.app(scope, receive, send)
            return
        if scope["method"] not in SAFE_METHODS and not _a_form(scope):
            await _answer(scope, receive, send, 400, UNREADABLE)
            return
        passed = [False]  # shared with the copy of the scope asgi-csrf hands on
        try:
            await self.protected({**scope, PASSED: passed}, receive, send)
        except (UnicodeDecodeError, TypeError):
            # Raised inside asgi-csrf, before the console ran: a body that is not UTF-8
            # or a token with characters compare_digest refuses ("%FF").
            if passed[0]:
                raise
            await _answer(scope, receive, send, 400, UNREADABLE)


def _a_form(scope: Scope) -> bool:
    """A body asgi-csrf can read: a urlencoded form (every console form and script sends
    one; there are no uploads), or nothing at all (then refused for its missing token).
    Its multipart reader does not work with the python-multipart the gateway needs."""
    headers = dict(scope.get("headers") or [])
    kind = headers.get(b"content-type", b"").partition(b";")[0].strip().lower()
    return bool(kind == FORM or (kind == b"" and headers.get(b"content-length", b"0") == b"0"))


async def _no_body() -> Message:
    # asgi-csrf has read the body already when it refuses.
    return {"type": "http.request", "body": b"", "more_body": False}
