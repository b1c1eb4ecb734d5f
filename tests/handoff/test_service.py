"""The rules of a ticket, against the real database (SQLite, and PostgreSQL in make test)."""

from __future__ import annotations

import itertools
import threading

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.audit import AuditEvent
from bot.db import session_scope
from bot.handoff import service
from bot.handoff.models import CLAIMED, CLOSED, OPEN, Member, Ticket
from tests.handoff.conftest import TeamFixture

_users = itertools.count(1)


def open_one(team: TeamFixture, channel: str = "web") -> int:
    with session_scope() as session:
        t = service.team_by_ward(session, team.ward)
        ticket, created = service.open_ticket(
            session,
            channel,
            f"u{next(_users)}",
            team=t,
            reason="asked",
            question="kích hoạt mức 2 báo lỗi, số 0912345678",
            context=[("resident", "kich hoat loi"), ("assistant", "Mình chưa chắc…")],
        )
        assert created
        return ticket.id


def member(member_id: int) -> Member:
    with session_scope() as session:
        found = session.get(Member, member_id)
        assert found is not None
        return found


def test_one_active_ticket_per_conversation(team: TeamFixture) -> None:
    with session_scope() as session:
        t = service.team_by_ward(session, team.ward)
        first, created = service.open_ticket(
            session, "zalo", "same", team=t, reason="asked", question="a"
        )
        again, created_again = service.open_ticket(
            session, "zalo", "same", team=t, reason="asked", question="b"
        )
    assert created and not created_again and again.id == first.id
    # The database itself refuses a second active ticket (two gateways racing).
    with pytest.raises(IntegrityError), session_scope() as session:
        session.add(
            Ticket(
                team_id=team.team_id, ward=team.ward, channel="zalo", user_id="same", reason="asked"
            )
        )


def test_claim_reply_release_close(team: TeamFixture) -> None:
    ticket_id = open_one(team)
    with session_scope() as session:
        assert service.claim(session, ticket_id, member(team.lan)).won
    with session_scope() as session, pytest.raises(service.HandoffError, match="chị Lan"):
        service.reply(session, ticket_id, member(team.minh), "để em")
    with session_scope() as session:
        service.reply(session, ticket_id, member(team.lan), "Chào bác, bác đang ở bước nào ạ?")
        service.add_note(session, ticket_id, member(team.minh), "Bác này hỏi lần 2 rồi")
    with session_scope() as session:
        service.release(session, ticket_id, member(team.lan))
        assert service.get_ticket(session, ticket_id).status == OPEN
    with session_scope() as session:
        result = service.claim(session, ticket_id, member(team.minh))
        assert result.won and result.ticket.status == CLAIMED
    with session_scope() as session:
        ticket = service.close(session, ticket_id, member(team.minh), "resolved")
        assert ticket.status == CLOSED and ticket.first_claimed_at is not None
    with session_scope() as session:
        kinds = [m.kind for m in service.transcript(session, ticket_id)]
        assert kinds == ["resident", "assistant", "member", "note"]
        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject == f"ticket:{ticket_id}")
            .order_by(AuditEvent.id)  # PostgreSQL returns rows in no set order otherwise
        ).all()
        assert actions == [
            "ticket_opened",
            "ticket_claimed",
            "ticket_reply",
            "ticket_note",
            "ticket_released",
            "ticket_claimed",
            "ticket_closed",
        ]
    with session_scope() as session, pytest.raises(service.HandoffError, match="đã đóng"):
        service.close(session, ticket_id, member(team.lan), "resolved")


def test_other_wards_cannot_touch_a_ticket(team: TeamFixture) -> None:
    ticket_id = open_one(team)
    with session_scope() as session:
        service.add_team(session, f"{team.ward}-khac", "Tổ khác", "T2-T6 08:00-17:00")
        stranger = service.add_member(
            session, f"{team.ward}-khac", "Khách", username=f"{team.ward}-x"
        )
    with session_scope() as session, pytest.raises(service.HandoffError, match="phường khác"):
        service.claim(session, ticket_id, stranger)
    with session_scope() as session:  # an admin of any ward may
        assert service.claim(session, ticket_id, member(team.admin)).won


