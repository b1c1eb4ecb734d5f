"""The queue and a ticket's page over real HTTP: who sees what, and every member action
reaching the resident through the desk."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from bot.audit import AuditEvent
from bot.db import session_scope
from bot.db.base import utcnow
from bot.handoff.models import CLAIMED, CLOSED, OPEN, Ticket
from bot.handoff.tickets import TicketInfo
from tests.console.conftest import (
    PASSWORD,
    Console,
    TeamFixture,
    csrf_of,
    make_team,
    open_ticket,
    resident_inbox,
)

JSON = {"Accept": "application/json"}


def ticket(ticket_id: int) -> Ticket:
    with session_scope() as session:
        found = session.get(Ticket, ticket_id)
        assert found is not None
        return found


def audited(ticket_id: int) -> list[str]:
    with session_scope() as session:
        return list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.subject == f"ticket:{ticket_id}")
                .order_by(AuditEvent.id)
            )
        )


def test_queue_shows_the_team_tickets_newest_first_with_figures(
    console: Console, team: TeamFixture
) -> None:
    older, _ = open_ticket(team, "Câu hỏi cũ hơn về căn cước")
    newer, _ = open_ticket(team, "Câu hỏi mới nhất về VNeID " + "rất dài " * 40)
    taken, _ = open_ticket(team, "Đang có người lo")
    with session_scope() as session:
        session.execute(
            update(Ticket)
            .where(Ticket.id == older)
            .values(created_at=utcnow() - timedelta(minutes=42))
        )
        session.execute(
            update(Ticket)
            .where(Ticket.id == taken)
            .values(
                status=CLAIMED,
                claimed_by=team.minh_id,
                claimed_at=utcnow(),
                first_claimed_at=utcnow() - timedelta(minutes=1),
            )
        )
    elsewhere, _ = open_ticket(make_team("Tổ khác"), "Của phường khác")
    console.login(team.lan)
    page = console.http.get("/console")
    assert page.status_code == 200
    html = page.text
    waiting = html.split('id="waiting"')[1].split('id="in-hand"')[0]
    assert waiting.index(f"#{newer}<") < waiting.index(f"#{older}<")  # newest waiting first
    assert "chờ 42 phút" in waiting
    assert "Người dân muốn gặp người" in waiting and "Web" in waiting
    assert "…" in waiting  # a long question is cut short
    assert waiting.count("Nhận xử lý") == 2
    in_hand = html.split('id="in-hand"')[1].split('id="figures"')[0]
    assert f"#{taken}<" in in_hand and "anh Minh đang xử lý" in in_hand
    assert f"#{elsewhere}<" not in html and "Của phường khác" not in html
    figures = html.split('id="figures"')[1]
    assert team.ward in figures and "Đang chờ nhận</dt><dd>2" in figures
    assert "Đang xử lý</dt><dd>1" in figures


def test_admins_see_every_ward_and_can_filter(console: Console, team: TeamFixture) -> None:
    mine, _ = open_ticket(team)
    other_team = make_team("Tổ phường bên")
    theirs, _ = open_ticket(other_team)
    console.login(team.boss)
    everything = console.http.get("/console").text
    assert f"#{mine}<" in everything and f"#{theirs}<" in everything
    assert f'<option value="{other_team.ward}"' in everything
    only = console.http.get("/console", params={"phuong": other_team.ward}).text
    assert f"#{theirs}<" in only and f"#{mine}<" not in only
    assert console.http.get(f"/console/tickets/{theirs}").status_code == 200


def test_members_never_see_another_ward(console: Console, team: TeamFixture) -> None:
    theirs, _ = open_ticket(make_team("Tổ phường bên"), "Bí mật của phường bên")
    console.login(team.lan)
    page = console.http.get(f"/console/tickets/{theirs}")
    assert page.status_code == 403
    assert "thuộc tổ của phường khác" in page.text and "Bí mật" not in page.text
    api = console.http.get(f"/console/tickets/{theirs}/messages")
    assert api.status_code == 403 and "Bí mật" not in api.text
    for action in ("claim", "reply", "note", "release", "close"):
        refused = console.act(theirs, action, "xin chào")
        assert refused.status_code == 403, action
    assert ticket(theirs).status == OPEN
    assert console.http.get("/console/tickets/999999").status_code == 404
    # A member filtering by another ward still only gets their own team.
    assert f"#{theirs}<" not in console.http.get("/console", params={"phuong": "x"}).text


def test_claim_reply_note_release_close(
    console: Console, other_console: Console, team: TeamFixture
) -> None:
    ticket_id, resident = open_ticket(team, "Không nhận được mã OTP")
    console.login(team.lan)

    page = console.follow(console.act(ticket_id, "claim"))
    assert f"Bạn đã nhận yêu cầu #{ticket_id}" in page.text
    assert "Không nhận được mã OTP" in page.text and "Bạn thử đặt lại mật khẩu nhé." in page.text
    assert "Gửi cho người dân" in page.text
    assert any(
        "chị Lan" in text and "đã nhận hỗ trợ bạn" in text for text in resident_inbox(resident)
    )

    page = console.follow(console.act(ticket_id, "reply", "Chào bạn, bạn dùng số điện thoại nào?"))
    assert "Đã gửi cho người dân." in page.text
    assert resident_inbox(resident) == ["Chào bạn, bạn dùng số điện thoại nào?"]

    page = console.follow(console.act(ticket_id, "note", "Đã gọi điện, hẹn chiều mai"))
    assert "Đã lưu ghi chú nội bộ." in page.text
    assert "Ghi chú nội bộ — người dân không thấy" in page.text
    assert resident_inbox(resident) == []  # notes stay inside the team

    # The page's script polls for what came after the last line it has.
    data = console.http.get(f"/console/tickets/{ticket_id}/messages").json()
    assert [m["kind"] for m in data["messages"]] == ["resident", "assistant", "member", "note"]
    assert data["status"] == CLAIMED and data["claimed_by"] == team.lan_id
    last = data["messages"][-1]["id"]
    assert data["messages"][2]["author"] == "chị Lan"
    assert (
        console.http.get(f"/console/tickets/{ticket_id}/messages", params={"after": last}).json()[
            "messages"
        ]
        == []
    )

    # Another member cannot answer someone else's resident.
    other_console.login(team.minh)
    refused = other_console.act(ticket_id, "reply", "Em chen ngang")
    assert "chị Lan đang xử lý" in other_console.follow(refused).text
    assert other_console.act(ticket_id, "reply", "Em chen ngang", **JSON).status_code == 409
    assert (
        "chỉ người đã nhận mới trả lời"
        in other_console.http.get(f"/console/tickets/{ticket_id}").text
    )

    page = console.follow(console.act(ticket_id, "release"))
    assert f"Đã chuyển yêu cầu #{ticket_id} lại cho tổ." in page.text
    assert ticket(ticket_id).status == OPEN
    assert any("chuyển yêu cầu của bạn lại cho cả tổ" in t for t in resident_inbox(resident))

    assert other_console.act(ticket_id, "claim", **JSON).status_code == 200
    assert other_console.act(ticket_id, "reply", "Anh Minh đây ạ", **JSON).status_code == 200
    page = other_console.follow(other_console.act(ticket_id, "close"))
    assert f"Đã kết thúc yêu cầu #{ticket_id}" in page.text
    assert f"#{ticket_id}<" not in page.text  # gone from the queue
    closed = ticket(ticket_id)
    assert closed.status == CLOSED and closed.closed_by == team.minh_id
    inbox = resident_inbox(resident)
    assert "anh Minh" in inbox[0] and inbox[1] == "Anh Minh đây ạ"
    assert "anh Minh đã kết thúc cuộc trò chuyện" in inbox[2]

    final = console.http.get(f"/console/tickets/{ticket_id}").text
    assert "Đã kết thúc" in final and "Gửi cho người dân" not in final
    assert audited(ticket_id) == [
        "ticket_opened",
        "ticket_claimed",
        "ticket_reply",
        "ticket_note",
        "ticket_released",
        "ticket_claimed",
        "ticket_reply",
        "ticket_closed",
    ]


def test_actions_on_a_closed_ticket_are_explained(console: Console, team: TeamFixture) -> None:
    ticket_id, _ = open_ticket(team)
    console.login(team.lan)
    assert console.act(ticket_id, "close", **JSON).status_code == 200  # open tickets too
    again = console.act(ticket_id, "claim")
    assert f"Yêu cầu #{ticket_id} đã kết thúc." in console.follow(again).text
    empty = console.act(ticket_id, "note", "   ", **JSON)
    assert empty.status_code == 409 and empty.json()["detail"] == "Ghi chú trống."
    too_long = console.act(ticket_id, "note", "a" * 4001, **JSON)
    assert too_long.status_code == 409 and "dài quá" in too_long.json()["detail"]


async def test_two_claims_at_the_same_moment_one_wins(gateway: str, team: TeamFixture) -> None:
    ticket_id, _ = open_ticket(team)
    clients = [httpx.AsyncClient(base_url=gateway, timeout=15.0) for _ in range(2)]
    try:
        tokens = []
        for client, username in zip(clients, (team.lan, team.minh), strict=True):
            page = await client.get("/console/login")
            await client.post(
                "/console/login",
                data={"username": username, "password": PASSWORD, "csrf": csrf_of(page.text)},
            )
            tokens.append(csrf_of((await client.get("/console")).text))
        responses = await asyncio.gather(
            *(
                client.post(
                    f"/console/tickets/{ticket_id}/claim", data={"csrf": token}, headers=JSON
                )
                for client, token in zip(clients, tokens, strict=True)
            )
        )
    finally:
        for client in clients:
            await client.aclose()
    assert sorted(r.status_code for r in responses) == [200, 409]
    loser = next(r for r in responses if r.status_code == 409)
    assert re.search(r"(chị Lan|anh Minh) đã nhận yêu cầu #\d+ trước bạn", loser.json()["detail"])
    assert ticket(ticket_id).claimed_by in (team.lan_id, team.minh_id)
    assert audited(ticket_id).count("ticket_claimed") == 1


def test_pages_carry_protective_headers(console: Console, team: TeamFixture) -> None:
    ticket_id, _ = open_ticket(team)
    console.login(team.lan)
    page = console.http.get(f"/console/tickets/{ticket_id}")
    policy = page.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce and f'<script nonce="{nonce.group(1)}">' in page.text
    assert "frame-ancestors 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    assert "https://" not in page.text.split("<body>")[0]  # no CDN: nothing from elsewhere
    css = console.http.get("/console/static/console.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def test_what_residents_type_is_shown_as_text(console: Console, team: TeamFixture) -> None:
    ticket_id, _ = open_ticket(team, '<script>alert("xin chào")</script><b>đậm</b>')
    console.login(team.lan)
    for url in ("/console", f"/console/tickets/{ticket_id}"):
        html = console.http.get(url).text
        assert "<script>alert" not in html and "<b>đậm" not in html
        assert "&lt;script&gt;alert(" in html


def test_numbers_are_masked_until_a_member_reveals_one(console: Console, team: TeamFixture) -> None:
    ticket_id, _ = open_ticket(team, "Số CCCD của tôi 079093001234, sđt 0912345678")
    console.login(team.lan)
    page = console.http.get(f"/console/tickets/{ticket_id}").text
    assert "079093001234" not in page and "0912345678" not in page
    assert "Hiện đầy đủ" in page
    polled = console.http.get(f"/console/tickets/{ticket_id}/messages", params={"after": 0})
    first = polled.json()["messages"][0]
    assert "079093001234" not in first["text"] and first["revealable"] is True

    url = f"/console/tickets/{ticket_id}/messages/{first['id']}/reveal"
    assert console.http.post(url, data={"csrf": "forged"}).status_code == 403
    shown = console.http.post(url, data={"csrf": console.csrf()}, headers=JSON)
    assert shown.json()["text"] == "Số CCCD của tôi 079093001234, sđt 0912345678"
    page = console.http.post(url, data={"csrf": console.csrf()}).text  # without the script
    assert "079093001234" in page
    assert audited(ticket_id).count("reveal") == 2  # who looked, and at what, is recorded


class BrokenTeamChat:
    """The Telegram team group failing in the middle of a member's reply."""

    async def announce(self, ticket: TicketInfo, context: list[tuple[str, str]]) -> bool:
        return True

    async def relay_resident(self, ticket: TicketInfo, text: str) -> bool:
        return True

    async def relay_member(self, ticket: TicketInfo, member_name: str, text: str) -> None:
        raise RuntimeError("Telegram is down")

    async def taken(self, ticket: TicketInfo, member_name: str) -> None:
        return None

    async def closed(self, ticket: TicketInfo, summary: str) -> None:
        return None

    async def notice(self, ticket: TicketInfo, text: str) -> None:
        return None


def test_a_platform_failing_mid_action_is_explained(
    console: Console, team: TeamFixture, served: tuple[FastAPI, str]
) -> None:
    ticket_id, resident = open_ticket(team)
    console.login(team.lan)
    assert console.act(ticket_id, "claim", **JSON).status_code == 200
    desk = served[0].state.desk
    desk.posts.team = BrokenTeamChat()
    try:
        as_json = console.act(ticket_id, "reply", "Bạn thử lại giúp mình nhé", **JSON)
        page = console.follow(console.act(ticket_id, "reply", "Lần hai"))
    finally:
        desk.posts.team = None
    assert as_json.status_code == 500 and "có thể đã được lưu" in as_json.json()["detail"]
    assert "có thể đã được lưu" in page.text
    # Saved and delivered before the team chat failed: the page shows it, nothing is lost.
    assert "Bạn thử lại giúp mình nhé" in page.text and "Lần hai" in page.text
    assert "Bạn thử lại giúp mình nhé" in resident_inbox(resident)
