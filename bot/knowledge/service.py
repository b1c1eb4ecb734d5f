"""The knowledge base as the action server uses it: load, search, reload on rebuild.

``kb build`` switches ``var/knowledge/CURRENT`` atomically. ``KnowledgeBase.searcher()``
notices the change (a cheap stat, at most once a second), loads the new build in a
background thread and swaps it in; requests meanwhile use the previous one, so none is
dropped or delayed by the reload.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import lru_cache
from pathlib import Path

from bot.knowledge.embeddings import Embedder, load_embedder
from bot.knowledge.index import CURRENT, current_build
from bot.knowledge.search import Searcher
from bot.settings import Settings, get_settings

logger = logging.getLogger(__name__)


class IndexMissing(RuntimeError):
    """No built index: run `kb build`."""


class KnowledgeBase:
    def __init__(self, index_dir: Path, embedder: Embedder, check_every: float = 1.0) -> None:
        self.index_dir = index_dir
        self.embedder = embedder
        self.check_every = check_every
        self._searcher: Searcher | None = None
        self._loaded_stamp: tuple[str, int] | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()
        self._loading = False

    def _stamp(self) -> tuple[str, int] | None:
        pointer = self.index_dir / CURRENT
        try:
            return pointer.read_text("utf-8").strip(), pointer.stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def _load(self, stamp: tuple[str, int]) -> None:
        try:
            build = current_build(self.index_dir)
            if build is None:
                return
            searcher = Searcher(build, self.embedder)
            with self._lock:
                self._searcher, self._loaded_stamp = searcher, stamp
            logger.info(
                "knowledge index loaded: %s (%d articles)", build.name, len(searcher.article_ids)
            )
        except Exception:
            logger.exception("could not load the knowledge index; keeping the previous one")
            with self._lock:
                self._loaded_stamp = stamp  # do not retry a broken build in a loop
        finally:
            self._loading = False

    def searcher(self) -> Searcher:
        now = time.monotonic()
        if self._searcher is None or now - self._checked_at >= self.check_every:
            self._checked_at = now
            stamp = self._stamp()
            if stamp is not None and stamp != self._loaded_stamp:
                if self._searcher is None:
                    self._load(stamp)  # first load: nothing to serve meanwhile
                elif not self._loading:
                    self._loading = True
                    threading.Thread(target=self._load, args=(stamp,), daemon=True).start()
        if self._searcher is None:
            raise IndexMissing(f"no knowledge index in {self.index_dir}: run `kb build`")
        return self._searcher


def embedder_from(settings: Settings) -> Embedder:
    return load_embedder(settings.kb_embedding_backend, settings.kb_embedding_model)


@lru_cache
def get_knowledge_base() -> KnowledgeBase:
    settings = get_settings()
    return KnowledgeBase(settings.kb_index_path, embedder_from(settings))
