"""Atomic fixed-window counters: parallel hits are all counted, exactly."""

from __future__ import annotations

import threading
import uuid

from bot.db import session_scope
from bot.ratelimit import hit, within


def test_parallel_hits_are_each_counted_once(migrated_db: None) -> None:
    key = f"test:{uuid.uuid4().hex}"
    counts: list[int] = []
    allowed: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(12)

    def client() -> None:
        start.wait()
        for _ in range(5):
            with session_scope() as session:
                count = hit(session, key + ":all", 3600)
            with session_scope() as session:
                ok = within(session, key, 10, 3600)
            with lock:
                counts.append(count)
                allowed.append(ok)

    threads = [threading.Thread(target=client) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(counts) == list(range(1, 61))  # no two hits read the same count
    assert allowed.count(True) == 10  # exactly the limit got through


def test_windows_are_separate(migrated_db: None) -> None:
    key = f"test:{uuid.uuid4().hex}"
    with session_scope() as session:
        assert hit(session, key, 60, now=120.0) == 1
        assert hit(session, key, 60, now=150.0) == 2
        assert hit(session, key, 60, now=180.0) == 1  # a new minute


def test_loopback_is_not_limited_per_address() -> None:
    from bot.ratelimit import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback(None)
    assert not is_loopback("10.1.2.3") and not is_loopback("203.0.113.9")
