"""The knowledge base as the action server uses it: load, search, reload on rebuild.

``kb build`` and the console's "Xuất bản" switch ``var/knowledge/CURRENT`` atomically.
``KnowledgeBase.searcher()`` looks at the pointer on every question (one stat) and loads
a new build before answering, so the very next question after a publish gets the new
answer. Questions arriving during the load wait for it (well under a second); a build
that cannot be loaded is logged and the previous one kept.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from bot.knowledge.embeddings import Embedder, load_embedder
from bot.knowledge.index import CURRENT
from bot.knowledge.publishing import PublishedWatch
from bot.knowledge.search import Searcher
from bot.settings import Settings, get_settings

logger = logging.getLogger(__name__)


class IndexMissing(RuntimeError):
    """No built index: run `kb build`."""


class KnowledgeBase:
    def __init__(
        self, index_dir: Path, embedder: Embedder, watch: Callable[[], None] | None = None
    ) -> None:
        self.index_dir = index_dir
        self.embedder = embedder
        self._watch = watch  # publishes made on another machine (publishing.PublishedWatch)
        self._searcher: Searcher | None = None
        self._loaded_stamp: str | None = None  # the name of the build in use
        self._lock = threading.Lock()

    def _stamp(self) -> str | None:
        """The current build's name: unique per build, one read (a name and a stat read
        apart could mix two builds and make threads reload in turn)."""
        try:
            return (self.index_dir / CURRENT).read_text("utf-8").strip() or None
        except FileNotFoundError:
            return None

    def _load(self, stamp: str) -> None:
        try:
            build = self.index_dir / stamp  # exactly the build this stamp names
            if not (build / "meta.json").exists():
                return
            self._searcher = Searcher(build, self.embedder)
            logger.info(
                "knowledge index loaded: %s (%d articles)",
                build.name,
                len(self._searcher.article_ids),
            )
        except Exception:
            logger.exception("could not load the knowledge index; keeping the previous one")
        finally:
            self._loaded_stamp = stamp  # a broken build is not retried on every question

    def searcher(self) -> Searcher:
        if self._watch is not None:
            self._watch()
        stamp = self._stamp()
        if stamp is not None and stamp != self._loaded_stamp:
            with self._lock:
                if stamp != self._loaded_stamp:  # not loaded meanwhile by another thread
                    self._load(stamp)
        if self._searcher is None:
            raise IndexMissing(f"no knowledge index in {self.index_dir}: run `kb build`")
        return self._searcher


def embedder_from(settings: Settings) -> Embedder:
    return load_embedder(settings.kb_embedding_backend, settings.kb_embedding_model)


@lru_cache
def get_knowledge_base() -> KnowledgeBase:
    """The action server's: it also catches up with articles published on another machine
    (``KB_FOLLOW_PUBLISHES``)."""
    settings = get_settings()
    embedder = embedder_from(settings)
    if not settings.kb_follow_publishes:
        return KnowledgeBase(settings.kb_index_path, embedder)
    watch = PublishedWatch(settings, lambda: embedder)
    return KnowledgeBase(settings.kb_index_path, embedder, watch.check)
