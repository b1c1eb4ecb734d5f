"""The desk across residents, the team channel and Rasa (in-memory stand-ins for the
platforms; the real HTTP loop is in tests/e2e and tests/channels)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bot.conversation import outbox
from bot.conversation.rasa_client import RasaClient, RasaUnavailable
from bot.db import session_scope
from bot.db.base import utcnow
from bot.handoff import service
from bot.handoff.desk import HandoffDesk
from bot.handoff.models import CLOSED, Ticket
from bot.handoff.rasa_link import RasaLink
from bot.handoff.team_posts import TeamPosts
from bot.handoff.tickets import TicketInfo
from tests.handoff.conftest import TeamFixture

_users = itertools.count(1)
REQUEST = {
    "reason": "kb_unsure",
    "question": "không nhận được mã OTP",
    "transcript": [["resident", "ko nhan dc otp"], ["assistant", "Mình chưa chắc…"], ["bot", "x"]],
}


class RecordingRasa(RasaClient):
    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:9", None, 1.0)
        self.events: list[tuple[str, list[dict[str, Any]]]] = []
        self.down = False

    async def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        if self.down:
            raise RasaUnavailable("ConnectError")
        self.events.append((conversation_id, events))


class RecordingTeam:
    def __init__(self) -> None:
        self.posts: list[tuple[str, int, str]] = []
        self.refuse = False

    async def announce(self, ticket: TicketInfo, context: list[tuple[str, str]]) -> bool:
        self.posts.append(("announce", ticket.id, " | ".join(t for _, t in context)))
        return not self.refuse

    async def relay_resident(self, ticket: TicketInfo, text: str) -> bool:
        self.posts.append(("resident", ticket.id, text))
        return not self.refuse

    async def relay_member(self, ticket: TicketInfo, member_name: str, text: str) -> None:
        self.posts.append(("member", ticket.id, text))

    async def taken(self, ticket: TicketInfo, member_name: str) -> None:
        self.posts.append(("taken", ticket.id, member_name))

    async def closed(self, ticket: TicketInfo, summary: str) -> None:
        self.posts.append(("closed", ticket.id, summary))

    async def notice(self, ticket: TicketInfo, text: str) -> None:
        self.posts.append(("notice", ticket.id, text))


@pytest.fixture
def desk() -> HandoffDesk:
    return HandoffDesk(
        RasaLink(RecordingRasa()),
        TeamPosts(RecordingTeam()),
        {},
        claim_timeout_minutes=10,
        expected_wait_minutes=10,
    )


def pending(user: str) -> list[str]:
    with session_scope() as session:
        return [t for _, t in outbox.pending(session, "web", user, None)]


async def start(desk: HandoffDesk, team: TeamFixture) -> tuple[str, int]:
    user = f"resident{next(_users)}"
    replies = await desk.start("web", user, team.ward, REQUEST)
    assert "yêu cầu số" in replies[0].text and "Đừng gửi mật khẩu" in replies[0].text
    with session_scope() as session:
        ticket = service.active_ticket(session, "web", user)
        assert ticket is not None
        return user, ticket.id


async def test_whole_loop(desk: HandoffDesk, team: TeamFixture) -> None:
    rasa: RecordingRasa = desk.rasa._rasa  # type: ignore[assignment]
    posts: RecordingTeam = desk.posts.team  # type: ignore[assignment]
    user, ticket_id = await start(desk, team)
    assert posts.posts == []  # posted by the desk's loop, not in the resident's request
    await desk.tick()
    assert posts.posts[0] == ("announce", ticket_id, "ko nhan dc otp | Mình chưa chắc…")
    assert rasa.events[-1] == (
        f"web:{user}",
        [{"event": "slot", "name": "handoff_ticket", "value": str(ticket_id)}, {"event": "pause"}],
    )
    # Unclaimed: the resident's message goes to the team, the resident hears it was passed on.
    routed = await desk.route("web", user, "em dùng iphone 7")
    assert routed is not None and "đã chuyển tin này" in routed[0].text
    await desk.tick()
    assert posts.posts[-1] == ("resident", ticket_id, "em dùng iphone 7")
    assert (await desk.claim(ticket_id, team.lan)).won
    assert "chị Lan" in pending(user)[0]
    await desk.reply(ticket_id, team.lan, "Bác bật NFC giúp cháu nhé")
    assert pending(user) == ["Bác bật NFC giúp cháu nhé"]
    assert posts.posts[-1] == ("member", ticket_id, "Bác bật NFC giúp cháu nhé")
    assert await desk.route("web", user, "được rồi cháu ơi") == []  # claimed: no bot chatter
    await desk.close(ticket_id, team.lan)
    assert "tiếp tục hỗ trợ" in pending(user)[0]
    conversation, events = rasa.events[-1]
    assert conversation == f"web:{user}" and events[0] == {"event": "resume"}
    assert await desk.route("web", user, "cảm ơn") is None  # the assistant answers again
    with session_scope() as session:
        texts = [m.text for m in service.transcript(session, ticket_id)]
    assert texts == [
        "ko nhan dc otp",
        "Mình chưa chắc…",
        "em dùng iphone 7",
        "Bác bật NFC giúp cháu nhé",
        "được rồi cháu ơi",
    ]


@pytest.mark.parametrize("command", ["Huỷ", "hủy yêu cầu!", "huy yeu cau", "/cancel", "/huy"])
async def test_resident_cancels_with_a_command(
    desk: HandoffDesk, team: TeamFixture, command: str
) -> None:
    user, ticket_id = await start(desk, team)
    routed = await desk.route("web", user, command)
    assert routed is not None and "đã hủy" in routed[0].text
    with session_scope() as session:
        assert service.get_ticket(session, ticket_id).status == CLOSED


@pytest.mark.parametrize("word", ["Huy", "huy", "Thôi!", "thoi", "kết thúc"])
async def test_a_name_or_an_exclamation_is_relayed_not_a_cancel(
    desk: HandoffDesk, team: TeamFixture, word: str
) -> None:
    # "Em tên gì?" - "Huy": the person asked; the ticket stays open.
    user, ticket_id = await start(desk, team)
    routed = await desk.route("web", user, word)
    assert routed is not None and "đã hủy" not in routed[0].text
    with session_scope() as session:
        assert service.get_ticket(session, ticket_id).status != CLOSED
        assert service.transcript(session, ticket_id)[-1].text == word


async def test_buttons_and_second_request_while_waiting(
    desk: HandoffDesk, team: TeamFixture
) -> None:
    user, ticket_id = await start(desk, team)
    again = await desk.start("web", user, team.ward, REQUEST)
    assert f"Yêu cầu số {ticket_id}" in again[0].text
    routed = await desk.route("web", user, "/request_human")
    assert routed is not None and "đang chờ" in routed[0].text
    routed = await desk.route("web", user, '/ask_question{"article_id":"error-nfc"}')
    assert routed is not None and "nhắn bằng chữ" in routed[0].text


async def test_nobody_claims_in_time(desk: HandoffDesk, team: TeamFixture) -> None:
    user, ticket_id = await start(desk, team)
    pending(user)
    with session_scope() as session:
        session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id)
            .values(created_at=utcnow() - timedelta(minutes=11))
        )
    await desk.tick()
    told = pending(user)
    assert len(told) == 1 and "1900 0368" in told[0] and "vẫn" in told[0]
    await desk.tick()
    assert pending(user) == []  # told once
    with session_scope() as session:
        assert service.get_ticket(session, ticket_id).status == "open"  # still open


async def test_refused_platform_calls_are_retried(desk: HandoffDesk, team: TeamFixture) -> None:
    rasa: RecordingRasa = desk.rasa._rasa  # type: ignore[assignment]
    posts: RecordingTeam = desk.posts.team  # type: ignore[assignment]
    posts.refuse = True
    user, ticket_id = await start(desk, team)
    await desk.route("web", user, "tin nhắn 1")
    await desk.tick()  # the platform refuses: nothing is marked posted
    posts.refuse = False
    await desk.tick()
    assert ("resident", ticket_id, "tin nhắn 1") in posts.posts
    assert sum(1 for p in posts.posts if p[:2] == ("announce", ticket_id)) == 2
    assert sum(1 for p in posts.posts if p == ("resident", ticket_id, "tin nhắn 1")) == 2
    # Rasa down when the ticket closes: resumed on the next pass.
    assert (await desk.claim(ticket_id, team.minh)).won
    rasa.down = True
    await desk.close(ticket_id, team.minh)
    rasa.down = False
    await desk.tick()
    assert rasa.events[-1][0] == f"web:{user}" and rasa.events[-1][1][0] == {"event": "resume"}
    with session_scope() as session:
        assert service.get_ticket(session, ticket_id).rasa_resumed_at is not None


class StuckTeam(RecordingTeam):
    """A team group that never answers (Telegram's per-group limit, a hung connection)."""

    async def announce(self, ticket: TicketInfo, context: list[tuple[str, str]]) -> bool:
        await asyncio.Event().wait()
        return True

    async def relay_resident(self, ticket: TicketInfo, text: str) -> bool:
        await asyncio.Event().wait()
        return True


async def test_a_stuck_team_group_never_holds_up_the_resident(team: TeamFixture) -> None:
    stuck = HandoffDesk(
        RasaLink(RecordingRasa()),
        TeamPosts(StuckTeam()),
        {},
        claim_timeout_minutes=10,
        expected_wait_minutes=10,
    )
    user, _ = await asyncio.wait_for(start(stuck, team), 10)
    routed = await asyncio.wait_for(stuck.route("web", user, "em dùng iphone 7"), 10)
    assert routed is not None and "đã chuyển tin này" in routed[0].text
