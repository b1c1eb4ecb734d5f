"""Incremental builds and the no-restart reload."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from bot.knowledge.articles import load_articles
from bot.knowledge.embeddings import Embedder
from bot.knowledge.index import build_index, current_build
from bot.knowledge.service import KnowledgeBase


def test_incremental_build_embeds_only_changed_articles(
    small_articles: Path, tmp_path: Path, embedder: Embedder
) -> None:
    index_dir = tmp_path / "index"
    articles, _ = load_articles(small_articles)
    first = build_index(articles, embedder, index_dir)
    assert first.embedded == first.units and first.reused == 0

    again = build_index(articles, embedder, index_dir)
    assert again.embedded == 0 and again.reused == first.units

    path = small_articles / "traffic-fines-online.md"
    path.write_text(
        path.read_text("utf-8").replace(
            "\n## Nếu không được", "\nThêm một dòng.\n\n## Nếu không được"
        )
    )
    articles, _ = load_articles(small_articles)
    third = build_index(articles, embedder, index_dir)
    changed = sum(1 for a in articles if a.id == "traffic-fines-online")
    assert 0 < third.embedded < first.units and changed == 1
    assert current_build(index_dir) == third.directory


def test_the_next_question_after_a_build_uses_it_and_none_is_dropped(
    small_articles: Path, tmp_path: Path, embedder: Embedder
) -> None:
    index_dir = tmp_path / "index"
    articles, _ = load_articles(small_articles)
    build_index(articles, embedder, index_dir)
    kb = KnowledgeBase(index_dir, embedder)
    before = kb.searcher()
    errors: list[BaseException] = []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            try:
                kb.searcher().search("quên mật khẩu vneid")
            except BaseException as exc:  # any failure during the swap is a dropped request
                errors.append(exc)

    threads = [threading.Thread(target=hammer) for _ in range(2)]
    for thread in threads:
        thread.start()
    path = small_articles / "vneid-forgot-password.md"
    path.write_text(
        path.read_text("utf-8").replace(
            "title: Quên mật khẩu đăng nhập VNeID và cách lấy lại", "title: Quên mật khẩu VNeID"
        )
    )
    build_index(load_articles(small_articles)[0], embedder, index_dir)
    after = kb.searcher()  # no waiting: the first question after the build gets it
    time.sleep(0.2)
    stop.set()
    for thread in threads:
        thread.join()
    assert errors == []
    assert after is not before and kb.searcher() is after
    assert after.articles["vneid-forgot-password"]["title"] == "Quên mật khẩu VNeID"
