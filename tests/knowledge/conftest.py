"""Knowledge fixtures: tiny throwaway article folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.settings import ROOT

ARTICLES = ROOT / "knowledge" / "articles"


@pytest.fixture
def small_articles(tmp_path: Path) -> Path:
    """Three real articles in a folder of their own, free to edit."""
    folder = tmp_path / "articles"
    folder.mkdir()
    for name in ("vneid-forgot-password", "residence-temporary-tam-tru", "traffic-fines-online"):
        shutil.copy(ARTICLES / f"{name}.md", folder / f"{name}.md")
    return folder
