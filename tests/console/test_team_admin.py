"""Admins run teams from the browser: add a member who sets a password with a one-time
code, deactivate a member (their tickets go back to the queue), team hours."""

from __future__ import annotations

import re

from bot.db import session_scope
from bot.handoff import service
from bot.handoff.models import OPEN, Member, Team, Ticket
from tests.console.conftest import Console, TeamFixture, csrf_of, open_ticket, signed_in

CODE = re.compile(r'class="setup-code">([A-Z0-9-]+)<')
NEW_PASSWORD = "mat-khau-moi-cua-hoa"


def redeem(url: str, username: str, code: str, password: str = NEW_PASSWORD) -> Console:
    browser = Console(url)
    page = browser.http.get("/console/login/ma")
    response = browser.http.post(
        "/console/login/ma",
        data={
            "csrf": csrf_of(page.text),
            "username": username,
            "code": code,
            "password": password,
            "password_again": password,
        },
    )
    browser.last = response  # type: ignore[attr-defined]
    return browser


def test_members_cannot_administer(gateway: str, team: TeamFixture) -> None:
    member = signed_in(gateway, team.lan)
    page = member.http.get("/console/team")
    assert page.status_code == 403 and "quản trị viên" in page.text


def test_a_new_member_signs_in_with_a_one_time_code(gateway: str, team: TeamFixture) -> None:
    admin = signed_in(gateway, team.boss)
    page = admin.http.get("/console/team")
    assert page.status_code == 200 and f'id="to-{team.ward}"' in page.text
    username = f"hoa-{team.ward}"
    added = admin.http.post(
        f"/console/team/{team.ward}/members",
        data={
            "csrf": csrf_of(page.text),
            "name": "chị Hoa",
            "username": username,
            "role": "editor",
        },
    )
    assert added.status_code == 200 and "chỉ hiện <strong>một lần</strong>" in added.text
    match = CODE.search(added.text)
    assert match is not None
    code = match.group(1)
    # Wrong code, then a password of digits only: refused in Vietnamese.
    wrong = redeem(gateway, username, "AAAA-BBBB-CCCC").last  # type: ignore[attr-defined]
    assert wrong.status_code == 401 and "mã một lần chưa đúng" in wrong.text
    digits = redeem(gateway, username, code, "1234567890123").last  # type: ignore[attr-defined]
    assert digits.status_code == 400 and "chỉ gồm chữ số" in digits.text
    # The code, typed in lower case without dashes, sets the password and signs in.
    hoa = redeem(gateway, username, code.lower().replace("-", " "))
    assert hoa.last.status_code == 303  # type: ignore[attr-defined]
    home = hoa.follow(hoa.last)  # type: ignore[attr-defined]
    assert "Đã đặt mật khẩu mới" in home.text and "chị Hoa" in home.text
    assert "/console/articles" in home.text  # an editor sees the articles
    # Used once: the same code no longer works; the new password does.
    again = redeem(gateway, username, code).last  # type: ignore[attr-defined]
    assert again.status_code == 401
    assert Console(gateway).login(username, NEW_PASSWORD).status_code == 303


def test_deactivating_a_member_returns_their_tickets_to_the_queue(
    gateway: str, team: TeamFixture
) -> None:
    ticket_id, _ = open_ticket(team)
    with session_scope() as session:
        member = session.get(Member, team.lan_id)
        assert member is not None
        assert service.claim(session, ticket_id, member).won
    lan = signed_in(gateway, team.lan)
    admin = signed_in(gateway, team.boss)
    done = admin.http.post(
        f"/console/members/{team.lan_id}/deactivate", data={"csrf": admin.csrf()}
    )
    assert "1 yêu cầu chị Lan đang giữ đã trở lại hàng chờ" in admin.follow(done).text
    with session_scope() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None and ticket.status == OPEN and ticket.claimed_by is None
    assert lan.http.get("/console").status_code == 303  # signed out everywhere


def test_team_hours_are_checked_before_they_are_saved(gateway: str, team: TeamFixture) -> None:
    admin = signed_in(gateway, team.boss)
    csrf = admin.csrf()
    bad = admin.http.post(
        f"/console/team/{team.ward}", data={"csrf": csrf, "hours": "sáng thứ hai", "name": ""}
    )
    assert bad.status_code == 400
    good = admin.http.post(
        f"/console/team/{team.ward}",
        data={"csrf": csrf, "hours": "T2-T6 08:00-11:30", "telegram_chat": "-100123"},
    )
    assert good.status_code == 303
    with session_scope() as session:
        team_row = session.get(Team, team.team_id)
        assert team_row is not None
        assert (team_row.hours, team_row.telegram_chat_id) == ("T2-T6 08:00-11:30", "-100123")
