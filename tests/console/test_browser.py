"""A team member's whole handoff in a real headless Chromium at phone size, against the
real gateway over HTTP; the resident uses the web chat API.

Debian's Chromium is driven by Playwright (never `playwright install`: nothing is
downloaded). Without /usr/bin/chromium the test is skipped, except under CI where it
fails: run scripts/install_browser.sh.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from bot.db import session_scope
from bot.handoff import service
from bot.handoff.models import CLOSED, Ticket
from tests.console.conftest import ALWAYS_OPEN, PASSWORD, password_hash
from tests.fakes.rasa import FakeRasa

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
ASK_FOR_HUMAN = "tôi muốn gặp người hỗ trợ"
QUESTION = "Tôi không đăng nhập được VNeID mức 2, app báo sai mật khẩu"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        reason = "Chromium is not installed at /usr/bin/chromium: run scripts/install_browser.sh"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def eventually(check: Callable[[], Any], seconds: float = 10.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


class Resident:
    """The web chat's side: what its page sends and polls."""

    def __init__(self, base_url: str, ward: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=15.0)
        self.sender = secrets.token_hex(8)
        self.ward = ward
        self.seen: list[str] = []

    def say(self, text: str) -> list[str]:
        response = self.http.post(
            "/api/messages", json={"sender": self.sender, "text": text, "ward": self.ward}
        )
        assert response.status_code == 200, response.text
        return [m["text"] for m in response.json()["messages"] if m.get("text")]

    def poll(self) -> list[str]:
        response = self.http.get("/api/messages/pending", params={"sender": self.sender})
        assert response.status_code == 200
        self.seen += [m["text"] for m in response.json()["messages"]]
        return self.seen


