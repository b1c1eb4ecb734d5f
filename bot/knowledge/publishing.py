"""The index built from the published articles in the database: ``kb build`` and the
console's "Xuất bản" both come here, one build at a time (a file lock beside the index)."""

from __future__ import annotations

from pathlib import Path

from filelock import FileLock

from bot.db import session_scope
from bot.knowledge.calibration import QueryCache, calibrate, out_of_scope_examples
from bot.knowledge.embeddings import Embedder
from bot.knowledge.index import BuildStats, build_index
from bot.knowledge.lint import Problem, lint_articles
from bot.knowledge.store import published_articles
from bot.settings import Settings

BUILD_LOCK = ".build.lock"


class NotPublishable(ValueError):
    """The published articles have errors: nothing was built."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def build_lock(index_dir: Path) -> FileLock:
    index_dir.mkdir(parents=True, exist_ok=True)
    return FileLock(str(index_dir / BUILD_LOCK))


def build_published(settings: Settings, embedder: Embedder) -> BuildStats:
    """Embed what changed, calibrate, switch the index; raises NotPublishable.

    Always builds what the database holds at the time, so of two publishes the later
    build includes both."""
    with build_lock(settings.kb_index_path):
        with session_scope() as session:
            articles, errors = published_articles(session)
        problems = [
            p
            for p in lint_articles(articles, errors, settings.kb_stale_after_days)
            if p.level == "error"
        ]
        if problems:
            raise NotPublishable(problems)
        oos = out_of_scope_examples(settings.kb_calibration_nlu_file, settings.kb_calibration_file)
        cache = QueryCache(settings.kb_index_path / "query-cache.npz", embedder)
        return build_index(
            articles,
            embedder,
            settings.kb_index_path,
            calibrate=lambda staging: calibrate(staging, embedder, oos, cache),
        )
