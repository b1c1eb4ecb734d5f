"""Shared fixtures. Tests never touch the developer's var/: each session gets its own."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

# Before bot.settings is imported: no developer .env, a private var/ for this session.
os.environ["ASSISTANT_ENV_FILE"] = ""

import pytest

from bot.knowledge.embeddings import Embedder
from bot.knowledge.search import Searcher
from bot.knowledge.service import KnowledgeBase, embedder_from
from bot.settings import Settings

_VAR = Path(tempfile.mkdtemp(prefix="assistant-test-"))
os.environ["VAR_DIR"] = str(_VAR)
os.environ.setdefault("HF_HUB_OFFLINE", "1")

# TEST_DATABASE=postgres: the same tests against a fresh PostgreSQL database (make test
# runs the database-facing tests a second time this way when PostgreSQL is reachable).
if os.environ.get("TEST_DATABASE") == "postgres":
    import atexit
    import uuid

    import psycopg

    _ADMIN = os.environ.get(
        "TEST_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    _NAME = f"assistant_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_ADMIN, autocommit=True) as _conn:
        _conn.execute(f'CREATE DATABASE "{_NAME}"')
    os.environ["DATABASE_URL"] = (
        _ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{_NAME}"
    )

    def _drop() -> None:
        from bot.db.session import get_engine

        get_engine().dispose()
        with psycopg.connect(_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{_NAME}" WITH (FORCE)')

    atexit.register(_drop)

# The model folder and index `make setup` builds (read-only here).
REAL_INDEX = Path(__file__).resolve().parent.parent / "var" / "knowledge"
os.environ["KB_INDEX_DIR"] = str(REAL_INDEX)
# That index was built from the developer's database, not this session's: the action
# servers the tests start must not rebuild it from the tests' articles.
os.environ["KB_FOLLOW_PUBLISHES"] = "false"
# Publishes in tests use the copied index's calibration; the background recalibration
# would only compete for the CPU (tests/knowledge/test_publishing.py covers it).
os.environ["KB_RECALIBRATE_AFTER_PUBLISH"] = "false"
os.environ["KB_EMBEDDING_MODEL"] = str(REAL_INDEX.parent / "models" / "multilingual-e5-small-onnx")


@pytest.fixture(scope="session")
def var_dir() -> Path:
    return _VAR


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return embedder_from(Settings())


@pytest.fixture(scope="session")
def searcher(embedder: Embedder) -> Searcher:
    if not (REAL_INDEX / "CURRENT").exists():
        pytest.fail("no knowledge index: run `make setup` (make test does it first)")
    return KnowledgeBase(REAL_INDEX, embedder).searcher()


@pytest.fixture(scope="session")
def migrated_db(var_dir: Path) -> Iterator[None]:
    from bot.db.migrate import upgrade

    upgrade()
    yield
