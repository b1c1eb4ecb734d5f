"""The outbox's guarantees against the real database (SQLite, and PostgreSQL in make
test): one sender per message, permanent refusals end it, transient ones back off without
blocking the rest, each resident's order is kept, the web chat acknowledges."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import timedelta

from sqlalchemy import select, update

from bot.conversation import outbox
from bot.conversation.outbox import OutboxMessage, PermanentFailure
from bot.db import session_scope
from bot.db.base import utcnow

CHANNEL = "test-push"  # no gateway of the other tests pushes this channel


def queue(*users: str) -> list[int]:
    with session_scope() as session:
        return [outbox.enqueue(session, CHANNEL, u, f"cho {u}").id for u in users]


def row(message_id: int) -> OutboxMessage:
    with session_scope() as session:
        found = session.get(OutboxMessage, message_id)
        assert found is not None
        session.expunge(found)
        return found


def due_now(*ids: int) -> None:
    with session_scope() as session:
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(next_attempt_at=None)
        )


def test_workers_claiming_at_once_never_take_the_same_message(migrated_db: None) -> None:
    ids = set(queue(*(uuid.uuid4().hex for _ in range(40))))
    taken: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def worker() -> None:
        start.wait()
        with session_scope() as session:
            mine = [i for i, _, _ in outbox.claim(session, CHANNEL) if i in ids]
        with lock:
            taken.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken) == sorted(ids)  # each once, none twice


async def test_deliver_and_the_loop_never_send_the_same_message_twice(migrated_db: None) -> None:
    user = uuid.uuid4().hex
    sent: list[str] = []
    release = asyncio.Event()

    async def slow(user_id: str, text: str) -> None:
        await release.wait()
        sent.append(text)

    delivering = asyncio.create_task(outbox.deliver({CHANNEL: slow}, CHANNEL, user, "một lần"))
    await asyncio.sleep(0.2)  # deliver holds the lease while the platform is slow
    looping = asyncio.create_task(outbox.push_once({CHANNEL: slow}))
    await asyncio.sleep(0.2)
    release.set()
    await asyncio.gather(delivering, looping)
    assert sent.count("một lần") == 1


async def test_refusals_end_failures_back_off_and_nothing_blocks(migrated_db: None) -> None:
    blocked, flaky, fine = (uuid.uuid4().hex for _ in range(3))
    blocked_id, flaky_id, fine_id = queue(blocked, flaky, fine)
    sent: list[str] = []

    async def send(user_id: str, text: str) -> None:
        if user_id == blocked:
            raise PermanentFailure("Forbidden: bot was blocked by the user")
        if user_id == flaky:
            raise ConnectionError("network down")
        sent.append(user_id)

    for _ in range(3):
        await outbox.push_once({CHANNEL: send})
    assert sent.count(fine) == 1
    gone = row(blocked_id)
    assert gone.failed_at is not None and gone.attempts == 1 and "blocked" in (gone.failure or "")
    waiting = row(flaky_id)  # tried once, then waits: the next tries were not due yet
    assert waiting.attempts == 1 and waiting.next_attempt_at is not None
    assert waiting.delivered_at is None and waiting.failed_at is None
    due_now(flaky_id)
    await outbox.push_once({CHANNEL: send})
    assert row(flaky_id).attempts == 2
    assert row(fine_id).delivered_at is not None


async def test_a_resident_s_messages_keep_their_order(migrated_db: None) -> None:
    user = uuid.uuid4().hex
    first, second = queue(user, user)
    sent: list[int] = []
    failing = {"on": True}

    async def send(user_id: str, text: str) -> None:
        if failing["on"]:
            raise ConnectionError("network down")
        sent.append(len(sent))

    await outbox.push_once({CHANNEL: send})
    assert row(second).attempts == 0  # not tried while the first is unsettled
    await outbox.deliver({CHANNEL: send}, CHANNEL, user, "third")  # waits its turn too
    failing["on"] = False
    due_now(first)
    await outbox.push_once({CHANNEL: send})
    await outbox.push_once({CHANNEL: send})
    await outbox.push_once({CHANNEL: send})
    with session_scope() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.user_id == user).order_by(OutboxMessage.id)
        ).all()
        delivered = [r.delivered_at for r in rows]
    assert all(delivered) and delivered == sorted(delivered)


async def test_a_dead_sender_s_lease_expires(migrated_db: None) -> None:
    (message_id,) = queue(uuid.uuid4().hex)
    with session_scope() as session:
        assert [i for i, _, _ in outbox.claim(session, CHANNEL) if i == message_id]
    with session_scope() as session:  # claimed: nobody else takes it...
        assert not [i for i, _, _ in outbox.claim(session, CHANNEL) if i == message_id]
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(claimed_until=utcnow() - timedelta(seconds=1))
        )
    with session_scope() as session:  # ...until its sender is presumed dead
        assert [i for i, _, _ in outbox.claim(session, CHANNEL) if i == message_id]


def test_the_web_chat_acknowledges_what_it_showed(migrated_db: None) -> None:
    user = uuid.uuid4().hex
    with session_scope() as session:
        a = outbox.enqueue(session, "web", user, "một").id
        b = outbox.enqueue(session, "web", user, "hai").id
    with session_scope() as session:
        assert outbox.pending(session, "web", user, 0) == [(a, "một"), (b, "hai")]
    with session_scope() as session:  # the answer was lost: the page asks again
        assert outbox.pending(session, "web", user, 0) == [(a, "một"), (b, "hai")]
    with session_scope() as session:  # the page showed both
        assert outbox.pending(session, "web", user, b) == []
    assert row(a).delivered_at is not None and row(b).delivered_at is not None
