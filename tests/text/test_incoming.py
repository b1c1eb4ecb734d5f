"""What every channel does to a resident's text before storing it."""

from __future__ import annotations

from bot.text.incoming import storable


def test_controls_go_and_lone_surrogates_become_replacement_characters() -> None:
    assert storable("xin\x00 chào\x07") == "xin chào"
    assert storable("dòng 1\ndòng 2\tcột") == "dòng 1\ndòng 2\tcột"
    assert storable("a\ud800b") == "a\ufffdb"
