"""The Zalo webhook through the real gateway over HTTP, with fake Rasa and fake Zalo."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete

from bot.channels.zalo.tokens import ZaloToken
from bot.channels.zalo.webhook import NOT_TEXT, signature
from bot.db import session_scope
from bot.gateway.app import create_app
from bot.settings import Settings
from tests.channels.fake_zalo import FakeZalo
from tests.fakes.rasa import FakeRasa
from tests.fakes.servers import serve

APP_ID, OA_SECRET = "app-1", "oa-secret"


@pytest.fixture(scope="module")
def stack(
    migrated_db: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, FakeRasa, FakeZalo]]:
    with session_scope() as session:
        session.execute(delete(ZaloToken))
    rasa, zalo = FakeRasa(), FakeZalo()
    with serve(rasa.app) as rasa_url, serve(zalo.app) as zalo_url:
        settings = Settings(
            var_dir=tmp_path_factory.mktemp("zalo"),
            rasa_port=int(rasa_url.rsplit(":", 1)[1]),
            rasa_token="secret",
            zalo_app_id=APP_ID,
            zalo_oa_secret_key=OA_SECRET,
            zalo_app_secret="app-secret",
            zalo_access_token="access-0",
            zalo_refresh_token="refresh-0",
            zalo_api_base=zalo_url,
            zalo_oauth_base=zalo_url,
        )
        with serve(create_app(settings), lifespan=True) as gateway_url:
            yield gateway_url, rasa, zalo


def post_event(
    url: str,
    event: dict[str, Any],
    sign: Callable[[bytes, str], str] | None = None,
    prefix: str = "",
) -> httpx.Response:
    body = json.dumps(event).encode()
    mac = (sign or (lambda b, t: signature(APP_ID, b, t, OA_SECRET)))(body, event["timestamp"])
    return httpx.post(
        f"{url}/webhooks/zalo",
        content=body,
        headers={"X-ZEvent-Signature": prefix + mac, "Content-Type": "application/json"},
    )


SENT_BY: dict[str, str] = {}  # Zalo msg_id -> the resident who sent it


def text_event(
    text: str, user: str | None = None, msg_id: str | None = None, age_ms: int = 0
) -> dict[str, Any]:
    user, msg_id = user or uuid.uuid4().hex, msg_id or uuid.uuid4().hex
    SENT_BY[msg_id] = user
    return {
        "event_name": "user_send_text",
        "app_id": APP_ID,
        "sender": {"id": user},
        "recipient": {"id": "oa"},
        "message": {"text": text, "msg_id": msg_id},
        "timestamp": str(int(time.time() * 1000) - age_ms),
    }


def wait_for(predicate: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def sent_to(zalo: FakeZalo, user: str) -> list[dict[str, Any]]:
    """Messages to ``user``: by user id, or as replies to one of their messages."""
    return [
        m["message"]
        for m in zalo.sent
        if m["recipient"].get("user_id") == user
        or SENT_BY.get(m["recipient"].get("message_id", "")) == user
    ]


def test_text_in_answer_out_with_buttons(stack: tuple[str, FakeRasa, FakeZalo]) -> None:
    url, rasa, zalo = stack
    user, msg_id = uuid.uuid4().hex, uuid.uuid4().hex
    started = time.monotonic()
    assert post_event(url, text_event("quên mật khẩu", user, msg_id)).status_code == 200
    assert time.monotonic() - started < 1.0  # acknowledged before the answer is computed
    wait_for(lambda: len(sent_to(zalo, user)) == 2)
    first, second = sent_to(zalo, user)
    assert first["text"] == "echo: quên mật khẩu"
    assert first["attachment"]["payload"]["buttons"][0]["payload"] == "/request_human"
    assert second["text"].startswith("Nguồn:")
    assert rasa.received[-1]["sender"] == f"zalo:{user}"
    # Replies name the message they answer: Zalo counts them as replies, not proactive.
    replies = [m["recipient"] for m in zalo.sent if "message_id" in m["recipient"]]
    assert replies.count({"message_id": msg_id}) == 2


def test_mac_prefix_accepted(stack: tuple[str, FakeRasa, FakeZalo]) -> None:
    url, _, zalo = stack
    user = uuid.uuid4().hex
    assert post_event(url, text_event("alo", user), prefix="mac=").status_code == 200
    wait_for(lambda: len(sent_to(zalo, user)) == 2)


@pytest.mark.parametrize("case", ["wrong key", "tampered", "stale"])
def test_bad_or_stale_signatures_are_refused(
    stack: tuple[str, FakeRasa, FakeZalo], case: str
) -> None:
    url, rasa, _ = stack
    before = len(rasa.received)
    event = text_event("hi", age_ms=10 * 60 * 1000 if case == "stale" else 0)
    if case == "wrong key":
        response = post_event(url, event, lambda b, t: signature(APP_ID, b, t, "other"))
    elif case == "tampered":
        response = post_event(url, event, lambda b, t: signature(APP_ID, b + b" ", t, OA_SECRET))
    else:
        response = post_event(url, event)
    assert response.status_code == 403
    time.sleep(0.2)
    assert len(rasa.received) == before


def test_duplicate_delivery_processed_once(stack: tuple[str, FakeRasa, FakeZalo]) -> None:
    url, _, zalo = stack
    user, msg_id = uuid.uuid4().hex, uuid.uuid4().hex
    for _ in range(3):
        assert post_event(url, text_event("xin chào", user, msg_id)).status_code == 200
    wait_for(lambda: len(sent_to(zalo, user)) == 2)
    time.sleep(0.3)
    assert len(sent_to(zalo, user)) == 2


def test_follow_greets_and_images_get_a_polite_reply(
    stack: tuple[str, FakeRasa, FakeZalo],
) -> None:
    url, rasa, zalo = stack
    follower = uuid.uuid4().hex
    follow = {
        "event_name": "follow",
        "app_id": APP_ID,
        "follower": {"id": follower},
        "timestamp": str(int(time.time() * 1000)),
    }
    assert post_event(url, follow).status_code == 200
    wait_for(lambda: len(sent_to(zalo, follower)) >= 1)
    assert rasa.received[-1]["message"] == "/greet"
    image = {
        "event_name": "user_send_image",
        "app_id": APP_ID,
        "sender": {"id": follower},
        "message": {"msg_id": uuid.uuid4().hex},
        "timestamp": str(int(time.time() * 1000)),
    }
    assert post_event(url, image).status_code == 200
    wait_for(lambda: any(m.get("text") == NOT_TEXT for m in sent_to(zalo, follower)))


def test_zalo_down_then_recovering(stack: tuple[str, FakeRasa, FakeZalo]) -> None:
    url, _, zalo = stack
    user = uuid.uuid4().hex
    zalo.fail_next_5xx = 2  # two failures, then the retry succeeds
    assert post_event(url, text_event("hello", user)).status_code == 200
    wait_for(lambda: len(sent_to(zalo, user)) == 2, seconds=10)


def test_not_json_is_400(stack: tuple[str, FakeRasa, FakeZalo], tmp_path: Path) -> None:
    url, _, _ = stack
    assert httpx.post(f"{url}/webhooks/zalo", content=b"nope").status_code == 400