def fits_the_phone(page: Any) -> None:
    """No sideways scrolling, and every button big enough for a thumb."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for box in page.locator("main button:visible").evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return [e.textContent.trim(), r.height, r.right]; })"
    ):
        label, height, right = box
        assert height >= 44, f"button {label!r} is {height}px high"
        assert right <= 360, f"button {label!r} sticks out ({right}px)"


def test_member_handles_a_resident_from_a_phone(
    browser: Any, gateway: str, fake_rasa: tuple[FakeRasa, int]
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tag = secrets.token_hex(4)
    ward = f"cs-{tag}"
    with session_scope() as session:
        service.add_team(session, ward, f"Tổ công nghệ số phường {tag}", ALWAYS_OPEN)
    fake_rasa[0].scripted[ASK_FOR_HUMAN] = [
        {
            "custom": {
                "handoff": {
                    "reason": "asked",
                    "question": QUESTION,
                    "transcript": [
                        ["resident", QUESTION],
                        ["assistant", "Bạn thử chọn 'Quên mật khẩu' trên ứng dụng VNeID nhé."],
                        ["resident", ASK_FOR_HUMAN],
                    ],
                }
            }
        }
    ]

    # The resident asks for a person in the web chat: a ticket is opened.
    resident = Resident(gateway, ward)
    started = resident.say(ASK_FOR_HUMAN)
    assert any("yêu cầu số" in text for text in started), started
    with session_scope() as session:
        opened = service.active_ticket(session, "web", resident.sender)
        assert opened is not None
        ticket_id = opened.id
        # The member belongs to whichever team got the ticket (the ward's, or the first).
        service.add_member(
            session,
            opened.ward,
            "chị Hoa",
            username=f"hoa-{tag}",
            password_hash=password_hash(),
        )

    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="vi-VN",
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []  # script errors, CSP refusals
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and "Failed to load resource" not in msg.text
            else None
        ),
    )
    refused: list[tuple[int, str]] = []
    page.on(
        "response",
        lambda r: (
            refused.append((r.status, r.url.removeprefix(gateway))) if r.status >= 400 else None
        ),
    )
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        # Sign in (the queue sends there first).
        page.goto(f"{gateway}/console")
        assert "/console/login" in page.url
        page.get_by_label("Tên đăng nhập").fill(f"hoa-{tag}")
        page.get_by_label("Mật khẩu").fill("sai-roi")
        page.get_by_role("button", name="Đăng nhập").click()
        expect(page.get_by_text("Tên đăng nhập hoặc mật khẩu chưa đúng")).to_be_visible()
        fits_the_phone(page)
        page.screenshot(path=str(SCREENSHOTS / "console-login.png"), full_page=True)
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(f"{gateway}/console")

        # The queue: the ticket with its reason and question, and the ward's figures.
        card = page.locator(f"#yeu-cau-{ticket_id}")
        expect(card).to_be_visible()
        assert "Người dân muốn gặp người" in card.inner_text()
        assert "VNeID mức 2" in card.inner_text()
        expect(page.get_by_text("Số liệu 30 ngày qua")).to_be_visible()
        fits_the_phone(page)
        page.screenshot(path=str(SCREENSHOTS / "console-queue.png"), full_page=True)

        # Claim: the ticket page with the whole conversation so far.
        card.get_by_role("button", name="Nhận xử lý").click()
        page.wait_for_url(f"{gateway}/console/tickets/{ticket_id}*")
        expect(page.get_by_text(f"Bạn đã nhận yêu cầu #{ticket_id}")).to_be_visible()
        transcript = page.locator("#transcript")
        assert "Quên mật khẩu" in transcript.inner_text()
        assert transcript.locator(".line.resident").count() == 2
        eventually(lambda: any("chị Hoa" in t for t in resident.poll()))

        # Reply: the resident's web chat gets it at its next poll.
        answer = "Chào bạn, mình là Hoa. Bạn đang dùng số điện thoại đăng ký VNeID chứ?"
        page.get_by_label("Trả lời người dân").fill(answer)
        page.get_by_role("button", name="Gửi cho người dân").click()
        expect(page.get_by_text("Đã gửi cho người dân.")).to_be_visible()
        eventually(lambda: answer in resident.poll())

        # The resident writes again: the line appears on the open page, without a reload.
        page.evaluate("window.stillTheSamePage = true")
        followup = "Dạ đúng số đó ạ, nhưng em không nhận được mã OTP"
        assert resident.say(followup) == []  # a person has the conversation: no bot answer
        page.locator(".line.resident", has_text=followup).wait_for(timeout=10_000)
        assert page.evaluate("window.stillTheSamePage === true")

        # An ID number arrives masked; "Hiện đầy đủ" shows it in place (and is audited).
        assert resident.say("Số căn cước của em là 079093001234 ạ") == []
        masked = page.locator(".line.resident", has_text="Số căn cước của em")
        masked.wait_for(timeout=10_000)
        assert "079093001234" not in masked.inner_text()
        masked.get_by_role("button", name="Hiện đầy đủ (được ghi nhật ký)").click()
        expect(masked).to_contain_text("079093001234")
        assert page.evaluate("window.stillTheSamePage === true")

        # An internal note: marked as such, never sent to the resident.
        page.get_by_label("Ghi chú nội bộ").fill("Có thể nhà mạng chặn tin nhắn; hẹn gọi lại")
        page.get_by_role("button", name="Lưu ghi chú").click()
        note = page.locator(".line.note")
        expect(note).to_contain_text("Ghi chú nội bộ — người dân không thấy")
        fits_the_phone(page)
        page.screenshot(path=str(SCREENSHOTS / "console-ticket.png"), full_page=True)
        page.screenshot(path=str(SCREENSHOTS / "console-ticket-screen.png"))

        # Close: back to the queue; the resident is told the assistant takes over again.
        page.get_by_role("button", name="Kết thúc").click()
        page.wait_for_url(f"{gateway}/console")
        expect(page.get_by_text(f"Đã kết thúc yêu cầu #{ticket_id}")).to_be_visible()
        expect(page.locator(f"#yeu-cau-{ticket_id}")).to_have_count(0)
        eventually(lambda: any("đã kết thúc cuộc trò chuyện" in t for t in resident.poll()))
        assert not any("nhà mạng" in t for t in resident.seen)
        page.screenshot(path=str(SCREENSHOTS / "console-closed.png"), full_page=True)
        assert errors == []
        assert refused == [(401, "/console/login")]  # the wrong password, nothing else
    finally:
        context.close()
        resident.http.close()
    with session_scope() as session:
        closed = session.get(Ticket, ticket_id)
        assert closed is not None and closed.status == CLOSED


def test_a_shared_phone_starts_a_new_conversation(
    browser: Any, gateway: str, fake_rasa: tuple[FakeRasa, int]
) -> None:
    """A ward kiosk: the next resident presses "Cuộc trò chuyện mới" and gets a new sender
    id; the previous resident's waiting request for a person is cancelled, not inherited."""
    tag = secrets.token_hex(4)
    ward = f"kiosk-{tag}"
    with session_scope() as session:
        service.add_team(session, ward, f"Tổ công nghệ số phường {tag}", ALWAYS_OPEN)
    fake_rasa[0].scripted[ASK_FOR_HUMAN] = [
        {"custom": {"handoff": {"reason": "asked", "question": QUESTION, "transcript": []}}}
    ]
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="vi-VN"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        page.goto(f"{gateway}/?phuong={ward}")
        expect(page.locator(".msg.bot").first).to_contain_text("echo: /greet")
        page.get_by_label("Nhập câu hỏi").fill(ASK_FOR_HUMAN)
        page.get_by_role("button", name="Gửi").click()
        expect(page.locator(".msg.bot").last).to_contain_text("yêu cầu số")
        first = page.evaluate("localStorage.getItem('chat-sender')")
        with session_scope() as session:
            ticket = service.active_ticket(session, "web", first)
            assert ticket is not None
            ticket_id = ticket.id

        new_chat = page.get_by_role("button", name="Cuộc trò chuyện mới")
        box = new_chat.bounding_box()
        assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= 360
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        new_chat.click()
        expect(page.locator(".msg.user")).to_have_count(0)  # the screen is cleared
        expect(page.locator(".msg.bot").first).to_contain_text("echo: /greet")
        second = page.evaluate("localStorage.getItem('chat-sender')")
        assert second and second != first
        eventually(lambda: _closed(ticket_id))
        page.screenshot(path=str(SCREENSHOTS / "web-chat-new-conversation.png"))
    finally:
        context.close()


def _closed(ticket_id: int) -> bool:
    with session_scope() as session:
        return service.get_ticket(session, ticket_id).status == CLOSED
