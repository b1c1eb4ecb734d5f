"""Shared fixtures. Tests never touch the developer's var/: each session gets its own."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Before any bot module reads settings: a private var/ for this test session.
_VAR = Path(tempfile.mkdtemp(prefix="assistant-test-"))
os.environ["VAR_DIR"] = str(_VAR)
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def var_dir() -> Path:
    return _VAR


@pytest.fixture(scope="session")
def migrated_db(var_dir: Path) -> Iterator[None]:
    from bot.db.migrate import upgrade

    upgrade()
    yield
