"""Figures per ward: open tickets now, median times to claim and to close over 30 days."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot.db import session_scope
from bot.db.base import utcnow
from bot.handoff.metrics import ward_figures
from bot.handoff.models import CLAIMED, CLOSED, Ticket
from tests.console.conftest import TeamFixture, make_team, open_ticket


def _set(ticket_id: int, **values: object) -> None:
    with session_scope() as session:
        session.execute(update(Ticket).where(Ticket.id == ticket_id).values(**values))


def test_medians_and_counts_per_ward(team: TeamFixture) -> None:
    now = utcnow()
    day = now - timedelta(days=10)
    fast, slow, cancelled, old, waiting, busy = (open_ticket(team)[0] for _ in range(6))
    # Claimed after 4 and 10 minutes, closed by a member after 30 and 90 minutes.
    _set(
        fast,
        status=CLOSED,
        created_at=day,
        first_claimed_at=day + timedelta(minutes=4),
        closed_at=day + timedelta(minutes=30),
        closed_by=team.lan_id,
    )
    _set(
        slow,
        status=CLOSED,
        created_at=day,
        first_claimed_at=day + timedelta(minutes=10),
        closed_at=day + timedelta(minutes=90),
        closed_by=team.minh_id,
    )
    # Claimed after 1 minute; the resident cancelled: no say on how fast the team closes.
    _set(
        cancelled,
        status=CLOSED,
        created_at=day,
        first_claimed_at=day + timedelta(minutes=1),
        closed_at=day + timedelta(minutes=2),
        close_reason="resident_cancelled",
    )
    # Before the window: counted nowhere.
    long_ago = now - timedelta(days=45)
    _set(
        old,
        status=CLOSED,
        created_at=long_ago,
        first_claimed_at=long_ago + timedelta(days=1),
        closed_at=long_ago + timedelta(days=2),
        closed_by=team.lan_id,
    )
    _set(busy, status=CLAIMED, claimed_by=team.lan_id, first_claimed_at=now)
    untouched = make_team("Tổ chưa có việc")

    with session_scope() as session:
        figures = ward_figures(session, [team.ward, untouched.ward], now=now)
    by_ward = {f.ward: f for f in figures}
    mine = by_ward[team.ward]
    assert (mine.open, mine.claimed) == (1, 1)  # waiting, busy
    # Claims: 1, 4, 10 minutes and ~0 (busy, just now) -> median 2.5 minutes.
    assert mine.claimed_in_window == 4
    assert abs(mine.median_to_claim.total_seconds() - 150) < 5  # type: ignore[union-attr]
    assert mine.closed_in_window == 2
    assert mine.median_to_close == timedelta(minutes=60)
    empty = by_ward[untouched.ward]
    assert (empty.open, empty.claimed, empty.median_to_claim, empty.median_to_close) == (
        0,
        0,
        None,
        None,
    )
    assert empty.team_name.startswith("Tổ chưa có việc")
    assert [f.ward for f in figures] == sorted([team.ward, untouched.ward])
    assert waiting  # still open: only in the open count
