"""The Zalo client over real HTTP against a local fake: send, refresh, retries, errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete

from bot.channels.zalo.client import ZaloClient
from bot.channels.zalo.errors import (
    ZaloError,
    ZaloOutsideWindow,
    ZaloRateLimited,
    ZaloUnavailable,
)
from bot.channels.zalo.tokens import TokenPair, TokenStore, ZaloToken
from bot.db import session_scope
from tests.channels.fake_zalo import FakeZalo
from tests.fakes.servers import free_port, serve


@pytest.fixture
def zalo(migrated_db: None, tmp_path: Path) -> Iterator[tuple[FakeZalo, ZaloClient, TokenStore]]:
    with session_scope() as session:
        session.execute(delete(ZaloToken))
    fake = FakeZalo()
    store = TokenStore(tmp_path / "zalo.lock")
    store.seed("access-0", "refresh-0", expires_in=3600)
    with serve(fake.app) as url:
        yield fake, ZaloClient("app-1", "app-secret", store, api_base=url, oauth_base=url), store


def test_send_text(zalo: tuple[FakeZalo, ZaloClient, TokenStore]) -> None:
    fake, client, _ = zalo
    client.send_text("u1", "Xin chào " + "a" * 3000)
    assert fake.sent[0]["recipient"] == {"user_id": "u1"}
    assert len(fake.sent[0]["message"]["text"]) == 2000


def test_buttons_are_capped(zalo: tuple[FakeZalo, ZaloClient, TokenStore]) -> None:
    fake, client, _ = zalo
    client.send_buttons("u1", "Chọn một mục", [(f"Mục {i}", f"/p{i}") for i in range(7)])
    payload = fake.sent[0]["message"]["attachment"]["payload"]
    assert "template_type" not in payload  # v3's button template, not the old list
    buttons = payload["buttons"]
    assert len(buttons) == 5 and buttons[0] == {
        "title": "Mục 0",
        "type": "oa.query.hide",
        "payload": "/p0",
    }


def test_expired_token_is_refreshed_once_and_persisted(
    zalo: tuple[FakeZalo, ZaloClient, TokenStore],
) -> None:
    fake, client, store = zalo
    fake.valid_access = {"something-else"}  # Zalo says -216 for access-0
    client.send_text("u1", "hi")
    assert fake.refreshes == 1 and len(fake.sent) == 1
    stored = store.load()
    assert stored is not None and stored.access_token == "access-1"
    assert stored.refresh_token == "refresh-1"


def test_token_refreshed_before_expiry(zalo: tuple[FakeZalo, ZaloClient, TokenStore]) -> None:
    fake, client, store = zalo
    store.save(TokenPair("access-0", "refresh-0", datetime.now(UTC) + timedelta(minutes=1)))
    client.send_text("u1", "hi")
    assert fake.refreshes == 1


def test_concurrent_refreshes_spend_the_refresh_token_once(
    zalo: tuple[FakeZalo, ZaloClient, TokenStore], tmp_path: Path
) -> None:
    fake, client, store = zalo
    fake.valid_access = set()
    spent = store.load()
    errors: list[BaseException] = []

    def refresh() -> None:
        try:
            TokenStore(tmp_path / "zalo.lock").refresh(spent, client._exchange)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=refresh) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and fake.refreshes == 1


def test_5xx_is_retried_then_succeeds(zalo: tuple[FakeZalo, ZaloClient, TokenStore]) -> None:
    fake, client, _ = zalo
    fake.fail_next_5xx = 2
    client.send_text("u1", "hi")
    assert len(fake.sent) == 1


def test_zalo_error_codes_are_not_retried(zalo: tuple[FakeZalo, ZaloClient, TokenStore]) -> None:
    fake, client, _ = zalo
    fake.answer_error = -213
    with pytest.raises(ZaloOutsideWindow):
        client.send_text("u1", "hi")
    fake.answer_error = -230  # no interaction for 7 days: this message cannot go
    with pytest.raises(ZaloOutsideWindow):
        client.send_text("u1", "hi")
    fake.answer_error = -32  # a sending limit: not permanent, the outbox tries again later
    with pytest.raises(ZaloRateLimited):
        client.send_text("u1", "hi")
    fake.answer_error = -201
    with pytest.raises(ZaloError, match="-201"):
        client.send_text("u1", "hi")


def test_unreachable_zalo(migrated_db: None, tmp_path: Path) -> None:
    with session_scope() as session:
        session.execute(delete(ZaloToken))
    store = TokenStore(tmp_path / "zalo.lock")
    store.seed("access-0", "refresh-0", expires_in=3600)
    url = f"http://127.0.0.1:{free_port()}"
    client = ZaloClient("app-1", "app-secret", store, api_base=url, oauth_base=url, attempts=2)
    with pytest.raises(ZaloUnavailable):
        client.send_text("u1", "hi")
