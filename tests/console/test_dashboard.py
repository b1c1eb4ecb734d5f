"""The leaders' dashboard over real HTTP: the period's figures per ward, each chart's
table, its CSV, and members limited to their ward."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from bot.conversation.outcomes import MessageOutcome
from bot.db import session_scope
from bot.db.base import utcnow
from bot.text.dates import VIETNAM
from tests.console.conftest import TeamFixture, make_team, open_ticket, signed_in


def record(
    ward: str,
    kind: str,
    channel: str = "web",
    resident: str = "r1",
    days_ago: int = 0,
    article: str | None = None,
    topic: str | None = None,
) -> None:
    at = utcnow() - timedelta(days=days_ago)
    with session_scope() as session:
        session.add(
            MessageOutcome(
                at=at,
                day=at.astimezone(VIETNAM).date(),
                channel=channel,
                ward=ward,
                resident=resident,
                kind=kind,
                article_id=article,
                topic=topic,
            )
        )


def test_the_days_figures_per_ward_with_tables_and_csv(
    editor_gateway: str, team: TeamFixture
) -> None:
    for i in range(3):
        record(
            team.ward, "answered", "zalo", f"a{i}", article="vneid-forgot-password", topic="vneid"
        )
    record(team.ward, "unsure", "web", "a0")
    record(team.ward, "handoff", "telegram", "a1")
    record(team.ward, "status", "web", "a2", topic="found")
    record("phuong-khac", "answered", "web", "zz", topic="cu-tru")
    open_ticket(team)
    admin = signed_in(editor_gateway, team.boss)
    page = admin.http.get("/console/dashboard", params={"phuong": team.ward, "khoang": 7})
    assert page.status_code == 200, page.text[:500]
    text = page.text
    assert "Tin nhắn</dt><dd>6</dd>" in text  # the other ward's message is not counted
    assert "Người dân</dt><dd>3</dd>" in text
    assert "Câu hỏi được trả lời</dt><dd>75%</dd>" in text  # 3 of 3 answered + 1 unsure
    assert 'data-chart="tin-nhan"' in text and "/console/static/chart.umd.min.js" in text
    assert "<td>vneid</td><td>3</td>" in text  # top topics, as a table too
    exported = admin.http.get(
        "/console/dashboard/ket-qua.csv", params={"phuong": team.ward, "khoang": 7}
    )
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert rows[0] == ["Kết quả", "Số tin", "Tỉ lệ (%)"]
    assert ["Trả lời được", "3", "50.0"] in rows
    assert admin.http.get("/console/static/chart.umd.min.js").status_code == 200


def test_a_member_sees_their_own_ward_only(editor_gateway: str) -> None:
    team = make_team()
    record(team.ward, "answered", resident="m1")
    record("phuong-la", "answered", resident="m2")
    member = signed_in(editor_gateway, team.lan)
    page = member.http.get("/console/dashboard", params={"phuong": "phuong-la"})
    assert page.status_code == 200
    assert "Tin nhắn</dt><dd>1</dd>" in page.text and f">{team.ward}<" in page.text
