"""Closed tickets with search, the resident's earlier tickets on a ticket's page, and the
team's canned replies (picked without typing, sent to the resident)."""

from __future__ import annotations

import secrets

from bot.db import session_scope
from bot.handoff import service
from bot.handoff.models import Member
from tests.console.conftest import (
    Console,
    TeamFixture,
    make_team,
    open_ticket,
    resident_inbox,
    signed_in,
)


def close(ticket_id: int, member_id: int) -> None:
    with session_scope() as session:
        member = session.get(Member, member_id)
        assert member is not None
        assert service.claim(session, ticket_id, member).won
        service.close(session, ticket_id, member, "done")


def test_closed_tickets_are_searchable_and_earlier_ones_shown(
    gateway: str, team: TeamFixture
) -> None:
    word = f"hộkhẩu{secrets.token_hex(3)}"
    first, user = open_ticket(team, f"Hỏi về {word}, số 0912345678")
    close(first, team.lan_id)
    second, _ = open_ticket(team, "Lần này hỏi chuyện khác", user=user)
    lan: Console = signed_in(gateway, team.lan)
    found = lan.http.get("/console/history", params={"q": word})
    assert found.status_code == 200 and f'href="/console/tickets/{first}"' in found.text
    assert "0912345678" not in found.text and "*******678" in found.text  # masked
    assert f'href="/console/tickets/{second}"' not in found.text  # still open
    by_number = lan.http.get("/console/history", params={"q": f"#{first}"})
    assert f'href="/console/tickets/{first}"' in by_number.text
    page = lan.http.get(f"/console/tickets/{second}")
    assert "Các lần trước của người dân này (1)" in page.text
    assert f'href="/console/tickets/{first}"' in page.text


def test_a_canned_reply_is_sent_without_typing(gateway: str, team: TeamFixture) -> None:
    lan = signed_in(gateway, team.lan)
    added = lan.http.post(
        "/console/replies",
        data={
            "csrf": lan.csrf(),
            "title": "Hẹn một cửa",
            "text": "Bạn mang thẻ căn cước đến bộ phận một cửa phường giờ hành chính nhé.",
        },
    )
    assert "Đã thêm câu mẫu" in lan.follow(added).text
    ticket_id, user = open_ticket(team)
    with session_scope() as session:
        member = session.get(Member, team.lan_id)
        assert member is not None and service.claim(session, ticket_id, member).won
    page = lan.http.get(f"/console/tickets/{ticket_id}")
    assert "Hẹn một cửa" in page.text
    canned_id = page.text.split('data-text="Bạn mang thẻ')[0].rsplit('value="', 1)[1].split('"')[0]
    sent = lan.http.post(
        f"/console/tickets/{ticket_id}/reply",
        data={"csrf": lan.csrf(), "text": "", "canned": canned_id},
    )
    assert "Đã gửi cho người dân" in lan.follow(sent).text
    assert any("bộ phận một cửa phường" in text for text in resident_inbox(user))
    # Another ward's team neither sees nor deletes it.
    stranger = signed_in(gateway, make_team("Tổ khác").lan)
    assert "Hẹn một cửa" not in stranger.http.get("/console/replies").text
    refused = stranger.http.post(
        f"/console/replies/{canned_id}/delete", data={"csrf": stranger.csrf()}
    )
    assert refused.status_code == 404
