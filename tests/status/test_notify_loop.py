"""Pushing queued status updates: delivered once, retried on failure, dropped when final."""

from __future__ import annotations

import uuid

from bot.conversation.outbox import OutboxMessage, PermanentFailure, push_once, take_pending
from bot.db import session_scope


async def test_push_marks_delivered_only_after_success(migrated_db: None) -> None:
    ok, flaky, refused = (uuid.uuid4().hex for _ in range(3))
    with session_scope() as session:
        for user in (ok, flaky, refused):
            session.add(OutboxMessage(channel="telegram", user_id=user, text=f"cho {user}"))
    sent: list[str] = []
    attempts = {"flaky": 0}

    async def send(user_id: str, text: str) -> None:
        if user_id == flaky and attempts["flaky"] == 0:
            attempts["flaky"] += 1
            raise ConnectionError("network down")
        if user_id == refused:
            raise PermanentFailure("outside the window")
        sent.append(user_id)

    await push_once({"telegram": send})
    assert ok in sent and flaky not in sent
    await push_once({"telegram": send})  # the flaky one is retried, the others are done
    assert sent.count(flaky) == 1 and sent.count(ok) == 1
    with session_scope() as session:
        for user in (ok, flaky, refused):
            assert take_pending(session, "telegram", user) == []
