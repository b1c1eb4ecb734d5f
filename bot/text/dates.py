"""Today's date where the residents are: due dates and review dates are Vietnamese dates,
whatever the server's time zone (a UTC host is 7 hours behind)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def vietnam_today() -> date:
    return datetime.now(VIETNAM).date()
