"""Figures per ward for the console: what waits now, and how fast the team answers.

Medians, not means: one ticket forgotten over a weekend must not hide that most residents
get an answer in minutes. Medians are computed here rather than in SQL so the query is
the same on SQLite and PostgreSQL; a ward has a few hundred tickets a month at most.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db.base import as_utc, utcnow
from bot.handoff.models import CLAIMED, OPEN, Team, Ticket

WINDOW_DAYS = 30


@dataclass(frozen=True)
class WardFigures:
    ward: str
    team_name: str
    open: int  # waiting for a member now
    claimed: int  # a member is on it now
    # Over tickets opened in the window: first claim - creation, and closing by a member -
    # creation. None when no ticket of the window got that far.
    median_to_claim: timedelta | None
    median_to_close: timedelta | None
    claimed_in_window: int  # how many tickets each median is taken over
    closed_in_window: int


def _median(spans: Iterable[timedelta]) -> timedelta | None:
    seconds = [span.total_seconds() for span in spans]
    return timedelta(seconds=median(seconds)) if seconds else None


def ward_figures(
    session: Session,
    wards: Sequence[str] | None = None,
    *,
    now: datetime | None = None,
    days: int = WINDOW_DAYS,
) -> list[WardFigures]:
    """One row per ward (all wards with a team or a ticket when ``wards`` is None),
    sorted by ward code.

    Time to close only counts tickets a member closed: a resident who cancels after a
    minute says nothing about how fast the team resolves questions.
    """
    since = (now or utcnow()) - timedelta(days=days)
    teams = select(Team.ward, Team.name)
    live = (
        select(Ticket.ward, Ticket.status, func.count())
        .where(Ticket.status.in_((OPEN, CLAIMED)))
        .group_by(Ticket.ward, Ticket.status)
    )
    recent = select(
        Ticket.ward, Ticket.created_at, Ticket.first_claimed_at, Ticket.closed_at, Ticket.closed_by
    ).where(Ticket.created_at >= since)
    if wards is not None:
        teams = teams.where(Team.ward.in_(wards))
        live = live.where(Ticket.ward.in_(wards))
        recent = recent.where(Ticket.ward.in_(wards))

    names = {ward: name for ward, name in session.execute(teams)}
    counts: dict[tuple[str, str], int] = {
        (ward, status): count for ward, status, count in session.execute(live)
    }
    to_claim: dict[str, list[timedelta]] = {}
    to_close: dict[str, list[timedelta]] = {}
    seen = set(names) | {ward for ward, _ in counts}
    for ward, created, first_claimed, closed, closed_by in session.execute(recent):
        seen.add(ward)
        if first_claimed is not None:
            to_claim.setdefault(ward, []).append(as_utc(first_claimed) - as_utc(created))
        if closed is not None and closed_by is not None:
            to_close.setdefault(ward, []).append(as_utc(closed) - as_utc(created))

    return [
        WardFigures(
            ward=ward,
            team_name=names.get(ward, ward),
            open=counts.get((ward, OPEN), 0),
            claimed=counts.get((ward, CLAIMED), 0),
            median_to_claim=_median(to_claim.get(ward, [])),
            median_to_close=_median(to_close.get(ward, [])),
            claimed_in_window=len(to_claim.get(ward, [])),
            closed_in_window=len(to_close.get(ward, [])),
        )
        for ward in sorted(seen)
    ]
