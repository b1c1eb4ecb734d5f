"""The search index: units of text per article, their vectors (faiss) and metadata.

``build_index`` (``kb build``) writes a new build directory and then switches the
``CURRENT`` pointer atomically, so a reader never sees half an index. Builds are
incremental: a unit whose text did not change keeps its vector.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from bot.knowledge.articles import Article, article_passages
from bot.knowledge.embeddings import Embedder, Vectors
from bot.text.split import pack

FORMAT_VERSION = 2
CURRENT = "CURRENT"
KEEP_BUILDS = 3
MAX_CHUNK = 500


@dataclass(frozen=True)
class Unit:
    """One searchable piece of an article."""

    article: str
    kind: str  # title | question | answer | section (retrieval) | passage (answer lines)
    text: str
    passage: int = -1  # passage units: the line's index in the article's passages


@dataclass
class BuildStats:
    articles: int
    units: int
    embedded: int
    reused: int
    seconds: float
    directory: Path


def article_units(article: Article) -> list[Unit]:
    units = [Unit(article.id, "title", article.title)]
    units += [Unit(article.id, "question", q) for q in article.meta.questions]
    units.append(Unit(article.id, "answer", article.short_answer))
    for heading, text in article.sections.items():
        for chunk in _chunks(text):
            units.append(Unit(article.id, "section", f"{heading}: {chunk}"))
    # Every line on its own, with its heading, to open the answer with the line that
    # answers the question; these never take part in ranking articles.
    for i, passage in enumerate(article_passages(article)):
        text = f"{passage.heading}: {passage.text}" if passage.heading else passage.text
        units.append(Unit(article.id, "passage", text, i))
    return units


def _chunks(text: str) -> list[str]:
    """Paragraph-sized pieces of at most MAX_CHUNK characters (the answer's own packing)."""
    return pack([line.strip() for line in text.splitlines() if line.strip()], MAX_CHUNK)


def embed_units(embedder: Embedder, units: list[Unit]) -> Vectors:
    """Titles and residents' questions are embedded as queries (question-to-question
    similarity); body text as passages, as e5 expects."""
    vectors = np.zeros((len(units), 0), dtype=np.float32)
    query_rows = [i for i, u in enumerate(units) if u.kind in {"title", "question"}]
    passage_rows = [i for i, u in enumerate(units) if u.kind not in {"title", "question"}]
    parts: dict[int, np.ndarray] = {}
    if query_rows:
        for i, v in zip(
            query_rows, embedder.queries([units[i].text for i in query_rows]), strict=True
        ):
            parts[i] = v
    if passage_rows:
        for i, v in zip(
            passage_rows, embedder.passages([units[i].text for i in passage_rows]), strict=True
        ):
            parts[i] = v
    if parts:
        vectors = np.stack([parts[i] for i in range(len(units))]).astype(np.float32)
    return vectors


def article_record(article: Article) -> dict[str, Any]:
    """What the action server needs to answer, without re-reading Markdown."""
    return {
        "id": article.id,
        "title": article.title,
        "short_answer": article.short_answer,
        "steps": article.steps,
        "if_fails": article.if_fails,
        "sources": [s.model_dump() for s in article.meta.sources],
        "related": article.meta.related,
        "tags": article.meta.tags,
        "questions": article.meta.questions,
        "passages": [asdict(p) for p in article_passages(article)],
        "last_reviewed": article.meta.last_reviewed.isoformat(),
        "path": article.path.name,
        "sha256": article.sha256,
    }


def current_build(index_dir: Path) -> Path | None:
    pointer = index_dir / CURRENT
    try:
        name = pointer.read_text("utf-8").strip()
    except FileNotFoundError:
        return None
    build = index_dir / name
    return build if (build / "meta.json").exists() else None


def _previous_vectors(index_dir: Path, model: str) -> dict[tuple[str, str], np.ndarray]:
    """Vectors of the current build by (kind, text), when the model matches: a line an
    edit left as it was keeps its vector, whatever else changed in its article."""
    build = current_build(index_dir)
    if build is None:
        return {}
    meta = json.loads((build / "meta.json").read_text("utf-8"))
    if meta.get("model") != model or meta.get("format") != FORMAT_VERSION:
        return {}
    vectors = np.load(build / "vectors.npy")
    return {(u["kind"], u["text"]): vectors[i] for i, u in enumerate(meta["units"])}


def build_index(
    articles: list[Article],
    embedder: Embedder,
    index_dir: Path,
    calibrate: Callable[[Path], dict[str, Any]] | None = None,
    reuse_from: Path | None = None,
    extra: dict[str, Any] | None = None,
) -> BuildStats:
    """Embed what changed, write a new build, switch CURRENT to it atomically.

    ``calibrate(staging_dir)`` runs on the complete but not yet published build and
    returns the confidence calibration stored in its metadata. Vectors of unchanged
    articles come from the current build of ``reuse_from`` (default: ``index_dir``).
    ``extra``: more metadata (the database's published mark the build holds).
    """
    started = time.perf_counter()
    index_dir.mkdir(parents=True, exist_ok=True)
    previous = _previous_vectors(reuse_from or index_dir, embedder.name)
    units = [unit for article in articles for unit in article_units(article)]
    missing = [i for i, u in enumerate(units) if (u.kind, u.text) not in previous]
    fresh = embed_units(embedder, [units[i] for i in missing]) if missing else None
    dim = fresh.shape[1] if fresh is not None and fresh.size else None
    rows: list[np.ndarray] = []
    fresh_rows = dict(zip(missing, fresh if fresh is not None else [], strict=False))
    for i, unit in enumerate(units):
        vector = fresh_rows.get(i)
        if vector is None:
            vector = previous[(unit.kind, unit.text)]
        rows.append(vector)
        dim = dim or vector.shape[0]
    vectors = np.stack(rows).astype(np.float32) if rows else np.zeros((0, dim or 1), np.float32)

    meta: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "model": embedder.name,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "articles": [article_record(a) for a in articles],
        "units": [asdict(u) for u in units],
        **(extra or {}),
    }
    name = f"build-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    target = index_dir / name
    staging = index_dir / f".{name}.tmp"
    staging.mkdir()
    np.save(staging / "vectors.npy", vectors)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors[[u.kind != "passage" for u in units]])
    faiss.write_index(index, str(staging / "index.faiss"))
    (staging / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    if calibrate is not None:
        meta["calibration"] = calibrate(staging)
        (staging / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    staging.rename(target)
    pointer_tmp = index_dir / f".{CURRENT}.{os.getpid()}.tmp"
    pointer_tmp.write_text(name, "utf-8")
    os.replace(pointer_tmp, index_dir / CURRENT)  # the atomic switch readers watch
    _prune(index_dir, keep=name)
    return BuildStats(
        articles=len(articles),
        units=len(units),
        embedded=len(missing),
        reused=len(units) - len(missing),
        seconds=time.perf_counter() - started,
        directory=target,
    )


def _prune(index_dir: Path, keep: str) -> None:
    # Staging folders of builds that died half way (builds run one at a time).
    for stale in index_dir.glob(".build-*.tmp"):
        shutil.rmtree(stale, ignore_errors=True)
    builds = sorted(p for p in index_dir.glob("build-*") if p.is_dir())
    for old in builds[:-KEEP_BUILDS]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)
