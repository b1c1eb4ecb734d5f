"""The ward's workspace walked through in headless Chromium against the whole stack
(Rasa, action server, gateway), residents on the web chat API:

- an editor changes an article's answer and adds a question, previews and tries it,
  publishes, and the next resident question gets the new answer; a second editor's
  conflicting save is refused; a rollback brings the old answer back;
- an unsure question shows in the inbox, is attached to an article in one click, and the
  same question is then answered;
- an admin adds a member, who sets a password with the one-time code and is signed in;
- the dashboard shows the day's figures.

Screenshots at 360 and 1280 px go to var/screenshots/workspace-*.png.
"""

from __future__ import annotations

import re
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from bot.db import session_scope
from bot.handoff import service
from bot.knowledge import store
from bot.settings import ROOT
from bot.supervisor import Stack, start_on_free_ports
from tests.conftest import REAL_INDEX
from tests.console.conftest import ALWAYS_OPEN, PASSWORD, password_hash
from tests.console.test_browser import SCREENSHOTS, browser, fits_the_phone  # noqa: F401

ARTICLE = "vneid-forgot-password"
# Unsure today (the console tests attach other questions; this one is the walk's own).
UNSURE = "cài vneid trên iphone 6 được không"
UNSURE_HOME = "vneid-install"
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
DESK = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture(scope="module")
def workspace_stack(
    var_dir: Path, migrated_db: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    with session_scope() as session:
        store.sync_files(session, ROOT / "knowledge" / "articles")
    index = tmp_path_factory.mktemp("kb") / "knowledge"
    shutil.copytree(REAL_INDEX, index, ignore=shutil.ignore_patterns("*.lock", ".*.tmp"))
    running = start_on_free_ports(var_dir, env={"KB_INDEX_DIR": str(index)})
    try:
        yield running
    finally:
        running.stop()


class Resident:
    def __init__(self, url: str, ward: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=30)
        self.sender, self.ward = secrets.token_hex(8), ward

    def ask(self, text: str) -> list[dict[str, Any]]:
        response = self.http.post(
            "/api/messages", json={"sender": self.sender, "text": text, "ward": self.ward}
        )
        assert response.status_code == 200, response.text
        messages: list[dict[str, Any]] = response.json()["messages"]
        return messages


def said(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def answered_by(messages: list[dict[str, Any]]) -> set[str]:
    payloads = [b.get("payload", "") for m in messages for b in m.get("buttons") or []]
    return {m.group(1) for p in payloads if (m := re.search(r'"article_id":"([^"]+)"', p))}


def open_page(chromium: Any, size: dict[str, Any], base: str) -> Page:
    context = chromium.new_context(locale="vi-VN", base_url=base, **size)
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda m: (
            # A refused save answers 409 on purpose; scripts and CSP errors count.
            errors.append(m.text)
            if m.type == "error" and "Failed to load resource" not in m.text
            else None
        ),
    )
    page.errors = errors  # type: ignore[attr-defined]
    return page


def sign_in(page: Page, username: str) -> None:
    page.goto("/console/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/console")


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"workspace-{name}.png"), full_page=True)


