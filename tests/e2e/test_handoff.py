"""The human handoff through the real stack (Rasa, action server, gateway as processes),
with the fake Telegram Bot API over HTTP: residents on the web and on Telegram, members in
the Telegram team group and in the console, and a gateway restart in the middle.

(The console in a real browser: tests/console/test_browser.py.)"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.console.security import hash_password
from bot.db import session_scope
from bot.handoff import service
from bot.handoff.models import CLOSED, Ticket
from bot.settings import ROOT
from bot.supervisor import Stack, start_on_free_ports
from tests.channels.fake_telegram import FakeTelegram
from tests.console.conftest import PASSWORD, Console
from tests.fakes.servers import serve

pytestmark = pytest.mark.stack
GROUP = -1009876543


def wait_for(predicate: Callable[[], Any], seconds: float = 20.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        found = predicate()
        if found:
            return found
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


@dataclass
class World:
    stack: Stack
    telegram: FakeTelegram
    ward: str
    lan: int  # Telegram user id of a member
    minh: str  # console login of a member

    @property
    def gateway_url(self) -> str:
        return self.stack.settings.gateway_url

    def restart_gateway(self) -> None:
        service_ = self.stack.get("gateway")
        self.stack.stop_service(service_)
        self.stack._spawn(service_)
        self.stack._wait_ready(service_, time.monotonic() + 60, lambda: False)


@pytest.fixture(scope="module")
def world(var_dir: Path, migrated_db: None) -> Iterator[World]:
    if not (ROOT / "models" / "assistant.tar.gz").exists():
        pytest.fail("no trained Rasa model: run `make setup` (make test does it first)")
    n = uuid.uuid4().hex[:8]
    ward, lan, minh = f"e2e-{n}", random.randint(10**6, 10**7), f"minh-{n}"
    with session_scope() as session:
        service.add_team(
            session, ward, "Tổ công nghệ số phường Thử", "T2-CN 00:00-23:59", str(GROUP)
        )
        service.add_member(session, ward, "chị Lan", telegram=str(lan))
        service.add_member(
            session, ward, "anh Minh", username=minh, password_hash=hash_password(PASSWORD)
        )
    telegram = FakeTelegram(first_message_id=random.randint(10**6, 10**9))
    telegram.user(lan, "Lan")
    with serve(telegram.app) as telegram_url:
        stack = start_on_free_ports(
            var_dir,
            {
                "TELEGRAM_BOT_TOKEN": telegram.token,
                "TELEGRAM_API_BASE": telegram_url,
                "TELEGRAM_POLL_TIMEOUT_SECONDS": "1",
                "HANDOFF_DEFAULT_WARD": ward,
                "HANDOFF_LOOP_INTERVAL_SECONDS": "1",
            },
        )
        try:
            yield World(stack, telegram, ward, lan, minh)
        finally:
            stack.stop()


class WebResident:
    def __init__(self, world: World) -> None:
        self.sender = uuid.uuid4().hex
        self.http = httpx.Client(base_url=world.gateway_url, timeout=30)
        self.ward = world.ward
        self.inbox: list[str] = []

    def say(self, text: str) -> dict[str, Any]:
        body = {"sender": self.sender, "text": text, "ward": self.ward}
        response = self.http.post("/api/messages", json=body)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    def texts(self, text: str) -> str:
        return "\n".join(m["text"] for m in self.say(text)["messages"])

    def received(self, fragment: str) -> bool:
        """Poll like the page does; True once a message with ``fragment`` arrived."""
        data = self.http.get("/api/messages/pending", params={"sender": self.sender}).json()
        self.inbox += [m["text"] for m in data["messages"]]
        return any(fragment in t for t in self.inbox)


def ticket_of(channel: str, user_id: str) -> Ticket:
    with session_scope() as session:
        ticket = session.scalar(
            select(Ticket)
            .where(Ticket.channel == channel, Ticket.user_id == user_id)
            .order_by(Ticket.id.desc())
        )
        assert ticket is not None
        return ticket


def group_post(world: World, fragment: str) -> dict[str, Any] | None:
    return next((m for m in world.telegram.to(GROUP) if fragment in m["text"]), None)


def test_web_resident_and_telegram_group_with_a_gateway_restart(world: World) -> None:
    resident = WebResident(world)
    reply = resident.say("cho toi gap nguoi ho tro")
    assert "yêu cầu số" in reply["messages"][0]["text"] and reply["handoff"] is True
    ticket = ticket_of("web", resident.sender)
    assert ticket.reason == "asked" and ticket.ward == world.ward

    # The group sees the ticket with a claim button; the resident's next message too.
    announcement = wait_for(lambda: group_post(world, f"#{ticket.id}"))
    assert "Nhận xử lý" in str(announcement.get("reply_markup"))
    assert "đã chuyển tin này" in resident.texts("em quet cccd bi loi ko doc dc chip")
    wait_for(lambda: group_post(world, "ko doc dc chip"))

    world.telegram.press(
        GROUP, f"h:claim:{ticket.id}", from_user=world.lan, message_id=announcement["message_id"]
    )
    wait_for(lambda: resident.received("chị Lan"))

    world.restart_gateway()  # everything lives in the database: nothing is lost

    world.telegram.message(
        GROUP,
        "Bác bật NFC rồi áp thẻ vào mặt lưng máy nhé",
        from_user=world.lan,
        reply_to=announcement["message_id"],
    )
    wait_for(lambda: resident.received("Bác bật NFC"))
    assert resident.say("được rồi cảm ơn cháu")["messages"] == []  # a person answers now
    wait_for(lambda: group_post(world, "được rồi cảm ơn cháu"))

    world.telegram.message(GROUP, "/xong", from_user=world.lan, reply_to=announcement["message_id"])
    wait_for(lambda: resident.received("đã kết thúc"))
    assert ticket_of("web", resident.sender).status == CLOSED

    # Rasa was resumed: the assistant answers again, from the knowledge base.
    answer = resident.say("quen mat khau vneid thi lam sao")
    assert "\nNguồn: " in answer["messages"][-1]["text"] and answer["handoff"] is False
    with session_scope() as session:
        kinds = [m.kind for m in service.transcript(session, ticket.id)]
    assert kinds.count("resident") >= 3 and kinds.count("member") == 1


def test_telegram_resident_and_console_member(world: World) -> None:
    chat = random.randint(10**8, 10**9)
    world.telegram.message(chat, "gap nhan vien")
    wait_for(lambda: any("yêu cầu số" in m["text"] for m in world.telegram.to(chat)))
    ticket = ticket_of("telegram", str(chat))

    console = Console(world.gateway_url)
    try:
        assert console.login(world.minh).status_code == 303
        assert console.act(ticket.id, "claim").status_code == 303
        wait_for(lambda: any("anh Minh" in m["text"] for m in world.telegram.to(chat)))
        console.act(ticket.id, "reply", "Chào bác, bác cần hỗ trợ việc gì ạ?")
        wait_for(lambda: any("bác cần hỗ trợ" in m["text"] for m in world.telegram.to(chat)))

        world.telegram.message(chat, "cho bac hoi doi so dien thoai vneid")
        url = f"/console/tickets/{ticket.id}/messages"
        wait_for(lambda: "doi so dien thoai" in console.http.get(url, params={"after": 0}).text)

        assert console.act(ticket.id, "close").status_code == 303
        wait_for(lambda: any("đã kết thúc" in m["text"] for m in world.telegram.to(chat)))
    finally:
        console.close()
    before = len(world.telegram.to(chat))
    world.telegram.message(chat, "xin chào")
    wait_for(lambda: any("Xin chào bạn" in m["text"] for m in world.telegram.to(chat)[before:]))


def test_unsure_twice_hands_off_and_hủy_goes_back(world: World) -> None:
    resident = WebResident(world)
    first = resident.texts("thủ tục ly hôn cần giấy tờ gì")
    assert "chưa có hướng dẫn" in first
    second = resident.texts("thủ tục ly hôn cần giấy tờ gì")
    assert "vẫn chưa tìm được" in second and "yêu cầu số" in second
    assert ticket_of("web", resident.sender).reason == "kb_unsure"
    # A bare "huy" could be a name: relayed to the person; "hủy" (or the button) cancels.
    assert "đã hủy" not in resident.texts("huy")
    assert "đã hủy" in resident.texts("hủy")
    assert ticket_of("web", resident.sender).status == CLOSED
    assert "Xin chào bạn" in resident.texts("xin chào")


def test_unhelpful_answer_then_yes_hands_off(world: World) -> None:
    resident = WebResident(world)
    resident.say("quen mat khau vneid thi lam sao")
    assert "chuyển câu hỏi cho người" in resident.texts("/feedback_negative")
    assert "yêu cầu số" in resident.texts("có")
    ticket = ticket_of("web", resident.sender)
    assert ticket.reason == "feedback" and "mat khau" in ticket.question
