"""A periodic duty is held by one process at a time, renewed by its holder, and taken
over once its holder stops renewing it."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

from bot.db import session_scope
from bot.db.duties import hold, release


def _hold(name: str, holder: str, seconds: float) -> bool:
    with session_scope() as session:
        return hold(session, name, timedelta(seconds=seconds), holder)


def test_one_holder_among_many_at_once(migrated_db: None) -> None:
    name = f"test-{uuid.uuid4().hex}"
    won: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def process(n: int) -> None:
        start.wait()
        if _hold(name, f"process-{n}", 60):
            with lock:
                won.append(f"process-{n}")

    threads = [threading.Thread(target=process, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1
    assert _hold(name, won[0], 60)  # the holder renews it
    assert not _hold(name, "someone-else", 60)


def test_taken_over_when_it_runs_out(migrated_db: None) -> None:
    name = f"test-{uuid.uuid4().hex}"
    assert _hold(name, "a", -1)  # already expired: as if "a" had died a while ago
    assert _hold(name, "b", 60)
    assert not _hold(name, "a", 60)


def test_a_process_stopping_cleanly_releases_its_duties(migrated_db: None) -> None:
    name = f"test-{uuid.uuid4().hex}"
    assert _hold(name, "a", 60)
    assert not _hold(name, "b", 60)
    with session_scope() as session:
        release(session, "a")
    assert _hold(name, "b", 60)
