"""Personal data never reaches logs in clear."""

from __future__ import annotations

import logging

import pytest

from bot.logs import MaskingFilter
from bot.privacy import mask_pii


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("số cccd của tôi là 001203004567", "số cccd của tôi là *********567"),
        ("sđt 0912345678 nhé", "sđt *******678 nhé"),
        ("gọi +84 912 345 678", "gọi ********678"),
        ("cmnd 012345678", "cmnd ******678"),
        ("số 0790 9300 1234 nhé", "số *********234 nhé"),
        ("số 079 093 001 234", "số *********234"),
        ("số 079-093-001-234 ạ", "số *********234 ạ"),
        ("cccd079093001234", "cccd*********234"),
        ("CCCD.079093001234", "CCCD.*********234"),
        ("sđt0912345678", "sđt*******678"),
        ("sdt:0912.345.678", "sdt:*******678"),
        ("mail nguyen.van.a@gmail.com", "mail n***@gmail.com"),
        ("GET /status?token=abc123&x=1", "GET /status?token=***&x=1"),
    ],
)
def test_masks_personal_data(raw: str, expected: str) -> None:
    assert mask_pii(raw) == expected


def test_keeps_application_codes_and_dates() -> None:
    text = "hồ sơ 000.30.31.H26-240915-0012 nộp ngày 15/09/2024, tổng đài 1900 0368"
    assert mask_pii(text) == text


def test_logging_filter_masks_arguments() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "from %s", ("0912345678",), None)
    MaskingFilter().filter(record)
    assert record.getMessage() == "from *******678"


def test_formatter_masks_tracebacks() -> None:
    from bot.logs import MaskingFormatter

    try:
        raise ValueError("bad input 001203004567")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    text = MaskingFormatter("%(message)s").format(record)
    assert "001203004567" not in text and "*********567" in text
