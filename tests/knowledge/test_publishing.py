"""Publishing from the database: a quick build keeps the calibration, and an action server
on another machine catches up with what the console published elsewhere."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from bot.db import session_scope
from bot.knowledge import store
from bot.knowledge.embeddings import Embedder
from bot.knowledge.publishing import MARK, PublishedWatch, build_published, current_calibration
from bot.knowledge.service import KnowledgeBase
from bot.settings import ROOT, Settings
from tests.conftest import REAL_INDEX

ARTICLE = "vneid-forgot-password"


def machine(tmp_path: Path, name: str) -> Settings:
    index = tmp_path / name
    shutil.copytree(REAL_INDEX, index, ignore=shutil.ignore_patterns("*.lock", ".*.tmp"))
    return Settings(kb_index_dir=index)


def test_another_machine_catches_up_with_a_publish(
    tmp_path: Path, embedder: Embedder, migrated_db: None
) -> None:
    with session_scope() as session:
        store.sync_files(session, ROOT / "knowledge" / "articles")
    here, there = machine(tmp_path, "console-machine"), machine(tmp_path, "other-machine")
    for settings in (here, there):  # both built from this database
        stats = build_published(settings, embedder, keep_calibration=True)
        assert current_calibration(settings.kb_index_path) is not None
    other = KnowledgeBase(
        there.kb_index_path, embedder, PublishedWatch(there, lambda: embedder, 0).check
    )
    before = other.searcher()
    # The console publishes on its machine.
    with session_scope() as session:
        record = session.get(store.ArticleRecord, ARTICLE)
        assert record is not None
        text = store.published_texts(session)[ARTICLE]
        changed = text.replace("\n---\n", "\n---\nĐã sửa ở máy khác.\n\n", 1)
        store.publish(session, ARTICLE, changed, record.revision, "chị Lan")
    build_published(here, embedder, keep_calibration=True)
    # The other machine notices within its check and builds the same index.
    deadline = time.monotonic() + 60
    while other.searcher() is before and time.monotonic() < deadline:
        time.sleep(0.2)
    after = other.searcher()
    assert after is not before
    assert after.articles[ARTICLE]["short_answer"].startswith("Đã sửa ở máy khác.")
    assert after.meta[MARK] == KnowledgeBase(here.kb_index_path, embedder).searcher().meta[MARK]
    assert stats.reused > 0
    with session_scope() as session:  # leave the shared database as the files say
        record = session.get(store.ArticleRecord, ARTICLE)
        assert record is not None
        store.publish(session, ARTICLE, text, record.revision, "chị Lan")
