from __future__ import annotations

from datetime import datetime

import pytest

from bot.handoff.hours import describe_opening, parse_hours
from bot.text.dates import VIETNAM

SPEC = "T2-T6 07:30-11:30, 13:30-17:00; T7 07:30-11:30"


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VIETNAM)  # type: ignore[misc]


def test_open_and_closed_times() -> None:
    hours = parse_hours(SPEC)
    assert hours.is_open(vn(2026, 11, 23, 8, 0))  # Monday morning
    assert not hours.is_open(vn(2026, 11, 23, 12, 0))  # lunch
    assert hours.is_open(vn(2026, 11, 28, 9, 0))  # Saturday morning
    assert not hours.is_open(vn(2026, 11, 28, 14, 0))  # Saturday afternoon
    assert not hours.is_open(vn(2026, 11, 29, 9, 0))  # Sunday


def test_next_opening_in_words() -> None:
    hours = parse_hours(SPEC)
    now = vn(2026, 11, 23, 12, 0)
    assert describe_opening(hours.next_opening(now), now) == "13:30 chiều nay"  # type: ignore[arg-type]
    now = vn(2026, 11, 23, 18, 0)
    assert describe_opening(hours.next_opening(now), now) == "7:30 sáng mai"  # type: ignore[arg-type]
    now = vn(2026, 11, 28, 12, 0)  # Saturday noon -> Monday
    assert describe_opening(hours.next_opening(now), now) == "7:30 sáng thứ Hai"  # type: ignore[arg-type]


def test_utc_server_clock_is_read_as_vietnam_time() -> None:
    hours = parse_hours("T2-T6 07:30-17:00")
    assert hours.is_open(datetime.fromisoformat("2026-11-23T01:00:00+00:00"))  # 8:00 in VN


@pytest.mark.parametrize(
    "bad", ["", "thứ hai 8-17", "T2-T6 17:00-08:00", "T8 08:00-09:00", "T2 8h"]
)
def test_bad_specs_say_what_is_wrong(bad: str) -> None:
    with pytest.raises(ValueError, match=r"ví dụ|HH:MM|không hợp lệ"):
        parse_hours(bad)
