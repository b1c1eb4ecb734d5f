"""The console against the real gateway over real HTTP (Rasa is the fake), with a fresh
team per test: the test database is shared by the whole session."""

from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from bot.console.security import hash_password
from bot.conversation import outbox
from bot.db import session_scope
from bot.gateway.app import create_app
from bot.handoff import service
from bot.handoff.models import Team
from bot.knowledge import store
from bot.settings import ROOT, Settings
from tests.conftest import REAL_INDEX
from tests.fakes.rasa import FakeRasa
from tests.fakes.servers import serve

PASSWORD = "mat-khau-du-dai-1"
ALWAYS_OPEN = "T2-CN 00:00-23:59"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@cache
def password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: once per session


def settings_for(rasa_port: int, **extra: Any) -> Settings:
    return Settings(
        rasa_port=rasa_port,
        rasa_token="secret",
        rasa_timeout_seconds=2.0,
        handoff_loop_interval_seconds=60.0,
        **extra,
    )


@pytest.fixture(scope="module")
def fake_rasa() -> Iterator[tuple[FakeRasa, int]]:
    fake = FakeRasa()
    with serve(fake.app) as url:
        yield fake, int(urlsplit(url).port or 0)


@pytest.fixture(scope="module")
def served(fake_rasa: tuple[FakeRasa, int], migrated_db: None) -> Iterator[tuple[FastAPI, str]]:
    """The real gateway app, served over HTTP on a free port: (app, base URL)."""
    app = create_app(settings_for(fake_rasa[1]))
    with serve(app, lifespan=True) as url:
        yield app, url


@pytest.fixture(scope="module")
def gateway(served: tuple[FastAPI, str]) -> str:
    return served[1]


@dataclass(frozen=True)
class TeamFixture:
    ward: str
    team_id: int
    lan: str  # usernames; lan and minh are members, boss is an admin of this team
    minh: str
    boss: str
    lan_id: int
    minh_id: int


def make_team(name: str = "Tổ công nghệ số") -> TeamFixture:
    tag = secrets.token_hex(4)
    ward = f"cs-{tag}"
    with session_scope() as session:
        team = service.add_team(session, ward, f"{name} {tag}", ALWAYS_OPEN)
        ids = {}
        for who, role in (("lan", "member"), ("minh", "member"), ("boss", "admin")):
            member = service.add_member(
                session,
                ward,
                {"lan": "chị Lan", "minh": "anh Minh", "boss": "Quản trị"}[who],
                username=f"{who}-{tag}",
                password_hash=password_hash(),
                role=role,
            )
            ids[who] = member.id
        return TeamFixture(
            ward, team.id, f"lan-{tag}", f"minh-{tag}", f"boss-{tag}", ids["lan"], ids["minh"]
        )


@pytest.fixture
def team(migrated_db: None) -> TeamFixture:
    return make_team()


def open_ticket(
    team: TeamFixture, question: str = "Không đăng nhập được VNeID", *, user: str | None = None
) -> tuple[int, str]:
    """A web chat resident's ticket with the conversation so far; (ticket id, sender)."""
    user = user or secrets.token_hex(6)
    with session_scope() as session:
        found = session.get(Team, team.team_id)
        assert found is not None
        ticket, created = service.open_ticket(
            session,
            "web",
            user,
            team=found,
            reason="asked",
            question=question,
            context=[("resident", question), ("assistant", "Bạn thử đặt lại mật khẩu nhé.")],
        )
        assert created
        return ticket.id, user


def resident_inbox(user: str) -> list[str]:
    """What the web chat would show this resident at its next poll."""
    with session_scope() as session:
        return [t for _, t in outbox.pending(session, "web", user, None)]


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


class Console:
    """A member's browser, as plain HTTP: cookies kept, redirects not followed."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=15.0, **kwargs)

    def login(
        self, username: str, password: str = PASSWORD, next_url: str = "/console"
    ) -> httpx.Response:
        page = self.http.get("/console/login")
        assert page.status_code == 200
        return self.http.post(
            "/console/login",
            data={
                "username": username,
                "password": password,
                "csrf": csrf_of(page.text),
                "next": next_url,
            },
        )

    def csrf(self) -> str:
        page = self.http.get("/console")
        assert page.status_code == 200, page.text
        return csrf_of(page.text)

    def act(self, ticket_id: int, action: str, text: str = "", **headers: str) -> httpx.Response:
        data = {"csrf": self.csrf(), "text": text}
        return self.http.post(f"/console/tickets/{ticket_id}/{action}", data=data, headers=headers)

    def follow(self, response: httpx.Response) -> httpx.Response:
        """The page a form post redirected to (with its flash message)."""
        assert response.status_code == 303, (response.status_code, response.text)
        return self.http.get(response.headers["location"].split("#")[0])

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def console(gateway: str) -> Iterator[Console]:
    client = Console(gateway)
    yield client
    client.close()


@pytest.fixture
def other_console(gateway: str) -> Iterator[Console]:
    client = Console(gateway)
    yield client
    client.close()


# -- the editors' pages: a private copy of the index, the articles in the database ----------


def copy_index(target: Path) -> Path:
    """The live index, copied: publishing here never touches the index other tests read."""
    shutil.copytree(REAL_INDEX, target, ignore=shutil.ignore_patterns("*.lock", ".*.tmp"))
    return target


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory, migrated_db: None) -> Path:
    with session_scope() as session:
        store.sync_files(session, ROOT / "knowledge" / "articles")
    return copy_index(tmp_path_factory.mktemp("kb") / "knowledge")


@pytest.fixture(scope="module")
def editor_gateway(fake_rasa: tuple[FakeRasa, int], index_dir: Path) -> Iterator[str]:
    app = create_app(settings_for(fake_rasa[1], kb_index_dir=index_dir))
    with serve(app, lifespan=True) as url:
        yield url
        app.state.workbench.recalibration.wait()  # the background full build, if any


def add_editor(team: TeamFixture, name: str) -> str:
    username = f"{name}-{team.ward}"
    with session_scope() as session:
        service.add_member(
            session,
            team.ward,
            name,
            username=username,
            password_hash=password_hash(),
            role="editor",
        )
    return username


def signed_in(url: str, username: str) -> Console:
    console = Console(url)
    assert console.login(username).status_code == 303
    return console
