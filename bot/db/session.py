"""Engine and session factory: SQLite file by default, PostgreSQL when DATABASE_URL is set."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Annotated, Any, TypeVar

from fastapi import Depends
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from bot.settings import get_settings
from bot.sqlite_pragmas import sqlite_pragmas


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            sqlite_pragmas(dbapi_conn)

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    if settings.sqlalchemy_url.startswith("sqlite"):
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    return make_engine(settings.sqlalchemy_url)


@lru_cache
def _factory() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A transaction: commit on success, roll back on error."""
    session = _factory()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


T = TypeVar("T")


async def in_session(fn: Callable[..., T], *args: Any) -> T:
    """``fn(session, *args)`` in one transaction, in a worker thread: async code (the
    gateway, the console, the Telegram handlers) never blocks its event loop on the database."""

    def work() -> T:
        with session_scope() as session:
            return fn(session, *args)

    return await run_in_threadpool(work)


def get_session() -> Iterator[Session]:
    """A route's database session: one transaction per request, committed before the
    response leaves (scope "function"), rolled back if the route raises. Routes that take
    it are plain ``def``: FastAPI runs them, and this, in its thread pool, off the event
    loop. Async code that must await between database steps uses ``in_session``."""
    with session_scope() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
