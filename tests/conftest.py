"""Shared fixtures. Tests never touch the developer's var/: each session gets its own."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.knowledge.embeddings import Embedder
from bot.knowledge.search import Searcher
from bot.knowledge.service import KnowledgeBase, embedder_from
from bot.settings import Settings

# Before any bot module reads settings: a private var/ for this test session.
_VAR = Path(tempfile.mkdtemp(prefix="assistant-test-"))
os.environ["VAR_DIR"] = str(_VAR)
os.environ.setdefault("HF_HUB_OFFLINE", "1")

# The model folder and index `make setup` builds (read-only here).
REAL_INDEX = Path(__file__).resolve().parent.parent / "var" / "knowledge"
os.environ["KB_INDEX_DIR"] = str(REAL_INDEX)
os.environ["KB_EMBEDDING_MODEL"] = str(REAL_INDEX.parent / "models" / "multilingual-e5-small")


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
