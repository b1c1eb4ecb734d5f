"""The OA's access/refresh token pair, kept in the database so a restart keeps it.

Zalo's refresh token is single-use and every refresh returns a NEW pair: both are stored
in one transaction, and refreshes are serialised across processes (a row lock on
PostgreSQL, a file lock on the machine) so two processes never spend the same refresh token.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import DateTime, Integer, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import session_scope
from bot.db.base import Base, utcnow

ROW_ID = 1
REFRESH_MARGIN = timedelta(minutes=5)  # refresh this long before expiry


class ZaloToken(Base):
    __tablename__ = "zalo_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: datetime

    def fresh(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(UTC)) < self.expires_at - REFRESH_MARGIN


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes even for timezone=True columns; they are UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class TokenStore:
    def __init__(self, lock_file: Path) -> None:
        self.lock_file = lock_file

    def load(self) -> TokenPair | None:
        with session_scope() as session:
            row = session.get(ZaloToken, ROW_ID)
            if row is None:
                return None
            return TokenPair(row.access_token, row.refresh_token, _aware(row.expires_at))

    def save(self, pair: TokenPair) -> None:
        with session_scope() as session:
            row = session.get(ZaloToken, ROW_ID)
            if row is None:
                session.add(
                    ZaloToken(
                        id=ROW_ID,
                        access_token=pair.access_token,
                        refresh_token=pair.refresh_token,
                        expires_at=pair.expires_at,
                    )
                )
            else:
                row.access_token, row.refresh_token = pair.access_token, pair.refresh_token
                row.expires_at, row.updated_at = pair.expires_at, utcnow()

    def seed(self, access_token: str, refresh_token: str, expires_in: int = 0) -> None:
        """First start: the pair from the environment, unless the database has one."""
        if self.load() is None and refresh_token:
            self.save(
                TokenPair(
                    access_token, refresh_token, datetime.now(UTC) + timedelta(seconds=expires_in)
                )
            )

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.lock_file.parent.mkdir(parents=True, exist_ok=True)
        with self.lock_file.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def refresh(self, spent: TokenPair | None, exchange: Callable[[str], TokenPair]) -> TokenPair:
        """Refresh once across processes: if another process already replaced ``spent``,
        use its new pair instead of spending the (now invalid) refresh token again."""
        with self._locked(), session_scope() as session:
            row = session.scalar(select(ZaloToken).where(ZaloToken.id == ROW_ID).with_for_update())
            if row is None:
                raise LookupError("no Zalo tokens stored: set ZALO_REFRESH_TOKEN")
            current = TokenPair(row.access_token, row.refresh_token, _aware(row.expires_at))
            if spent is not None and current.access_token != spent.access_token:
                return current
            pair = exchange(current.refresh_token)
            row.access_token, row.refresh_token = pair.access_token, pair.refresh_token
            row.expires_at, row.updated_at = pair.expires_at, utcnow()
            return pair
