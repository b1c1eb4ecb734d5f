"""The inbox's guarantees against the real database: a message is written down before it
is acknowledged, stored once per platform id, done only after its replies were handed
over, and answered later — in each resident's order — when a crash or an outage left it
open."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from bot.conversation.dispatcher import Handled
from bot.conversation.inbox import Inbox, InboxMessage, store
from bot.conversation.messages import OutgoingMessage
from bot.db import session_scope
from bot.db.base import utcnow
from bot.texts import APOLOGY


class FakeDispatcher:
    def __init__(self) -> None:
        self.up = True
        self.seen: list[str] = []

    async def handle(self, channel: str, user_id: str, text: str, meta: Any = None) -> Handled:
        self.seen.append(text)
        if not self.up:
            return Handled([OutgoingMessage(text=APOLOGY)], answered=False)
        return Handled([OutgoingMessage(text=f"trả lời: {text}")])


class Phone:
    def __init__(self) -> None:
        self.got: list[str] = []

    async def __call__(self, user_id: str, messages: list[OutgoingMessage]) -> None:
        self.got += [m.text for m in messages]


def row(message_id: int) -> InboxMessage:
    with session_scope() as session:
        found = session.get(InboxMessage, message_id)
        assert found is not None
        session.expunge(found)
        return found


def expire(*ids: int) -> None:
    """What a crash leaves: the holder's lease runs out (or a retry falls due)."""
    with session_scope() as session:
        session.execute(
            update(InboxMessage)
            .where(InboxMessage.id.in_(ids))
            .values(claimed_until=utcnow() - timedelta(seconds=1), next_attempt_at=None)
        )


async def test_a_message_is_stored_once_and_done_after_its_reply(migrated_db: None) -> None:
    inbox, phone, user = Inbox(FakeDispatcher()), Phone(), uuid.uuid4().hex  # type: ignore[arg-type]
    message_id = await inbox.accept("zalo", user, "quên mật khẩu", platform_id=f"m-{user}")
    assert message_id is not None
    assert await inbox.accept("zalo", user, "quên mật khẩu", platform_id=f"m-{user}") is None
    assert row(message_id).done_at is None  # written down before anything else
    await inbox.answer(message_id, "zalo", user, "quên mật khẩu", phone)
    assert phone.got == ["trả lời: quên mật khẩu"]
    assert row(message_id).done_at is not None and row(message_id).outcome == "answered"
    assert row(message_id).text == ""  # not kept once answered
    assert await inbox.accept("zalo", user, "quên mật khẩu", platform_id=f"m-{user}") is None


async def test_a_message_a_crash_left_open_is_answered_later(migrated_db: None) -> None:
    dispatcher = FakeDispatcher()
    inbox, phone, user = Inbox(dispatcher), Phone(), uuid.uuid4().hex  # type: ignore[arg-type]
    first = await inbox.accept("telegram", user, "câu một", platform_id=f"1-{user}")
    second = await inbox.accept("telegram", user, "câu hai", platform_id=f"2-{user}")
    assert first and second
    await inbox.recover_once({"telegram": phone})
    assert phone.got == []  # still held by the process that accepted them
    expire(first, second)  # ...which died before answering
    await inbox.recover_once({"telegram": phone})
    await inbox.recover_once({"telegram": phone})
    assert [t for t in phone.got if t.startswith("trả lời")] == [
        "trả lời: câu một",
        "trả lời: câu hai",
    ]
    assert phone.got[0].startswith("Trả lời tin nhắn của bạn lúc")  # says which message
    assert row(first).outcome == row(second).outcome == "replayed"


async def test_an_apology_is_followed_by_the_answer_when_the_assistant_is_back(
    migrated_db: None,
) -> None:
    dispatcher = FakeDispatcher()
    inbox, phone, user = Inbox(dispatcher), Phone(), uuid.uuid4().hex  # type: ignore[arg-type]
    dispatcher.up = False
    message_id = await inbox.accept("web", user, "lệ phí hộ chiếu")
    assert message_id is not None
    await inbox.answer(message_id, "web", user, "lệ phí hộ chiếu", phone)
    assert phone.got == [APOLOGY]
    waiting = row(message_id)
    assert waiting.done_at is None and waiting.attempts == 1 and waiting.next_attempt_at
    expire(message_id)
    await inbox.recover_once({"web": phone})  # still down: nothing more is said
    assert phone.got == [APOLOGY] and row(message_id).attempts == 2
    dispatcher.up = True
    expire(message_id)
    await inbox.recover_once({"web": phone})
    assert phone.got[-1] == "trả lời: lệ phí hộ chiếu"
    assert row(message_id).outcome == "replayed"


def test_a_late_answer_names_the_time_in_vietnam() -> None:
    from datetime import datetime

    from bot.conversation.inbox import replay_note

    note = replay_note("lệ phí hộ chiếu", datetime(2026, 12, 6, 3, 5))  # naive UTC (SQLite)
    assert note.text == 'Trả lời tin nhắn của bạn lúc 10:05: "lệ phí hộ chiếu"'


def test_a_nul_character_is_dropped_not_a_database_error(migrated_db: None) -> None:
    # PostgreSQL refuses NUL in text columns; a fuzzed web body found it.
    message_id = store("web", uuid.uuid4().hex, "xin\x00 chào", "nul:1", {})
    assert message_id is not None
    with session_scope() as session:
        row = session.get(InboxMessage, message_id)
        assert row is not None and row.text == "xin chào"
