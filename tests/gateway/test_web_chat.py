"""The gateway's web channel and health against a fake Rasa over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from bot.conversation.inbox import InboxMessage
from bot.conversation.models import UndeliveredMessage
from bot.db import session_scope
from bot.gateway.app import create_app
from bot.settings import Settings
from bot.texts import APOLOGY
from tests.fakes.rasa import FakeRasa
from tests.fakes.servers import free_port, serve


@pytest.fixture(scope="module")
def fake_rasa() -> Iterator[tuple[FakeRasa, int]]:
    fake = FakeRasa()
    with serve(fake.app) as url:
        yield fake, int(urlsplit(url).port or 0)


@pytest.fixture
async def client(
    fake_rasa: tuple[FakeRasa, int], migrated_db: None
) -> AsyncIterator[httpx.AsyncClient]:
    fake, port = fake_rasa
    fake.mode = "ok"
    settings = Settings(
        rasa_port=port, rasa_token="secret", action_server_port=port, rasa_timeout_seconds=1.0
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            yield http


async def test_message_round_trip_renders_text_and_buttons(
    client: httpx.AsyncClient, fake_rasa: tuple[FakeRasa, int]
) -> None:
    response = await client.post("/api/messages", json={"sender": "abc-1", "text": "xin chào"})
    assert response.status_code == 200
    messages = response.json()["messages"]
    assert messages[0]["text"] == "echo: xin chào"
    assert messages[0]["buttons"] == [{"title": "Gặp người hỗ trợ", "payload": "/request_human"}]
    sent = fake_rasa[0].received[-1]
    assert sent["sender"] == "web:abc-1"
    assert sent["metadata"]["channel"] == "web"


async def test_what_became_of_a_message_is_recorded_not_sent(
    client: httpx.AsyncClient, fake_rasa: tuple[FakeRasa, int]
) -> None:
    from bot.conversation.outcomes import MessageOutcome, outcome_marker
    from bot.privacy import resident_key

    question = "quen mat khau vneid lam sao"
    fake_rasa[0].scripted[question] = [
        {"text": "Bấm Quên mật khẩu trên ứng dụng."},
        {"custom": outcome_marker("answered", "vneid-forgot-password", "vneid", 0.8)},
    ]
    response = await client.post(
        "/api/messages", json={"sender": "abc-2", "text": question, "ward": "tay-ho"}
    )
    assert [m["text"] for m in response.json()["messages"]] == ["Bấm Quên mật khẩu trên ứng dụng."]
    with session_scope() as session:
        row = session.scalars(
            select(MessageOutcome).where(MessageOutcome.resident == resident_key("web:abc-2"))
        ).one()
        assert (row.kind, row.article_id, row.topic, row.ward, row.channel) == (
            "answered",
            "vneid-forgot-password",
            "vneid",
            "tay-ho",
            "web",
        )
    # A reply without a marker (a greeting) still counts, as "other".
    await client.post("/api/messages", json={"sender": "abc-2", "text": "xin chào"})
    with session_scope() as session:
        kinds = session.scalars(
            select(MessageOutcome.kind).where(MessageOutcome.resident == resident_key("web:abc-2"))
        ).all()
    assert sorted(kinds) == ["answered", "other"]


@pytest.mark.parametrize("mode", ["slow", "error", "empty"])
async def test_rasa_trouble_gives_apology_and_keeps_message(
    client: httpx.AsyncClient, fake_rasa: tuple[FakeRasa, int], mode: str
) -> None:
    fake_rasa[0].mode, fake_rasa[0].delay = mode, 2.0
    text = f"tin nhắn khi rasa {mode}"
    response = await client.post("/api/messages", json={"sender": "abc-2", "text": text})
    assert response.status_code == 200
    assert response.json()["messages"] == [
        {"text": APOLOGY, "buttons": [], "image": None, "custom": None}
    ]
    with session_scope() as session:
        kept = session.scalars(select(UndeliveredMessage).where(UndeliveredMessage.text == text))
        assert [m.sender for m in kept] == ["web:abc-2"]


async def test_rasa_down_gives_apology() -> None:
    settings = Settings(rasa_port=free_port(), rasa_timeout_seconds=1.0)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            response = await http.post("/api/messages", json={"sender": "x", "text": "alo"})
            assert response.json()["messages"][0]["text"] == APOLOGY
            health = await http.get("/healthz")
            assert health.status_code == 503
            assert health.json()["checks"]["rasa"]["ok"] is False


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"sender": "abc", "text": "   "}, "chưa nhập nội dung"),
        ({"sender": "abc", "text": "a" * 4001}, "dài quá"),
        ({"sender": "bad sender!", "text": "hi"}, "không hợp lệ"),
        ({"text": "hi"}, "không hợp lệ"),
    ],
)
async def test_bad_input_gets_vietnamese_error(
    client: httpx.AsyncClient, body: dict[str, str], fragment: str
) -> None:
    response = await client.post("/api/messages", json=body)
    assert response.status_code == 422
    assert fragment in response.json()["detail"]


async def test_health_ok_when_everything_is_up(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "ok"


async def test_page_is_served(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200 and "Trợ lý dịch vụ công" in page.text
    assert (await client.get("/static/chat.js")).status_code == 200
    # No other site may frame it or inject scripts; the API's docs are off by default.
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert (await client.get("/api/docs")).status_code == 404


async def test_a_ward_portal_may_frame_the_chat(migrated_db: None) -> None:
    settings = Settings(web_chat_frame_ancestors="https://phuong.example.gov.vn")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            page = await http.get("/")
    assert (
        "frame-ancestors https://phuong.example.gov.vn" in page.headers["content-security-policy"]
    )
    assert "x-frame-options" not in page.headers


async def test_health_never_shows_the_rasa_token(fake_rasa: tuple[FakeRasa, int]) -> None:
    settings = Settings(rasa_port=fake_rasa[1], rasa_token="wrong-token-value")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            health = await http.get("/healthz")
    assert health.status_code == 503
    assert "wrong-token-value" not in health.text
    assert health.json()["checks"]["rasa"]["error"] == "HTTP 401"


async def test_pending_messages_are_delivered_once_the_page_acknowledges_them(
    client: httpx.AsyncClient,
) -> None:
    from bot.conversation.outbox import enqueue

    sender = "ack-" + free_port().__str__()
    with session_scope() as session:
        enqueue(session, "web", sender, "Chị Lan: bác mở VNeID giúp cháu")
        enqueue(session, "web", sender, "Hồ sơ của bạn đã có kết quả")
    first = (
        await client.get("/api/messages/pending", params={"sender": sender, "after": 0})
    ).json()
    assert [m["text"] for m in first["messages"]] == [
        "Chị Lan: bác mở VNeID giúp cháu",
        "Hồ sơ của bạn đã có kết quả",
    ]
    # The answer never reached the phone: the next poll (same "after") gets them again.
    again = (
        await client.get("/api/messages/pending", params={"sender": sender, "after": 0})
    ).json()
    assert again["messages"] == first["messages"] and again["last"] == first["last"]
    done = await client.get(
        "/api/messages/pending", params={"sender": sender, "after": first["last"]}
    )
    assert done.json()["messages"] == [] and done.json()["last"] == first["last"]


async def test_a_sender_sending_too_fast_is_asked_to_wait(client: httpx.AsyncClient) -> None:
    sender = f"fast-{free_port()}"
    codes = []
    for i in range(21):
        response = await client.post("/api/messages", json={"sender": sender, "text": f"câu {i}"})
        codes.append(response.status_code)
    assert codes[:20] == [200] * 20 and codes[20] == 429
    assert "nhanh quá" in response.json()["detail"]
    # The limits are checked in the transaction that stores the message: the refused one
    # is not in the inbox (it would be answered later), the others are.
    with session_scope() as session:
        stored = session.scalars(select(InboxMessage).where(InboxMessage.user_id == sender))
        assert len(stored.all()) == 20


async def test_rasa_keeps_no_id_number_phone_or_address(
    client: httpx.AsyncClient, fake_rasa: tuple[FakeRasa, int]
) -> None:
    fake, _ = fake_rasa
    text = "CCCD 079-093-001-234, sđt0912345678, hồ sơ G22.123-241015-0012 xong chưa"
    response = await client.post("/api/messages", json={"sender": "privacy-1", "text": text})
    assert response.status_code == 200
    sent = fake.received[-1]
    assert sent["message"] == (
        "CCCD *********234, sđt*******678, hồ sơ G22.123-241015-0012 xong chưa"
    )  # the application code stays: the look-up needs it
    address = sent["metadata"]["address"]
    assert address and "127.0.0.1" not in address and len(address) == 32
