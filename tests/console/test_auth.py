"""Signing in and out: hardened cookies, server-side sessions, CSRF, throttling, audit."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from bot.audit import AuditEvent
from bot.console import security
from bot.db import session_scope
from bot.db.base import utcnow
from bot.gateway.app import create_app
from bot.handoff.models import ConsoleSession, Member
from tests.console.conftest import (
    PASSWORD,
    Console,
    TeamFixture,
    csrf_of,
    open_ticket,
    settings_for,
)
from tests.fakes.rasa import FakeRasa


def audit(actor: str, action: str) -> list[AuditEvent]:
    with session_scope() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.actor == actor, AuditEvent.action == action)
            )
        )


def test_pages_need_a_session(console: Console) -> None:
    response = console.http.get("/console/tickets/1")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login?next=/console/tickets/1"
    page = console.http.get("/console/login")
    assert page.status_code == 200
    assert "Đăng nhập" in page.text and 'lang="vi"' in page.text
    assert "width=device-width" in page.text
    api = console.http.get("/console/tickets/1/messages")
    assert api.status_code == 401 and "đăng nhập lại" in api.json()["detail"]


def test_login_sets_a_hardened_cookie_and_keeps_only_its_hash(
    console: Console, team: TeamFixture
) -> None:
    response = console.login(team.lan, next_url="/console/tickets/7")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/tickets/7"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("console_session=")
    )
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=lax" in lowered and "path=/console" in lowered
    assert "secure" not in lowered  # CONSOLE_SECURE_COOKIES is off by default
    token = console.http.cookies.get("console_session", path="/console")
    assert token
    with session_scope() as session:
        rows = list(session.scalars(select(ConsoleSession)))
        stored = {row.token_hash for row in rows}
        assert hashlib.sha256(token.encode()).hexdigest() in stored
        assert token not in stored
        mine = next(r for r in rows if r.token_hash == security.token_hash(token))
        lifetime = mine.expires_at - mine.created_at
        assert timedelta(hours=11.9) < lifetime <= timedelta(hours=12, seconds=1)
    assert audit(f"console:{team.lan}", "console_login")
    queue = console.http.get("/console")
    assert queue.status_code == 200 and "chị Lan" in queue.text


def test_wrong_password_gets_a_vietnamese_error_and_is_audited(
    console: Console, team: TeamFixture
) -> None:
    response = console.login(team.lan, "sai-mat-khau")
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu chưa đúng" in response.text
    assert "console_session" not in console.http.cookies
    unknown = console.login("khong-co-ai", "sai-mat-khau")
    assert unknown.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu chưa đúng" in unknown.text  # same words: no hint
    failed = audit(f"console:{team.lan}", "console_login_failed")
    assert len(failed) == 1 and failed[0].subject == "address:127.0.0.1"


def test_sign_in_form_needs_its_token(console: Console, team: TeamFixture) -> None:
    console.http.get("/console/login")
    response = console.http.post(
        "/console/login", data={"username": team.lan, "password": PASSWORD, "csrf": "x"}
    )
    assert response.status_code == 403 and "Biểu mẫu đã cũ" in response.text
    assert "console_session" not in console.http.cookies
    # Another site's form: the browser sends no cookie (SameSite), the form no token.
    other = Console(str(console.http.base_url))
    try:
        forged = other.http.post(
            "/console/login", data={"username": team.lan, "password": PASSWORD}
        )
        assert forged.status_code == 403 and "console_session" not in other.http.cookies
    finally:
        other.close()


def test_console_posts_that_are_not_forms_get_400_not_500(
    console: Console, team: TeamFixture
) -> None:
    console.login(team.lan)
    token = console.csrf()
    for headers, body in (
        ({"Content-Type": "application/x-www-form-urlencoded"}, b"csrf=" + b"\xff\xfe" * 3),
        ({"Content-Type": "application/x-www-form-urlencoded"}, b"csrf=%FF%FE&text=x"),
        ({"Content-Type": "multipart/form-data; boundary=x"}, f"csrf={token}".encode()),
        ({"Content-Type": "text/plain"}, token.encode()),
    ):
        response = console.http.post("/console/logout", content=body, headers=headers)
        assert 400 <= response.status_code < 500, (headers, body, response.status_code)


def test_next_cannot_leave_the_console(console: Console, team: TeamFixture) -> None:
    response = console.login(team.lan, next_url="https://evil.example/console")
    assert response.headers["location"] == "/console"
    again = Console(str(console.http.base_url))
    try:
        assert again.login(team.lan, next_url="//evil.example").headers["location"] == "/console"
    finally:
        again.close()


@pytest.fixture
async def asgi_app(fake_rasa: tuple[FakeRasa, int], migrated_db: None) -> AsyncIterator[FastAPI]:
    app = create_app(settings_for(fake_rasa[1], console_secure_cookies=True))
    async with app.router.lifespan_context(app):
        yield app


async def _sign_in(app: FastAPI, username: str, password: str, address: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="https://gw") as http:
        page = await http.get("/console/login")
        return await http.post(
            "/console/login",
            data={"username": username, "password": password, "csrf": csrf_of(page.text)},
        )


async def test_guessing_is_throttled_per_username_and_address(
    asgi_app: FastAPI, team: TeamFixture
) -> None:
    for _ in range(security.MAX_FAILURES):
        failed = await _sign_in(asgi_app, team.lan, "doan-mo", "10.1.2.3")
        assert failed.status_code == 401
    blocked = await _sign_in(asgi_app, team.lan, PASSWORD, "10.1.2.3")
    assert blocked.status_code == 429
    assert "thử lại sau 15 phút" in blocked.text
    assert audit(f"console:{team.lan}", "console_login_blocked")
    # Another address, or another member from the same address, still gets in.
    assert (await _sign_in(asgi_app, team.lan, PASSWORD, "10.9.9.9")).status_code == 303
    assert (await _sign_in(asgi_app, team.minh, PASSWORD, "10.1.2.3")).status_code == 303
    # The window passes: the member can sign in again from there.
    with session_scope() as session:
        session.execute(
            update(AuditEvent)
            .where(AuditEvent.actor == f"console:{team.lan}")
            .values(at=utcnow() - timedelta(minutes=16))
        )
    assert (await _sign_in(asgi_app, team.lan, PASSWORD, "10.1.2.3")).status_code == 303


async def test_secure_cookies_behind_https(asgi_app: FastAPI, team: TeamFixture) -> None:
    response = await _sign_in(asgi_app, team.lan, PASSWORD, "10.7.7.7")
    assert response.status_code == 303
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("console_session=")
    )
    assert "secure" in cookie.lower()


def test_posts_without_the_session_token_are_refused(console: Console, team: TeamFixture) -> None:
    ticket_id, _ = open_ticket(team)
    console.login(team.lan)
    missing = console.http.post(f"/console/tickets/{ticket_id}/claim", data={})
    assert missing.status_code == 403
    assert "Biểu mẫu đã cũ" in missing.text
    wrong = console.http.post(f"/console/tickets/{ticket_id}/claim", data={"csrf": "doan-bua"})
    assert wrong.status_code == 403
    as_json = console.http.post(
        f"/console/tickets/{ticket_id}/claim", headers={"Accept": "application/json"}
    )
    assert as_json.status_code == 403 and "Biểu mẫu đã cũ" in as_json.json()["detail"]
    assert console.http.post("/console/logout", data={}).status_code == 403
    page = console.http.get(f"/console/tickets/{ticket_id}")
    assert "Đang chờ nhận" in page.text  # nothing happened


def test_an_expired_session_goes_back_to_sign_in(console: Console, team: TeamFixture) -> None:
    ticket_id, _ = open_ticket(team)
    console.login(team.lan)
    token = console.http.cookies.get("console_session", path="/console")
    assert token and console.http.get("/console").status_code == 200
    with session_scope() as session:
        session.execute(
            update(ConsoleSession)
            .where(ConsoleSession.token_hash == security.token_hash(token))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    page = console.http.get(f"/console/tickets/{ticket_id}")
    assert page.status_code == 303
    assert page.headers["location"] == f"/console/login?next=/console/tickets/{ticket_id}"
    assert console.http.get(f"/console/tickets/{ticket_id}/messages").status_code == 401
    with session_scope() as session:  # the stale row is gone
        assert (
            session.scalar(
                select(ConsoleSession).where(
                    ConsoleSession.token_hash == security.token_hash(token)
                )
            )
            is None
        )


def test_logout_ends_the_session_on_the_server(console: Console, team: TeamFixture) -> None:
    console.login(team.lan)
    token = console.http.cookies.get("console_session", path="/console")
    assert token
    # A copy of the cookie (as a thief would have it) works until the member logs out.
    replay = Console(str(console.http.base_url))
    replay.http.cookies.set(
        "console_session",
        token,
        domain=urlsplit(str(console.http.base_url)).hostname or "",
        path="/console",
    )
    try:
        assert replay.http.get("/console").status_code == 200
        response = console.http.post("/console/logout", data={"csrf": console.csrf()})
        assert response.status_code == 303 and response.headers["location"] == "/console/login"
        assert "Bạn đã đăng xuất." in console.follow(response).text
        assert "console_session" not in console.http.cookies
        assert audit(f"console:{team.lan}", "console_logout")
        assert replay.http.get("/console").status_code == 303  # the server forgot it
    finally:
        replay.close()


def test_a_member_who_left_is_signed_out(console: Console, team: TeamFixture) -> None:
    console.login(team.minh)
    assert console.http.get("/console").status_code == 200
    with session_scope() as session:
        session.execute(update(Member).where(Member.id == team.minh_id).values(active=False))
    assert console.http.get("/console").status_code == 303
    assert console.login(team.minh).status_code == 401


def test_passwords() -> None:
    hashed = security.hash_password("mot-mat-khau-dai")
    assert hashed.startswith("$argon2id$") and "mot-mat-khau-dai" not in hashed
    assert security.verify_password(hashed, "mot-mat-khau-dai")
    assert not security.verify_password(hashed, "mot-mat-khau-dai ")
    assert not security.verify_password(None, "")
    assert not security.verify_password("không-phải-hash", "x")
    assert security.password_problem("ngan") is not None
    assert security.password_problem(" co-dau-cach-o-dau") is not None
    assert security.password_problem("du-dai-roi-day") is None


def test_a_form_posted_after_the_session_ended_comes_back_to_its_ticket(
    console: Console, team: TeamFixture
) -> None:
    ticket_id, _ = open_ticket(team)
    response = console.http.post(f"/console/tickets/{ticket_id}/claim", data={"csrf": "x"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/console/login?next=/console/tickets/{ticket_id}"
    signed_in = console.login(team.lan, next_url=f"/console/tickets/{ticket_id}")
    assert signed_in.headers["location"] == f"/console/tickets/{ticket_id}"


def test_signing_in_again_replaces_the_session(console: Console, team: TeamFixture) -> None:
    console.login(team.lan)
    first = console.http.cookies.get("console_session", path="/console")
    page = console.http.get("/console/login")  # signed in: straight to the queue
    assert page.status_code == 303 and page.headers["location"] == "/console"
    console.http.post(
        "/console/login",
        data={"username": team.minh, "password": PASSWORD, "csrf": console.csrf()},
    )
    assert first and console.http.cookies.get("console_session", path="/console") != first
    with session_scope() as session:
        assert (
            session.scalar(
                select(ConsoleSession).where(
                    ConsoleSession.token_hash == security.token_hash(first)
                )
            )
            is None
        )
    assert "anh Minh" in console.http.get("/console").text


async def test_random_usernames_from_one_address_are_throttled_without_hashing(
    asgi_app: FastAPI, team: TeamFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    real = security.verify_password

    def counting(password_hash: str | None, password: str) -> bool:
        checked.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(security, "verify_password", counting)
    codes = [
        (await _sign_in(asgi_app, f"ai-{i}", "doan-mo", "10.66.66.66")).status_code
        for i in range(security.ATTEMPTS_PER_ADDRESS + 3)
    ]
    assert codes[: security.ATTEMPTS_PER_ADDRESS] == [401] * security.ATTEMPTS_PER_ADDRESS
    assert codes[security.ATTEMPTS_PER_ADDRESS :] == [429] * 3
    assert len(checked) == security.ATTEMPTS_PER_ADDRESS  # throttled tries hash nothing
