"""A team's working hours, written the way ward staff write them:

    "T2-T6 07:30-11:30, 13:30-17:00; T7 07:30-11:30"

Days are T2 (Monday) … T7 (Saturday) and CN (Sunday), alone or as a range; times are
Vietnam time. Residents see when a person will answer; outside hours they are told when
the team is next in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.text.dates import VIETNAM

_DAYS = {"t2": 0, "t3": 1, "t4": 2, "t5": 3, "t6": 4, "t7": 5, "cn": 6}
_DAY_NAMES = ["thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật"]
_SPAN = re.compile(r"^(\d{1,2})[:h](\d{2})\s*-\s*(\d{1,2})[:h](\d{2})$")


@dataclass(frozen=True)
class Hours:
    spec: str
    # weekday (0 = Monday) -> [(start, end)], sorted
    spans: dict[int, list[tuple[time, time]]]

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(VIETNAM)
        return any(
            start <= local.time() < end for start, end in self.spans.get(local.weekday(), [])
        )

    def next_opening(self, at: datetime) -> datetime | None:
        """The next time the team starts a span after ``at`` (None when no hours at all)."""
        local = at.astimezone(VIETNAM)
        for days_ahead in range(8):
            day = (local + timedelta(days=days_ahead)).date()
            for start, _end in self.spans.get(day.weekday(), []):
                candidate = datetime.combine(day, start, tzinfo=VIETNAM)
                if candidate > local:
                    return candidate
        return None


def parse_hours(spec: str) -> Hours:
    """Parse a spec; ValueError says in Vietnamese what is wrong and shows the format."""
    spans: dict[int, list[tuple[time, time]]] = {}
    example = 'ví dụ "T2-T6 07:30-11:30, 13:30-17:00; T7 07:30-11:30"'
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        days_text, _, times_text = part.partition(" ")
        days = _parse_days(days_text.strip().lower())
        if days is None or not times_text.strip():
            raise ValueError(f"Giờ làm việc không đọc được ở '{part}': {example}.")
        for span in filter(None, (s.strip() for s in times_text.split(","))):
            match = _SPAN.match(span)
            if not match:
                raise ValueError(f"Khoảng giờ '{span}' không đúng dạng HH:MM-HH:MM ({example}).")
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            if not (h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60) or (h1, m1) >= (h2, m2):
                raise ValueError(
                    f"Khoảng giờ '{span}' không hợp lệ (giờ bắt đầu phải trước giờ kết thúc)."
                )
            for day in days:
                spans.setdefault(day, []).append((time(h1, m1), time(h2, m2)))
    if not spans:
        raise ValueError(f"Chưa có giờ làm việc: {example}.")
    return Hours(spec.strip(), {d: sorted(s) for d, s in spans.items()})


def _parse_days(text: str) -> list[int] | None:
    first, _, last = text.partition("-")
    if first not in _DAYS or (last and last not in _DAYS):
        return None
    start, end = _DAYS[first], _DAYS[last or first]
    return list(range(start, end + 1)) if start <= end else None


def describe_opening(opening: datetime, now: datetime) -> str:
    """ "7:30 sáng mai", "13:30 chiều nay", "7:30 sáng thứ Hai" (Vietnam time)."""
    local_now = now.astimezone(VIETNAM)
    local = opening.astimezone(VIETNAM)
    clock = f"{local.hour}:{local.minute:02d}"
    part = "sáng" if local.hour < 12 else "chiều" if local.hour < 18 else "tối"
    days = (local.date() - local_now.date()).days
    if days == 0:
        return f"{clock} {part} nay"
    if days == 1:
        return f"{clock} {part} mai"
    return f"{clock} {part} {_DAY_NAMES[local.weekday()]}"
