"""The deployment files in deploy/ are valid and match what the code runs: systemd
accepts the units (rendered for this checkout), their commands exist, and each
process's module and arguments are those ``assistant run`` starts (bot.supervisor)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bot.settings import ROOT, Settings
from bot.supervisor import services

UNITS = ROOT / "deploy" / "systemd"


def render(tmp: Path) -> Path:
    etc = tmp / "etc"
    etc.mkdir()
    (etc / "assistant.env").write_text((ROOT / ".env.example").read_text("utf-8"), "utf-8")
    (etc / "rasa-5005.env").write_text("ACTION_SERVER_URL=http://127.0.0.1:5055\n", "utf-8")
    for unit in UNITS.iterdir():
        text = unit.read_text("utf-8").replace("/opt/assistant", str(ROOT))
        text = text.replace("/etc/assistant", str(etc)).replace("User=assistant", "User=root")
        (tmp / unit.name).write_text(text, "utf-8")
    return tmp


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    folder = render(tmp_path)
    done = subprocess.run(
        [
            "systemd-analyze",
            "verify",
            "--man=no",
            "assistant-actions@5055.service",
            "assistant-rasa@5005.service",
            "assistant-gateway@8080.service",
            "assistant.target",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
    )
    problems = [line for line in done.stderr.splitlines() if "assistant" in line]
    assert not problems, done.stderr


def test_units_run_what_the_supervisor_runs() -> None:
    """The same module and options per process (ports and paths aside)."""
    started = {s.name: s.argv for s in services(Settings(), "token")}
    units = {u.name.split("@")[0]: u.read_text("utf-8") for u in UNITS.glob("*@.service")}
    for name, argv in started.items():
        unit = " ".join(units[f"assistant-{name}"].replace("\\\n", " ").split())
        module = argv[argv.index("-m") + 1]
        assert f"-m {module}" in unit, (name, module)
        for option in (a for a in argv if a.startswith("--")):
            assert option in unit, (name, option)


def test_each_process_computes_on_one_thread_like_the_units(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.supervisor import ONE_THREAD, stack_environment

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    env = stack_environment(Settings(), "token")
    assert all(env[name] == "1" for name in ONE_THREAD)
    monkeypatch.setenv("OMP_NUM_THREADS", "2")  # an operator's choice stands
    assert stack_environment(Settings(), "token")["OMP_NUM_THREADS"] == "2"
    units = "".join(unit.read_text("utf-8") for unit in UNITS.iterdir())
    assert units.count("OMP_NUM_THREADS=1") == 3
    assert "TF_INTRA_OP_PARALLELISM_THREADS=1" in units