def test_the_workspace_walk(browser: Any, workspace_stack: Stack) -> None:  # noqa: F811
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    base = workspace_stack.settings.gateway_url
    tag = secrets.token_hex(3)
    ward = f"ws-{tag}"
    with session_scope() as session:
        service.add_team(session, ward, f"Tổ công nghệ số phường {tag}", ALWAYS_OPEN)
        for who, role in (("lan", "editor"), ("minh", "editor"), ("boss", "admin")):
            service.add_member(
                session,
                ward,
                {"lan": "chị Lan", "minh": "anh Minh", "boss": "Tổ trưởng"}[who],
                username=f"{who}-{tag}",
                password_hash=password_hash(),
                role=role,
            )
    resident = Resident(base, ward)
    question = f"quên mật khẩu vneid khi đổi sang điện thoại mới mua thì làm sao {tag}"
    new_answer = (
        f"Bạn bấm “Quên mật khẩu” ngay trên màn hình đăng nhập VNeID (hướng dẫn {tag}), "
        "làm theo các bước, mất chừng 5 phút."
    )
    before = said(resident.ask("quên mật khẩu vneid thì làm thế nào"))
    assert tag not in before

    # Two editors open the same article; chị Lan at a desk, anh Minh on his phone.
    lan = open_page(browser, DESK, base)
    minh = open_page(browser, PHONE, base)
    sign_in(lan, f"lan-{tag}")
    sign_in(minh, f"minh-{tag}")
    lan.get_by_role("link", name="Bài viết").click()
    lan.get_by_label("Tìm bài").fill("quen mat khau vneid")
    lan.get_by_role("button", name="Lọc").click()
    shot(lan, "articles-1280")
    lan.locator(f'a[href="/console/articles/{ARTICLE}"]').click()
    minh.goto(f"/console/articles/{ARTICLE}")
    fits_the_phone(minh)
    shot(minh, "editor-360")

    lan.get_by_label("Câu trả lời ngắn").fill(new_answer)
    # The preview follows the typing, before any button is pressed.
    expect(lan.locator("#xem-truoc .chat.web")).to_contain_text(f"hướng dẫn {tag}")
    questions = lan.locator("#questions")
    questions.fill(questions.input_value() + "\n" + question)
    lan.get_by_label("Thử câu hỏi").fill(question)
    lan.get_by_role("button", name="Xem trước & kiểm tra").click()
    expect(lan.locator("#thu")).to_contain_text("Trả lời")
    expect(lan.locator("#thu")).to_contain_text(f"hướng dẫn {tag}")
    expect(lan.locator("#xem-truoc .chat.telegram")).to_contain_text(f"hướng dẫn {tag}")
    shot(lan, "editor-preview-1280")
    lan.get_by_role("button", name="Xuất bản").click()
    expect(lan.locator(".flash.ok")).to_contain_text("Đã xuất bản bản số")

    # The very next resident question gets the new answer.
    assert f"hướng dẫn {tag}" in said(resident.ask(question))

    # Anh Minh's page is the version before: his save is refused, his text kept.
    minh.get_by_label("Câu trả lời ngắn").fill("Bản sửa của anh Minh.")
    minh.get_by_role("button", name="Lưu nháp").click()
    expect(minh.locator(".flash.error")).to_contain_text("vừa được chị Lan sửa")
    expect(minh.get_by_label("Câu trả lời ngắn")).to_have_value("Bản sửa của anh Minh.")
    shot(minh, "conflict-360")

    # One click back to the version before; the old answer returns.
    restore = lan.locator(".version-list form button").first
    restore.click()
    expect(lan.locator(".flash.ok")).to_contain_text("Đã khôi phục bản số")
    assert tag not in said(resident.ask("quên mật khẩu vneid thì làm thế nào"))

    # An unsure question reaches the inbox; attached in one click, it is then answered.
    asker = Resident(base, ward)
    first = asker.ask(UNSURE)
    assert UNSURE_HOME not in answered_by(first), said(first)
    lan.get_by_role("link", name="Câu hỏi cần xem").click()
    card = lan.locator("article.group", has_text=UNSURE).first
    expect(card).to_be_visible()
    card.get_by_label("Thêm làm cách hỏi của bài").select_option(UNSURE_HOME)
    shot(lan, "inbox-1280")
    card.get_by_role("button", name="Thêm vào bài và xuất bản").click()
    expect(lan.locator(".flash.ok")).to_contain_text("giờ trả lời câu này bằng bài đó")
    again = Resident(base, ward).ask(UNSURE)
    assert UNSURE_HOME in answered_by(again), said(again)

    # An admin adds a member from the phone; the member sets a password with the code.
    boss = open_page(browser, PHONE, base)
    sign_in(boss, f"boss-{tag}")
    boss.get_by_role("link", name="Tổ và thành viên").click()
    section = boss.locator(f"#to-{ward}")
    section.get_by_text("+ Thêm thành viên").click()
    boss.locator(f"#mname-{ward}").fill("chị Hoa")
    boss.locator(f"#muser-{ward}").fill(f"hoa-{tag}")
    section.get_by_role("button", name="Thêm và cấp mã một lần").click()
    code = boss.locator(".setup-code").inner_text()
    fits_the_phone(boss)
    shot(boss, "setup-code-360")
    hoa = open_page(browser, PHONE, base)
    hoa.goto("/console/login")
    hoa.get_by_role("link", name="đặt mật khẩu bằng mã").click()
    hoa.get_by_label("Tên đăng nhập").fill(f"hoa-{tag}")
    hoa.get_by_label("Mã một lần").fill(code)
    hoa.get_by_label("Mật khẩu mới", exact=False).first.fill("hoa-mat-khau-moi")
    hoa.get_by_label("Nhập lại mật khẩu mới").fill("hoa-mat-khau-moi")
    hoa.get_by_role("button", name="Đặt mật khẩu và đăng nhập").click()
    hoa.wait_for_url("**/console")
    expect(hoa.locator(".flash.ok")).to_contain_text("Đã đặt mật khẩu mới")
    expect(hoa.locator(".who")).to_contain_text("chị Hoa")

    # The dashboard: today's figures of the ward, drawn, at both sizes.
    for page, size in ((boss, "360"), (lan, "1280")):
        page.goto(f"/console/dashboard?khoang=7&phuong={ward}")
        expect(page.locator(".headline")).to_contain_text("Tin nhắn")
        messages = int(page.locator(".headline dd").first.inner_text().replace(".", ""))
        assert messages >= 5, messages  # the five questions the residents above sent
        assert page.evaluate("document.querySelector('canvas').width") > 0  # Chart.js drew
        shot(page, f"dashboard-{size}")
    fits_the_phone(boss)
    # At a desk the console uses the width (it was a 470 px column).
    lan.goto("/console")
    assert lan.evaluate("document.querySelector('main').getBoundingClientRect().width") > 1000
    shot(lan, "queue-1280")
    for page in (lan, minh, boss, hoa):
        assert page.errors == [], page.errors  # type: ignore[attr-defined]