def test_two_members_claiming_at_once_exactly_one_wins(team: TeamFixture) -> None:
    for _ in range(5):
        ticket_id = open_one(team)
        barrier = threading.Barrier(2)
        results: dict[int, bool] = {}

        def press(
            member_id: int, ticket_id: int, barrier: threading.Barrier, results: dict[int, bool]
        ) -> None:
            m = member(member_id)
            barrier.wait()
            with session_scope() as session:
                results[member_id] = service.claim(session, ticket_id, m).won

        threads = [
            threading.Thread(target=press, args=(m, ticket_id, barrier, results))
            for m in (team.lan, team.minh)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results.values()) == [False, True]
        with session_scope() as session:
            winner = service.get_ticket(session, ticket_id).claimed_by
        assert results[winner]  # type: ignore[index]


def test_telegram_username_binds_to_the_user_id(team: TeamFixture) -> None:
    n = team.ward.split("-")[1]
    with session_scope() as session:
        found = service.member_by_telegram(session, 777000 + int(n), f"Lan{n}")
        assert found is not None and found.id == team.lan
    with session_scope() as session:
        again = service.member_by_telegram(session, 777000 + int(n), None)
        assert again is not None and again.id == team.lan


def test_bad_team_input_is_refused_in_vietnamese(team: TeamFixture) -> None:
    with session_scope() as session, pytest.raises(ValueError, match="HH:MM"):
        service.add_team(session, "moi", "Tổ mới", "T2-T6 8h-17h")
    with session_scope() as session, pytest.raises(service.HandoffError, match="đã có"):
        service.add_team(session, team.ward, "Trùng", "T2-T6 08:00-17:00")
    with session_scope() as session, pytest.raises(service.HandoffError, match="Vai trò"):
        service.add_member(session, team.ward, "X", username="x-role", role="boss")


def test_deactivating_a_telegram_only_member_releases_their_tickets(team: TeamFixture) -> None:
    with session_scope() as session:
        tg = service.add_member(session, team.ward, "anh Tú", telegram="@tu_cnscd")
        tg_id = tg.id
    ticket_id = open_one(team)
    with session_scope() as session:
        assert service.claim(session, ticket_id, member(tg_id)).won
    with session_scope() as session:
        gone, released = service.deactivate_member(session, "@TU_cnscd")
        assert gone.id == tg_id and released == [ticket_id]
    with session_scope() as session:
        ticket = service.get_ticket(session, ticket_id)
        assert ticket.status == OPEN and ticket.claimed_by is None
        assert ticket.announced_at is None  # the handoff loop announces it again
        assert member(tg_id).active is False
    with session_scope() as session:  # by console login or #id too
        assert (
            service.deactivate_member(session, f"minh{team.ward.split('-')[1]}")[0].id == team.minh
        )
        assert service.deactivate_member(session, f"#{team.lan}")[0].id == team.lan
    with session_scope() as session, pytest.raises(service.HandoffError, match="Không tìm thấy"):
        service.deactivate_member(session, "@nobody")


def test_a_resident_opens_at_most_three_tickets_an_hour(team: TeamFixture) -> None:
    user = f"flood-{next(_users)}"
    for _ in range(3):
        with session_scope() as session:
            t = service.team_by_ward(session, team.ward)
            ticket, created = service.open_ticket(
                session, "web", user, team=t, reason="asked", question="gặp người"
            )
            assert created
            service.close(session, ticket.id, None, "resident_cancelled")
    with session_scope() as session, pytest.raises(service.TooManyTickets):
        t = service.team_by_ward(session, team.ward)
        service.open_ticket(session, "web", user, team=t, reason="asked", question="gặp người")
