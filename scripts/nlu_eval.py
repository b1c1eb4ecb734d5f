"""NLU evaluation on a held-out split of data/ (runs in the Rasa venv).

    PYTHONPATH=. .venv-rasa/bin/python scripts/nlu_eval.py [--floor 0.85]

Splits data/ 80/20 per intent with a fixed seed, trains an NLU-only model on the 80 %,
evaluates on the 20 %, prints per-intent precision/recall/F1 and exits 1 when the macro
F1 is under the floor (0.85 by default; the README's "NLU quality" section).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR = 0.85


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--floor", type=float, default=FLOOR)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    from rasa.model_testing import test_nlu
    from rasa.model_training import train_nlu
    from rasa.shared.nlu.training_data.loading import load_data

    nlu_files = [
        p for p in sorted((ROOT / "data").glob("*.yml")) if "\nnlu:" in p.read_text("utf-8")
    ]
    first, *rest = (load_data(str(p)) for p in nlu_files)
    data = first.merge(*rest)
    train, test = data.train_test_split(train_frac=0.8, random_seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="nlu-eval-") as tmp:
        work = Path(tmp)
        (work / "train.yml").write_text(train.nlu_as_yaml(), encoding="utf-8")
        (work / "test.yml").write_text(test.nlu_as_yaml(), encoding="utf-8")
        model = train_nlu(
            str(ROOT / "config.yml"),
            str(work / "train.yml"),
            str(work / "models"),
            domain=str(ROOT / "domain.yml"),
        )
        if not model:
            print("NLU training failed", file=sys.stderr)
            return 1
        asyncio.run(test_nlu(model, str(work / "test.yml"), str(work / "results"), {}))
        report = json.loads((work / "results" / "intent_report.json").read_text("utf-8"))

    print(
        f"\nNLU held-out evaluation: {len(train.intent_examples)} train / "
        f"{len(test.intent_examples)} test examples (seed {args.seed})"
    )
    print(f"{'intent':28} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>8}")
    for intent, row in sorted(report.items()):
        if (
            isinstance(row, dict)
            and "f1-score" in row
            and intent
            not in {
                "macro avg",
                "weighted avg",
                "micro avg",
            }
        ):
            print(
                f"{intent:28} {row['precision']:9.3f} {row['recall']:7.3f} "
                f"{row['f1-score']:6.3f} {row['support']:8d}"
            )
    macro = report["macro avg"]["f1-score"]
    print(f"{'macro F1':28} {macro:.3f}   (floor {args.floor})")
    print(f"{'accuracy':28} {report.get('accuracy', 0):.3f}")
    if macro < args.floor:
        print(f"FAIL: macro F1 {macro:.3f} is under the floor {args.floor}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
