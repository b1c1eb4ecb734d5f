"""The Telegram channel: real python-telegram-bot code against a fake Bot API over HTTP."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.channels.telegram.bot import NOT_TEXT
from bot.conversation.inbox import InboxMessage
from bot.db import session_scope
from bot.gateway.app import create_app
from bot.settings import Settings
from tests.channels.fake_telegram import FakeTelegram
from tests.fakes.rasa import FakeRasa
from tests.fakes.servers import serve


def wait_for(predicate: Callable[[], bool], seconds: float = 8.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakeRasa, FakeTelegram, str, str]]:
    rasa, telegram = FakeRasa(), FakeTelegram()
    with serve(rasa.app) as rasa_url, serve(telegram.app) as telegram_url:
        yield rasa, telegram, rasa_url, telegram_url


def gateway(fakes: tuple[FakeRasa, FakeTelegram, str, str], **extra: Any) -> Settings:
    _, telegram, rasa_url, telegram_url = fakes
    return Settings(
        rasa_port=int(rasa_url.rsplit(":", 1)[1]),
        rasa_token="secret",
        telegram_bot_token=telegram.token,
        telegram_api_base=telegram_url,
        telegram_poll_timeout_seconds=1,
        **extra,
    )


@pytest.fixture(scope="module")
def polling(
    fakes: tuple[FakeRasa, FakeTelegram, str, str], migrated_db: None
) -> Iterator[tuple[FakeRasa, FakeTelegram]]:
    with serve(create_app(gateway(fakes)), lifespan=True):
        yield fakes[0], fakes[1]


def chat() -> int:
    return random.randint(10**8, 10**9)


def test_text_in_answer_out_with_inline_keyboard(polling: tuple[FakeRasa, FakeTelegram]) -> None:
    rasa, telegram = polling
    user = chat()
    telegram.message(user, "quên mật khẩu vneid")
    wait_for(lambda: len(telegram.to(user)) == 2)
    first, second = telegram.to(user)
    assert first["text"] == "echo: quên mật khẩu vneid"
    assert second["text"].startswith("Nguồn:")
    button = first["reply_markup"]["inline_keyboard"][0][0]
    assert button["text"] == "Gặp người hỗ trợ" and button["callback_data"].startswith("b:")
    assert len(button["callback_data"].encode()) <= 64
    assert "parse_mode" not in first
    assert rasa.received[-1]["sender"] == f"telegram:{user}"

    telegram.press(user, button["callback_data"])  # the press comes back as the payload
    wait_for(lambda: rasa.received[-1]["message"] == "/request_human")


def test_start_and_help(polling: tuple[FakeRasa, FakeTelegram]) -> None:
    rasa, telegram = polling
    user = chat()
    telegram.message(user, "/start")
    wait_for(
        lambda: any(
            r["message"] == "/greet" and r["sender"] == f"telegram:{user}" for r in rasa.received
        )
    )
    telegram.message(user, "/help")
    wait_for(lambda: any(r["message"] == "/ask_capabilities" for r in rasa.received))


def test_long_messages_split_under_the_limit(polling: tuple[FakeRasa, FakeTelegram]) -> None:
    _, telegram = polling
    user = chat()
    text = "\n".join(f"Đoạn {i}: " + "chữ " * 60 for i in range(40))  # ~10,000 characters
    telegram.message(user, text)
    wait_for(lambda: len(telegram.to(user)) >= 3)
    assert all(len(m["text"]) <= 4096 for m in telegram.to(user))


def test_telegram_failing_then_recovering(polling: tuple[FakeRasa, FakeTelegram]) -> None:
    _, telegram = polling
    user = chat()
    telegram.fail_sends = 2  # Telegram answers 502 twice, then works again
    telegram.message(user, "alo")
    wait_for(lambda: len(telegram.to(user)) == 2)
    assert telegram.to(user)[0]["text"] == "echo: alo"


def test_non_text_gets_a_polite_reply(polling: tuple[FakeRasa, FakeTelegram]) -> None:
    _, telegram = polling
    user = chat()
    telegram.message(
        user,
        None,
        sticker={
            "file_id": "s",
            "file_unique_id": "s",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
        },
    )
    wait_for(lambda: len(telegram.to(user)) == 1)
    assert telegram.to(user)[0]["text"] == NOT_TEXT


def stored(channel: str, user_id: str) -> int:
    with session_scope() as session:
        return len(
            session.scalars(
                select(InboxMessage).where(
                    InboxMessage.channel == channel, InboxMessage.user_id == user_id
                )
            ).all()
        )


def test_webhook_mode_checks_the_secret_and_processes_once(
    fakes: tuple[FakeRasa, FakeTelegram, str, str], migrated_db: None
) -> None:
    rasa, telegram, _, _ = fakes
    settings = gateway(
        fakes,
        telegram_webhook_base_url="https://tro-ly.example.vn",
        telegram_webhook_secret="s3cret_token-1",
    )
    with serve(create_app(settings), lifespan=True) as url:
        assert telegram.webhook["url"] == "https://tro-ly.example.vn/webhooks/telegram"
        assert telegram.webhook["secret_token"] == "s3cret_token-1"
        user = chat()
        update = telegram.message(user, "xin chào")
        telegram.updates.remove(update)  # delivered by webhook, not by polling
        hook = f"{url}/webhooks/telegram"
        assert httpx.post(hook, json=update).status_code == 403
        assert (
            httpx.post(
                hook, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            ).status_code
            == 403
        )
        time.sleep(0.3)
        assert telegram.to(user) == []
        for attempt in range(3):  # Telegram retrying the same update
            response = httpx.post(
                hook, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret_token-1"}
            )
            assert response.status_code == 200
            if attempt == 0:  # acknowledged only once stored and answered
                assert stored("telegram", str(user)) == 1
                assert len(telegram.to(user)) == 2
        wait_for(lambda: len(telegram.to(user)) == 2)
        time.sleep(0.3)
        assert len(telegram.to(user)) == 2
        assert sum(r["sender"] == f"telegram:{user}" for r in rasa.received) == 1


def test_status_update_is_pushed_to_the_subscriber(polling: tuple[FakeRasa, FakeTelegram]) -> None:
    from datetime import date

    from bot.db import session_scope
    from bot.status.models import Application, StatusChange
    from bot.status.notifier import subscribe

    _, telegram = polling
    user = chat()
    code = f"G22.123-241015-{user % 10000:04d}"
    with session_scope() as session:
        app = Application(
            code=code,
            lookup_key=code.replace(".", ""),
            procedure="Tạm trú",
            status="Đang xử lý",
            received_at=date(2024, 10, 15),
        )
        session.add(app)
        session.flush()
        session.add(StatusChange(application_id=app.id, new_status="Đang xử lý"))
        session.flush()
        subscribe(session, app.lookup_key, "telegram", str(user))
        session.add(
            StatusChange(application_id=app.id, old_status="Đang xử lý", new_status="Đã có kết quả")
        )
        app.status = "Đã có kết quả"
    wait_for(lambda: len(telegram.to(user)) == 1)
    assert "Đã có kết quả" in telegram.to(user)[0]["text"]
    time.sleep(0.6)
    assert len(telegram.to(user)) == 1  # once per change
