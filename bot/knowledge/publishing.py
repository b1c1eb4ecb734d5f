"""The index built from the published articles in the database: ``kb build`` and the
console's "Xuất bản" both come here, one build at a time (a file lock beside the index)."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from sqlalchemy import select

from bot.db import session_scope
from bot.knowledge.calibration import QueryCache, calibrate, out_of_scope_examples
from bot.knowledge.embeddings import Embedder
from bot.knowledge.index import BuildStats, build_index, current_build
from bot.knowledge.lint import Problem, lint_articles
from bot.knowledge.models import QuestionMark
from bot.knowledge.store import published_articles, published_mark
from bot.settings import Settings

logger = logging.getLogger(__name__)
BUILD_LOCK = ".build.lock"
MARK = "published_mark"  # in a build's meta.json: store.published_mark when it was built


class NotPublishable(ValueError):
    """The published articles have errors: nothing was built."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def build_lock(index_dir: Path) -> FileLock:
    index_dir.mkdir(parents=True, exist_ok=True)
    return FileLock(str(index_dir / BUILD_LOCK))


def marked_out_of_scope() -> list[str]:
    """Residents' questions editors marked out of scope (console inbox): negatives for
    the calibration, so the threshold learns to decline their kind."""
    with session_scope() as session:
        return list(
            session.scalars(
                select(QuestionMark.question).where(QuestionMark.mark == "out_of_scope")
            )
        )


def current_calibration(index_dir: Path) -> dict[str, Any] | None:
    build = current_build(index_dir)
    if build is None:
        return None
    calibration = json.loads((build / "meta.json").read_text("utf-8")).get("calibration")
    return calibration if isinstance(calibration, dict) else None


def build_published(
    settings: Settings, embedder: Embedder, *, keep_calibration: bool = False
) -> BuildStats:
    """Embed what changed, calibrate, switch the index; raises NotPublishable.

    Always builds what the database holds at the time, so of two publishes the later
    build includes both. ``keep_calibration``: reuse the current build's calibration (a
    second instead of ten; one edited article hardly moves it) and let a full build
    follow (``Recalibration``)."""
    with build_lock(settings.kb_index_path):
        with session_scope() as session:
            articles, errors = published_articles(session)
            mark = {MARK: published_mark(session)}
        problems = [
            p
            for p in lint_articles(articles, errors, settings.kb_stale_after_days)
            if p.level == "error"
        ]
        if problems:
            raise NotPublishable(problems)
        previous = current_calibration(settings.kb_index_path) if keep_calibration else None
        if previous is not None:
            return build_index(
                articles,
                embedder,
                settings.kb_index_path,
                calibrate=lambda _staging: previous,
                extra=mark,
            )
        oos = out_of_scope_examples(settings.kb_calibration_nlu_file, settings.kb_calibration_file)
        oos += marked_out_of_scope()
        cache = QueryCache(settings.kb_index_path / "query-cache.npz", embedder)
        return build_index(
            articles,
            embedder,
            settings.kb_index_path,
            calibrate=lambda staging: calibrate(staging, embedder, oos, cache),
            extra=mark,
        )


class Recalibration:
    """A full build (calibration included) in the background after quick publishes: one
    at a time, and publishes during it coalesce into one more."""

    def __init__(self, settings: Settings, embedder: Callable[[], Embedder]) -> None:
        self._settings, self._embedder = settings, embedder
        self._lock = threading.Lock()
        self._running = False
        self._again = False

    def request(self) -> None:
        with self._lock:
            if self._running:
                self._again = True
                return
            self._running = True
        threading.Thread(target=self._run, name="kb-recalibration", daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                build_published(self._settings, self._embedder())
            except Exception:  # the quick build is serving; the next publish retries
                logger.exception("background recalibration of the knowledge index failed")
            with self._lock:
                if not self._again:
                    self._running = False
                    return
                self._again = False

    def wait(self, timeout: float = 120.0) -> bool:
        """Tests and shutdown: until no recalibration runs (False on timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._running:
                    return True
            time.sleep(0.1)
        return False


class PublishedWatch:
    """An action server on another machine than the console that published: every few
    seconds it compares the database's published mark with its index's, and builds the
    same index here when it is behind (quickly, with the current calibration; a full
    rebuild on that machine's next ``kb build``). On the console's machine the publish
    already built it, so nothing more happens."""

    def __init__(
        self, settings: Settings, embedder: Callable[[], Embedder], every: float = 2.0
    ) -> None:
        self._settings, self._embedder, self._every = settings, embedder, every
        self._checked = 0.0
        self._built: tuple[str, int] | None = None  # (build name, its mark)
        self._running = threading.Lock()

    def _index_mark(self) -> int:
        build = current_build(self._settings.kb_index_path)
        if build is None:
            return -1
        if self._built is None or self._built[0] != build.name:
            meta = json.loads((build / "meta.json").read_text("utf-8"))
            self._built = (build.name, int(meta.get(MARK, -1)))
        return self._built[1]

    def check(self) -> None:
        now = time.monotonic()
        if now - self._checked < self._every or self._running.locked():
            return
        self._checked = now
        try:
            with session_scope() as session:
                behind = published_mark(session) > self._index_mark()
        except Exception:  # the database is away: answer from the index there is
            logger.warning("could not compare the knowledge index with the database")
            return
        if behind and self._running.acquire(blocking=False):
            threading.Thread(target=self._build, name="kb-catch-up", daemon=True).start()

    def _build(self) -> None:
        try:
            lock = build_lock(self._settings.kb_index_path)
            try:
                lock.acquire(timeout=0)  # a build runs here already: it will catch up
            except Timeout:
                return
            lock.release()
            build_published(self._settings, self._embedder(), keep_calibration=True)
            logger.info("knowledge index rebuilt: articles were published elsewhere")
        except Exception:
            logger.exception("could not catch up with articles published elsewhere")
        finally:
            self._running.release()
