"""The one settings object, and .env.example documenting every setting."""

from __future__ import annotations

import re

import pytest

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
    assert settings.rasa_instances == [settings.rasa_url]


def test_several_rasa_instances_and_the_lock_store() -> None:
    settings = Settings(
        rasa_urls="http://127.0.0.1:5005, http://127.0.0.1:5006/",
        rasa_lock_store_url="redis://127.0.0.1:6379/1",
    )
    assert settings.rasa_instances == ["http://127.0.0.1:5005", "http://127.0.0.1:5006"]
    with pytest.raises(ValueError, match="RASA_LOCK_STORE_URL"):
        Settings(rasa_lock_store_url="http://127.0.0.1:6379")
