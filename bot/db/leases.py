"""What the inbox and the outbox share: a row is worked on by one worker at a time (a
lease), each resident's rows in order, and failures retried after a doubling delay.

A lease is taken with a conditional UPDATE that only one of several workers can win, on
SQLite and PostgreSQL alike; a worker that dies leaves a lease that simply runs out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, update
from sqlalchemy.orm import Session, aliased

from bot.db.base import affected


def take_lease(
    session: Session, model: Any, row_id: int, claimable: ColumnElement[bool], until: datetime
) -> bool:
    """Hold one row until ``until`` if it is still ``claimable``; True for exactly one of
    several workers trying at once."""
    result = session.execute(
        update(model)
        .where(model.id == row_id, claimable)
        .values(claimed_until=until)
        .execution_options(synchronize_session=False)
    )
    return affected(result) == 1


def first_of_resident(
    model: Any, unsettled: Callable[[Any], ColumnElement[bool]]
) -> ColumnElement[bool]:
    """No earlier unsettled row for the same resident (channel and user), so each
    resident's rows are worked on in order."""
    earlier = aliased(model)
    return ~exists().where(
        earlier.channel == model.channel,
        earlier.user_id == model.user_id,
        earlier.id < model.id,
        unsettled(earlier),
    )


def backoff(attempts: int, first: timedelta, last: timedelta) -> timedelta:
    """first, 2 × first, 4 × first… after 1, 2, 3… failed attempts; at most ``last``."""
    return min(last, first * 2.0 ** (attempts - 1))
