"""Confidence calibration: the probability that the top article answers the question.

Fitted at every ``kb build`` on data the evaluation set never sees: each article's
alternative questions, searched with that question itself left out of the index
(positives when the right article still comes first), and the Rasa NLU out-of-scope
examples (negatives). One logistic regression per retrieval mode.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sklearn.linear_model import LogisticRegression

from bot.knowledge.embeddings import Embedder, Vectors
from bot.knowledge.search import CALIBRATED, MODES, Searcher
from bot.nlu.arbitration import in_domain

# Of the calibration negatives (off-topic and in-domain questions no article covers), the
# share the whole path must reject: the arbitration keeps off-topic messages from the
# search, the area check (responder) declines questions naming an area their best article
# is not about, and the threshold rejects the rest.
TARGET_REJECTION = 0.93
_ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]+\)")


def out_of_scope_examples(nlu_file: Path, extra_file: Path | None = None) -> list[str]:
    """Negatives: the ``out_of_scope`` examples of a Rasa NLU file (entity annotations
    removed) and the editors' list of uncovered questions (knowledge/calibration/)."""
    extra: list[str] = []
    if extra_file is not None and extra_file.exists():
        extra = [
            str(q)
            for q in (yaml.safe_load(extra_file.read_text("utf-8")) or {}).get("questions", [])
        ]
    data = yaml.safe_load(nlu_file.read_text("utf-8")) or {}
    examples: list[str] = []
    for block in data.get("nlu", []):
        if block.get("intent") == "out_of_scope":
            for line in str(block.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    examples.append(_ANNOTATION.sub(r"\1", line[2:]).strip())
    return examples + extra


class QueryCache:
    """Query vectors by (model, text), kept between builds so incremental builds are fast."""

    def __init__(self, path: Path, embedder: Embedder) -> None:
        self.path, self.embedder = path, embedder
        self.vectors: dict[str, np.ndarray] = {}
        if path.exists():
            with np.load(path) as data:
                self.vectors = {key: data[key] for key in data.files}

    def _key(self, text: str) -> str:
        return hashlib.sha1(f"{self.embedder.name}\n{text}".encode()).hexdigest()

    def get(self, texts: list[str]) -> Vectors:
        missing = sorted({t for t in texts if self._key(t) not in self.vectors})
        if missing:
            for text, vector in zip(missing, self.embedder.queries(missing), strict=True):
                self.vectors[self._key(text)] = vector
        return np.stack([self.vectors[self._key(t)] for t in texts]).astype(np.float32)

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, **self.vectors)  # type: ignore[arg-type]
        tmp.replace(self.path)


def calibrate(
    build_dir: Path, embedder: Embedder, oos: list[str], cache: QueryCache
) -> dict[str, Any]:
    searcher = Searcher(build_dir, embedder)
    samples: list[tuple[str, str | None, set[int]]] = [
        (unit["text"], unit["article"], {i})
        for i, unit in enumerate(searcher.units)
        if unit["kind"] == "question"
    ]
    samples += [(text, None, set()) for text in oos]
    vectors = cache.get([searcher.dense_query_text(q) for q, _, _ in samples])
    cache.save()
    result: dict[str, Any] = {}
    for mode in MODES:
        features, labels, left = [], [], []
        for (query, article, exclude), vector in zip(samples, vectors, strict=True):
            found = searcher.search(
                query, mode=mode, k=1, exclude_units=exclude, query_vector=vector
            )
            top = found.hits[0].article_id
            features.append([found.features[name] for name in CALIBRATED])
            labels.append(int(article is not None and top == article))
            # Negatives the threshold must reject: not those the arbitration already keeps
            # from the search (off topic) or the area check declines (responder).
            left.append(article is None and in_domain(query) and searcher.on_topic(top, query))
        raw, y = np.array(features), np.array(labels)
        # Standardised features: cosine similarities live in a narrow band (0.8-0.95)
        # that an unscaled, regularised model would all but ignore.
        mean, scale = raw.mean(axis=0), raw.std(axis=0) + 1e-9
        x = (raw - mean) / scale
        model = LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000).fit(x, y)
        probability = model.predict_proba(x)[:, 1]
        # The lowest threshold at which the whole path (arbitration, area check, threshold)
        # still rejects TARGET_REJECTION of the negatives.
        reaching = np.sort(probability[np.array(left)])
        needed = int(np.ceil(TARGET_REJECTION * len(oos))) - (len(oos) - len(reaching))
        threshold = float(reaching[needed - 1]) if needed > 0 and len(reaching) else 0.0
        result[mode] = {
            "features": list(CALIBRATED),
            # Folded back to raw features: z = intercept + sum(w * feature).
            "weights": [float(w) for w in model.coef_[0] / scale],
            "intercept": float(model.intercept_[0] - np.sum(model.coef_[0] * mean / scale)),
            # Clipped to 0.2-0.8. The balanced class weights make the probabilities
            # modest: between 0.2 and 0.3 the top article is still right for about half
            # of the left-out questions; under 0.15 for a third at most.
            "threshold": min(0.8, max(0.2, threshold + 1e-6)),
            "samples": {
                "in_scope": len(samples) - len(oos),
                "out_of_scope": len(oos),
                "top1_correct": int(y.sum()),
            },
        }
    return result
