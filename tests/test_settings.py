"""The one settings object, and .env.example documenting every setting."""

from __future__ import annotations

import re

from bot.settings import ROOT, Settings


def test_env_example_documents_every_setting() -> None:
    text = (ROOT / ".env.example").read_text("utf-8")
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))
    assert documented == {name.upper() for name in Settings.model_fields}


def test_defaults_and_empty_values(monkeypatch) -> None:
    monkeypatch.setenv("KB_CONFIDENCE_THRESHOLD", "")
    monkeypatch.setenv("DATABASE_URL", "")
    settings = Settings(var_dir=ROOT / "var")
    assert settings.kb_confidence_threshold is None
    assert settings.sqlalchemy_url == f"sqlite:///{ROOT / 'var' / 'assistant.db'}"
    assert settings.tracker_dialect == "sqlite"
