"""Pushing queued status updates: delivered once, retried on failure, dropped when final."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from bot.conversation.outbox import OutboxMessage, PermanentFailure, push_once
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
    with session_scope() as session:  # the flaky one waits for its retry time
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == flaky)).one()
        assert row.attempts == 1 and row.next_attempt_at is not None
        row.next_attempt_at = None  # due now
    await push_once({"telegram": send})  # the flaky one is retried, the others are done
    await push_once({"telegram": send})
    assert sent.count(flaky) == 1 and sent.count(ok) == 1
    with session_scope() as session:
        rows = {
            r.user_id: r
            for r in session.scalars(
                select(OutboxMessage).where(OutboxMessage.user_id.in_([ok, flaky, refused]))
            )
        }
        assert rows[ok].delivered_at and rows[flaky].delivered_at
        assert rows[refused].failed_at and rows[refused].failure == "outside the window"
