"""Fuzzed bodies against the running gateway over HTTP: 10,000 for /api/messages and 2,000
for each webhook (authenticated, so the body is read): never a 5xx, never a crash."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.telegram.runner import SECRET_HEADER
from bot.channels.zalo.webhook import signature
from bot.gateway.app import create_app
from bot.settings import Settings
from tests.channels.fake_telegram import FakeTelegram
from tests.channels.fake_zalo import FakeZalo
from tests.fakes.rasa import FakeRasa
from tests.fakes.servers import serve

APP_ID, OA_SECRET, HOOK_SECRET = "app-1", "oa-secret", "hook_secret-1"


# Deterministic: CI sees the same bodies every run; a failure prints the body.
def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False),
    st.text(max_size=40),  # lone surrogates included: JSON escapes carry them
    st.sampled_from(["", "0" * 4000, "\ud800", "/request_human", "/greet", "mac=zz", "ÿ"]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def shaped(keys: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Objects that look like the real thing, with any value in any field."""
    return st.fixed_dictionaries(
        {}, optional={k: st.one_of(v, json_values) for k, v in keys.items()}
    )


web_bodies = st.one_of(
    shaped(
        {
            "sender": st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True),
            "text": st.text(),
            "ward": st.text(max_size=10),
        }
    ),
    json_values,
)
zalo_bodies = st.one_of(
    shaped(
        {
            "event_name": st.sampled_from(["user_send_text", "follow", "user_send_image", "x"]),
            "sender": shaped({"id": st.text(max_size=8)}),
            "follower": shaped({"id": st.text(max_size=8)}),
            "message": shaped({"text": st.text(), "msg_id": st.text(max_size=8)}),
            "timestamp": st.one_of(st.just(str(int(time.time() * 1000))), st.text(max_size=20)),
        }
    ),
    json_values,
)
telegram_bodies = st.one_of(
    shaped(
        {
            "update_id": st.integers(),
            "message": shaped(
                {
                    "message_id": st.integers(),
                    "date": st.integers(),
                    "chat": shaped({"id": st.integers(), "type": st.just("private")}),
                    "text": st.text(),
                }
            ),
            "callback_query": shaped({"id": st.text(), "data": st.text()}),
        }
    ),
    json_values,
)
raw_bodies = st.one_of(
    st.binary(max_size=200),
    st.just(b"[" * 100_000),  # nesting deeper than the JSON parser's recursion limit
    st.just(b'{"a":' * 5000),
)


def encode(body: Any) -> bytes:
    return body if isinstance(body, bytes) else json.dumps(body).encode()


@pytest.fixture(scope="module")
def gateway(migrated_db: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    rasa, zalo, telegram = FakeRasa(), FakeZalo(), FakeTelegram()
    with (
        serve(rasa.app) as rasa_url,
        serve(zalo.app) as zalo_url,
        serve(telegram.app) as telegram_url,
    ):
        config = Settings(
            var_dir=tmp_path_factory.mktemp("fuzz"),
            rasa_port=int(rasa_url.rsplit(":", 1)[1]),
            rasa_token="secret",
            zalo_app_id=APP_ID,
            zalo_oa_secret_key=OA_SECRET,
            zalo_app_secret="app-secret",
            zalo_access_token="access-0",
            zalo_refresh_token="refresh-0",
            zalo_api_base=zalo_url,
            zalo_oauth_base=zalo_url,
            telegram_bot_token=telegram.token,
            telegram_api_base=telegram_url,
            telegram_webhook_base_url="https://tro-ly.example.vn",
            telegram_webhook_secret=HOOK_SECRET,
            # every fuzzed body comes from one address: let them all reach the dispatcher
            web_messages_per_sender_per_minute=10**6,
            web_messages_per_address_per_minute=10**6,
        )
        with (
            serve(create_app(config), lifespan=True) as url,
            httpx.Client(base_url=url, timeout=30) as client,
        ):
            yield client


def no_server_error(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])


@fuzz(10_000)
@given(body=st.one_of(web_bodies, raw_bodies))
def test_web_chat_never_answers_5xx(gateway: httpx.Client, body: Any) -> None:
    headers = {"Content-Type": "application/json"}
    no_server_error(gateway.post("/api/messages", content=encode(body), headers=headers))


@fuzz(2_000)
@given(body=st.one_of(telegram_bodies, raw_bodies), secret=st.sampled_from([HOOK_SECRET, "ÿ", ""]))
def test_telegram_webhook_never_answers_5xx(gateway: httpx.Client, body: Any, secret: str) -> None:
    headers = {SECRET_HEADER: secret.encode("latin-1")}  # bytes: a non-ASCII header
    no_server_error(gateway.post("/webhooks/telegram", content=encode(body), headers=headers))


def test_a_telegram_update_with_ids_of_the_wrong_type_is_refused(gateway: httpx.Client) -> None:
    # Found by the fuzzing above (on PostgreSQL, by chance): python-telegram-bot reads any
    # JSON into an Update, and a list as a user id broke the per-person order (500).
    for bad in ([1], "12", {"a": 1}, 1.5):
        update = {
            "update_id": 7,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": bad, "type": "private"},
                "from": {"id": bad, "is_bot": False, "first_name": "A"},
                "text": "xin chào",
            },
        }
        response = gateway.post(
            "/webhooks/telegram", json=update, headers={SECRET_HEADER: HOOK_SECRET}
        )
        assert response.status_code == 400, (bad, response.status_code)


@fuzz(2_000)
@given(body=st.one_of(zalo_bodies, raw_bodies), mangle=st.sampled_from(["", "mac=", "ÿ"]))
def test_zalo_webhook_never_answers_5xx(gateway: httpx.Client, body: Any, mangle: str) -> None:
    raw = encode(body)
    timestamp = str(body.get("timestamp", "")) if isinstance(body, dict) else ""
    readable = timestamp.isascii() and timestamp.isdigit()
    mac = signature(APP_ID, raw, timestamp, OA_SECRET) if readable else "0" * 64
    header = (mac if mangle != "ÿ" else mangle + mac[:10]) if mangle != "mac=" else "mac=" + mac
    response = gateway.post(
        "/webhooks/zalo", content=raw, headers={"X-ZEvent-Signature": header.encode("latin-1")}
    )
    no_server_error(response)


def test_bodies_over_the_limit_are_refused_before_they_are_read(gateway: httpx.Client) -> None:
    big = b'{"sender": "a", "text": "' + b"x" * 2_000_000 + b'"}'
    for path in ("/api/messages", "/webhooks/zalo", "/webhooks/telegram"):
        response = gateway.post(path, content=big, headers={"Content-Type": "application/json"})
        assert response.status_code == 413, path
        assert "quá lớn" in response.json()["detail"]


def test_zalo_checks_the_url_with_an_unsigned_empty_event(gateway: httpx.Client) -> None:
    # Saving the webhook URL in Zalo's console posts {} without a signature.
    assert gateway.post("/webhooks/zalo", content=b"{}").status_code == 200


def test_a_streamed_body_over_the_limit_is_cut_off(gateway: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"sender": "a", "text": "'
        for _ in range(40):
            yield b"x" * 10_000
        yield b'"}'

    response = gateway.post("/api/messages", content=chunks())
    assert response.status_code == 413
