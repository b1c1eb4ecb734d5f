"""Fixed-window counters in the database, atomic on SQLite and PostgreSQL alike: one
``INSERT … ON CONFLICT DO UPDATE … RETURNING`` per hit, so parallel requests can never all
read "under the limit" before any of them counts (the race a read-then-write has)."""

from __future__ import annotations

import ipaddress
import time

from sqlalchemy import Integer, String, delete
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.db.base import Base, affected
from bot.db.upsert import insert_for


class RateCounter(Base):
    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window: Mapped[int] = mapped_column(Integer, primary_key=True)  # window start, Unix s
    count: Mapped[int] = mapped_column(Integer, default=0)


def hit(session: Session, key: str, window_seconds: int, now: float | None = None) -> int:
    """Count one hit on ``key`` in the current window; returns the count including it."""
    start = int((now if now is not None else time.time()) // window_seconds * window_seconds)
    statement = (
        insert_for(session, RateCounter)
        .values(key=key[:200], window=start, count=1)
        .on_conflict_do_update(
            index_elements=[RateCounter.key, RateCounter.window],
            set_={"count": RateCounter.count + 1},
        )
        .returning(RateCounter.count)
    )
    return int(session.execute(statement).scalar_one())


def within(session: Session, key: str, limit: int, window_seconds: int) -> bool:
    """Count a hit; True while ``limit`` hits or fewer were counted in this window."""
    return hit(session, key, window_seconds) <= limit


def is_loopback(address: str | None) -> bool:
    """127.0.0.1 and ::1 (or no address): a reverse proxy on the same host that does not
    pass the client's address (uvicorn without --proxy-headers), or a local test. Limits
    per address do not apply to it: every resident would share one budget."""
    if not address:
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:  # not an IP address (test clients): treat as one client
        return False


def forget_before(session: Session, before: float) -> int:
    """Drop windows that ended (the retention job calls this)."""
    result = session.execute(delete(RateCounter).where(RateCounter.window < int(before)))
    return affected(result)
