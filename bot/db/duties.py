"""Periodic work that one process at a time must do, however many gateways run: telling
residents a ticket waits too long, announcing tickets, queueing status updates, purging.
(Work on single rows — inbox, outbox — is shared out by row leases instead: bot.db.leases.)

A duty is a row naming the process that holds it and until when. Holding it is one
INSERT … ON CONFLICT DO UPDATE … WHERE statement, atomic on SQLite and PostgreSQL alike:
the holder renews it each pass; when the holder dies, the duty runs out and another
process takes it over.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import DateTime, String, delete, or_
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.db.base import Base, utcnow
from bot.db.upsert import insert_for

# This process, as holders are told apart (a restarted process is a new holder).
THIS_PROCESS = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Duty(Base):
    __tablename__ = "duties"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    held_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def hold(session: Session, name: str, for_: timedelta, holder: str = THIS_PROCESS) -> bool:
    """Take or renew duty ``name`` for ``for_``; True if this holder has it now."""
    now = utcnow()
    statement = (
        insert_for(session, Duty)
        .values(name=name, holder=holder, held_until=now + for_)
        .on_conflict_do_update(
            index_elements=[Duty.name],
            set_={"holder": holder, "held_until": now + for_},
            where=or_(Duty.holder == holder, Duty.held_until < now),
        )
        .returning(Duty.name)
    )
    return session.execute(statement).first() is not None


def release(session: Session, holder: str = THIS_PROCESS) -> None:
    """Give up every duty ``holder`` holds (a process stopping cleanly): another process
    takes them at its next pass instead of waiting for them to run out."""
    session.execute(delete(Duty).where(Duty.holder == holder))
