"""Old personal data is purged; recent data and the ward's figures stay."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, select, text

from bot.conversation.inbox import InboxMessage
from bot.conversation.outbox import OutboxMessage
from bot.db import session_scope
from bot.db.base import utcnow
from bot.handoff import service
from bot.handoff.models import CLOSED, Ticket, TicketMessage
from bot.retention import cutoff_for, purge, purge_tracker
from bot.status.models import StatusLookup


def test_purge_deletes_what_is_older_than_the_retention(migrated_db: None) -> None:
    old, new = utcnow() - timedelta(days=200), utcnow()
    user = uuid.uuid4().hex
    with session_scope() as session:
        for at in (old, new):
            session.add(
                InboxMessage(channel="web", user_id=user, text="số 0912345678", received_at=at)
            )
            session.add(OutboxMessage(channel="web", user_id=user, text="trả lời", created_at=at))
            session.add(StatusLookup(sender=user, at=at))
        ward = f"ret-{user[:8]}"
        service.add_team(session, ward, "Tổ", "T2-CN 00:00-23:59")
        team = service.team_by_ward(session, ward)
        ticket, _ = service.open_ticket(
            session,
            "web",
            user,
            team=team,
            reason="asked",
            question="CCCD 079093001234",
            context=[("resident", "CCCD 079093001234")],
        )
        ticket.status, ticket.closed_at = CLOSED, old
        ticket_id = ticket.id
    with session_scope() as session:
        counts = purge(session, cutoff_for(180))
    assert counts["inbox_messages"] >= 1 and counts["handoff_messages"] >= 1
    with session_scope() as session:
        mine = session.scalars(select(InboxMessage).where(InboxMessage.user_id == user)).all()
        assert [m.received_at.date() for m in mine] == [new.date()]  # the recent one stays
        assert session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == user)).all()
        kept = session.get(Ticket, ticket_id)
        assert kept is not None and kept.question == "" and kept.user_id == "da-xoa"  # counted
        assert not session.scalars(
            select(TicketMessage).where(TicketMessage.ticket_id == ticket_id)
        ).all()


def test_rasa_tracker_events_older_than_the_retention_are_deleted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, "
                "timestamp FLOAT, data TEXT)"
            )
        )
        for age_days in (200, 1):
            at = (utcnow() - timedelta(days=age_days)).timestamp()
            connection.execute(
                text("INSERT INTO events (sender_id, timestamp, data) VALUES ('web:a', :t, 'x')"),
                {"t": at},
            )
    assert purge_tracker(url, cutoff_for(180)) == 1
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM events")).scalar() == 1
    engine.dispose()
    assert purge_tracker(f"sqlite:///{tmp_path / 'none.db'}", cutoff_for(180)) == 0
