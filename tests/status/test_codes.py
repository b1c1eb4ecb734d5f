"""Application codes inside residents' messages."""

from __future__ import annotations

import pytest

from bot.status.codes import find_code, lookup_key


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("000.30.31.H26-240915-0012", "000.30.31.H26-240915-0012"),
        ("tra giúp mình hồ sơ 000.30.31.H26-240915-0012 với", "000.30.31.H26-240915-0012"),
        ("ma ho so g22.123-241015-0012", "G22.123-241015-0012"),
        ("G22.123 - 241015 - 0012 nhé", "G22.123-241015-0012"),
        ("000.30.31H26-240915-0012", "000.30.31H26-240915-0012"),
        ("mã: 000.00.12.H29-250103-0457.", "000.00.12.H29-250103-0457"),
    ],
)
def test_finds_codes(text: str, code: str) -> None:
    found = find_code(text)
    assert found is not None and found.code == code


@pytest.mark.parametrize(
    "text",
    ["hồ sơ của tôi đến đâu rồi", "0912345678", "000.30.31.H26-241399-0012", "abc-12-34"],
)
def test_rejects_non_codes(text: str) -> None:
    assert find_code(text) is None


def test_missing_dot_matches_the_same_key() -> None:
    assert lookup_key("000.30.31.H26-240915-0012") == lookup_key("000.30.31h26 - 240915-0012")


def test_masked_hides_the_sequence() -> None:
    found = find_code("000.30.31.H26-240915-0012")
    assert found is not None and found.masked == "000.30.31.H26-240915-****"
