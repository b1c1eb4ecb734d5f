"""The Vietnamese normaliser: examples and properties."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text import fold, has_diacritics, normalize, syllables
from bot.text.abbreviations import ABBREVIATIONS
from bot.text.normalize import _strip_marks

VIETNAMESE = "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
vietnamese_text = st.text(
    alphabet=st.sampled_from(VIETNAMESE + VIETNAMESE.upper() + "bcdghklmnpqrstvx 0123456789.,-?!/"),
    max_size=80,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Kích hoạt VNeID mức 2", "kích hoạt vneid mức 2"),
        ("hoà bình", "hòa bình"),  # old/new tone placement unified
        ("Thuý Kiều", "thúy kiều"),
        ("HOÀNG", "hoàng"),
        ("khoẻ", "khỏe"),
        ("người ĐÃ", "người đã"),
        ("ko đc", "không được"),
        ("quên mk", "quên mật khẩu"),
        ("cccd gắn chip", "căn cước công dân gắn chip"),
        ("sđt", "số điện thoại"),
        ("sdt", "số điện thoại"),
        ("dvc", "dịch vụ công"),
        ("tk bị khóa!!!", "tài khoản bị khóa"),
        ("  nhiều   khoảng\ttrắng \n", "nhiều khoảng trắng"),
        ("mã 000.30.31.H26-240915-0012 ạ", "mã 000.30.31.h26-240915-0012 ạ"),
        ("", ""),
    ],
)
def test_normalize_examples(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_decomposed_input_is_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "Tiếng Việt")
    assert normalize(decomposed) == "tiếng việt"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Kích hoạt tài khoản định danh", "kich hoat tai khoan dinh danh"),
        ("kich hoat tai khoan dinh danh", "kich hoat tai khoan dinh danh"),
        ("Đăng ký tạm trú", "dang ky tam tru"),
        ("quen mk ko dc", "quen mat khau khong duoc"),
    ],
)
def test_fold_examples(raw: str, expected: str) -> None:
    assert fold(raw) == expected


def test_accented_and_unaccented_meet() -> None:
    assert fold("Quên mật khẩu VNeID thì làm sao?") == fold("quen mat khau vneid thi lam sao")


def test_helpers() -> None:
    assert has_diacritics("mức 2") and not has_diacritics("muc 2")
    assert syllables("Đăng ký mức 2") == ["dang", "ky", "muc", "2"]


def test_abbreviation_values_are_canonical() -> None:
    for key, value in ABBREVIATIONS.items():
        assert key == _strip_marks(key), f"key {key!r} must be written folded"
        assert normalize(value) == value, f"value {value!r} is not in canonical form"


@settings(max_examples=500)
@given(st.text(max_size=60))
def test_never_raises_and_idempotent_on_any_unicode(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert fold(fold(text)) == fold(text)


@settings(max_examples=500)
@given(st.text(max_size=60))
def test_folding_equals_folding_of_normalised_form(text: str) -> None:
    assert fold(text) == fold(normalize(text))


@settings(max_examples=500)
@given(vietnamese_text)
def test_typing_without_diacritics_folds_the_same(text: str) -> None:
    assert fold(_strip_marks(text)) == fold(text)


@settings(max_examples=300)
@given(vietnamese_text)
def test_idempotent_on_vietnamese(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert fold(once) == _strip_marks(once)
