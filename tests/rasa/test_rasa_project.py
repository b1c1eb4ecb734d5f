"""The Rasa project itself, checked with Rasa (in its own Python 3.10 venv)."""

from __future__ import annotations

import os
import subprocess

import pytest

from bot.settings import ROOT

pytestmark = pytest.mark.rasa
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"


def run_rasa(*args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    if not RASA_PYTHON.exists():
        pytest.fail("no Rasa venv: run `make setup` (make test does it first)")
    env = dict(
        os.environ, PYTHONPATH=str(ROOT), RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3"
    )
    return subprocess.run(
        [str(RASA_PYTHON), *args],
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def test_rasa_data_validate() -> None:
    done = run_rasa(
        "-m",
        "rasa",
        "data",
        "validate",
        "--domain",
        "domain.yml",
        "--data",
        "data",
        "--config",
        "config.yml",
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_nlu_held_out_macro_f1_above_floor() -> None:
    done = run_rasa("scripts/nlu_eval.py")
    report = done.stdout[done.stdout.find("NLU held-out evaluation") :]
    print(report)
    assert done.returncode == 0, report + done.stderr[-3000:]
    assert "macro F1" in report
