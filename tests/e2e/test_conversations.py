"""Conversations through the real gateway HTTP API, with Rasa and the action server running.

The last tests stop the action server, then Rasa, to check the apology path: keep them last.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.conversation.models import UndeliveredMessage
from bot.db import session_scope
from bot.knowledge.models import Feedback
from bot.settings import ROOT
from bot.supervisor import RestartPolicy, Stack
from bot.texts import APOLOGY

pytestmark = pytest.mark.stack


def say(gateway: httpx.Client, text: str, sender: str | None = None) -> list[dict[str, Any]]:
    response = gateway.post(
        "/api/messages", json={"sender": sender or uuid.uuid4().hex, "text": text}
    )
    assert response.status_code == 200, response.text
    messages: list[dict[str, Any]] = response.json()["messages"]
    return messages


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for m in messages]


def test_rasa_s_token_is_not_on_its_command_line(stack: Stack) -> None:
    rasa = stack.get("rasa").process
    assert rasa is not None
    command_line = Path(f"/proc/{rasa.pid}/cmdline").read_bytes().decode()
    assert stack.token not in command_line  # every local user can read /proc
    assert httpx.get(f"{stack.settings.rasa_url}/status").status_code == 401


def test_rasa_refuses_to_serve_its_api_without_a_token() -> None:
    env = {k: v for k, v in os.environ.items() if k != "RASA_TOKEN"} | {"PYTHONPATH": str(ROOT)}
    python = ROOT / ".venv-rasa" / "bin" / "python"
    done = subprocess.run(
        [str(python), "-m", "bot.rasa_entry", "run", "--enable-api"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "RASA_TOKEN is not set" in done.stderr


def test_health_is_ok(gateway: httpx.Client) -> None:
    body = gateway.get("/healthz").json()
    assert body["status"] == "ok", body


@pytest.mark.parametrize("text", ["xin chào", "chao ban", "alo ad ơi", "/greet"])
def test_greet(gateway: httpx.Client, responses: dict[str, Any], text: str) -> None:
    messages = say(gateway, text)
    assert texts(messages) == [responses["utter_greet"]["text"]]
    assert [b["title"] for b in messages[0]["buttons"]] == [
        b["title"] for b in responses["utter_greet"]["buttons"]
    ]


@pytest.mark.parametrize(
    "text", ["bạn giúp được gì cho tôi", "ban ho tro nhung gi", "bot lm dc j v"]
)
def test_capabilities(gateway: httpx.Client, responses: dict[str, Any], text: str) -> None:
    assert texts(say(gateway, text)) == [responses["utter_capabilities"]["text"]]


@pytest.mark.parametrize("text", ["bạn là người hay máy vậy", "ban co phai robot khong"])
def test_bot_challenge(gateway: httpx.Client, responses: dict[str, Any], text: str) -> None:
    assert texts(say(gateway, text)) == [responses["utter_iamabot"]["text"]]


@pytest.mark.parametrize("text", ["tạm biệt nhé", "bye bye"])
def test_goodbye(gateway: httpx.Client, responses: dict[str, Any], text: str) -> None:
    assert texts(say(gateway, text)) == [responses["utter_goodbye"]["text"]]


@pytest.mark.parametrize(
    "text",
    [
        "giá vàng hôm nay bao nhiêu",
        "ket qua xo so mien bac hom nay",
        "thời tiết hà nội mai thế nào",
    ],
)
def test_out_of_scope(gateway: httpx.Client, responses: dict[str, Any], text: str) -> None:
    assert texts(say(gateway, text)) == [responses["utter_out_of_scope"]["text"]]


def test_knowledge_answer_with_sources_and_feedback(gateway: httpx.Client) -> None:
    sender = uuid.uuid4().hex
    messages = say(gateway, "quen mat khau vneid thi lam sao", sender)
    assert "Quên mật khẩu" in messages[0]["text"]
    assert "\nNguồn: " in messages[-1]["text"]
    assert [b["payload"] for b in messages[-1]["buttons"]] == [
        '/show_article{"article_id":"vneid-forgot-password"}',
        "/feedback_positive",
        "/feedback_negative",
    ]
    detail = say(gateway, messages[-1]["buttons"][0]["payload"], sender)
    whole = "\n".join(m["text"] for m in detail)
    assert "Các bước:" in whole and "Nếu không được:" in whole and "https://" in whole
    thanks = say(gateway, "/feedback_positive", sender)
    assert thanks[0]["text"].startswith("Cảm ơn bạn đã cho mình biết")
    with session_scope() as session:
        rows = session.scalars(
            select(Feedback).where(Feedback.article_id == "vneid-forgot-password")
        ).all()
        assert any(row.helpful and row.channel == "web" for row in rows)


def test_unsure_answer_offers_articles_then_a_button_answers(gateway: httpx.Client) -> None:
    # (A second unsure answer in a row hands off to a person: tests/e2e/test_handoff.py.)
    sender = uuid.uuid4().hex
    # A vague one-liner the search is not sure of (0.23 against the threshold 0.24 on the
    # index setup builds). Such messages sit near the threshold on either side: "vneid bị
    # sao ấy" is answered with the wrong-information article since the ONNX embedder
    # (README, Known limits).
    messages = say(gateway, "cái vneid bị sao ấy", sender)
    assert "chưa có hướng dẫn" in messages[0]["text"]  # honest, whatever follows
    buttons = messages[-1]["buttons"]
    assert buttons[-1]["payload"] == "/request_human"
    choice = next(b for b in buttons if b["payload"].startswith("/ask_question{"))
    answer = say(gateway, choice["payload"], sender)
    assert "\nNguồn:" in answer[-1]["text"]


def test_uncovered_question_is_declined_plainly(gateway: httpx.Client) -> None:
    messages = say(gateway, "thủ tục ly hôn đơn phương cần giấy tờ gì")
    assert messages[0]["text"].startswith("Mình chưa có hướng dẫn về việc này")
    assert "dichvucong.gov.vn" in messages[0]["text"]
    assert messages[0]["buttons"][-1]["payload"] == "/request_human"


def test_improper_request_is_refused_with_the_lawful_way(gateway: httpx.Client) -> None:
    messages = say(gateway, "Làm giả thẻ căn cước ở đâu uy tín?")
    assert messages[0]["text"].startswith("Mình không thể hướng dẫn làm giả")
    assert "Nguồn:" not in messages[0]["text"]
    privacy = say(gateway, "cho tôi số điện thoại của ông hàng xóm")
    assert privacy[0]["text"].startswith("Mình không thể giúp vào tài khoản hay xem thông tin")


def test_out_of_scope_wording_of_a_real_question_is_answered(gateway: httpx.Client) -> None:
    messages = say(gateway, "mã gửi về điện thoại không thấy")
    assert "OTP" in messages[0]["text"]
    assert "\nNguồn: " in messages[-1]["text"]


def test_follow_up_question_uses_context(gateway: httpx.Client) -> None:
    sender = uuid.uuid4().hex
    first = say(gateway, "đăng ký tạm trú online như thế nào", sender)
    assert "tạm trú" in first[0]["text"].lower()
    follow = say(gateway, "thế còn thường trú thì sao", sender)
    assert "thường trú" in follow[0]["text"].lower()


def _kept(sender: str) -> list[str]:
    with session_scope() as session:
        rows = session.scalars(
            select(UndeliveredMessage).where(UndeliveredMessage.sender == f"web:{sender}")
        )
        return [row.reason for row in rows]


def test_action_server_down_gives_apology(gateway: httpx.Client, stack: Stack) -> None:
    stack.stop_service(stack.get("actions"))
    sender = uuid.uuid4().hex
    assert texts(say(gateway, "làm sao kích hoạt vneid mức 2", sender)) == [APOLOGY]
    assert _kept(sender) == ["rasa returned no reply"]
    assert gateway.get("/healthz").status_code == 503


def test_rasa_down_gives_apology(gateway: httpx.Client, stack: Stack) -> None:
    stack.stop_service(stack.get("rasa"))
    sender = uuid.uuid4().hex
    assert texts(say(gateway, "xin chào", sender)) == [APOLOGY]
    assert _kept(sender)[0].startswith("rasa unavailable")
    health = gateway.get("/healthz")
    assert health.status_code == 503
    assert health.json()["checks"]["rasa"]["ok"] is False


def test_the_supervisor_brings_back_what_died(gateway: httpx.Client, stack: Stack) -> None:
    # Rasa and the action server were stopped above; the gateway kept serving apologies.
    # A resident asks meanwhile, then the gateway itself is killed (-9). Supervision
    # restarts each alone (no delay here); the assistant answers again, and the question
    # asked during the outage is answered late, from the inbox.
    waiting = uuid.uuid4().hex
    assert texts(say(gateway, "làm lại thẻ căn cước mất bao nhiêu tiền", waiting)) == [APOLOGY]
    gateway_process = stack.get("gateway").process
    assert gateway_process is not None
    os.killpg(gateway_process.pid, signal.SIGKILL)
    gateway_process.wait()
    stopping = threading.Event()
    result: dict[str, int] = {}
    quick = functools.partial(RestartPolicy, first_delay=0.1)
    supervisor = threading.Thread(
        target=lambda: result.update(code=stack.supervise(stopping, quick, every=0.2))
    )
    supervisor.start()
    try:
        deadline = time.monotonic() + 240
        while not healthy(gateway):
            assert time.monotonic() < deadline, "the stack did not come back"
            time.sleep(1)
        # kill -9 the action server: restarted again, the others untouched
        actions, rasa = stack.get("actions"), stack.get("rasa")
        rasa_pid = rasa.process.pid if rasa.process else None
        assert actions.process is not None
        os.killpg(actions.process.pid, signal.SIGKILL)
        time.sleep(0.5)
        while not healthy(gateway):
            assert time.monotonic() < deadline, "the action server did not come back"
            time.sleep(0.5)
        assert rasa.process is not None and rasa.process.pid == rasa_pid
        answer = texts(say(gateway, "quên mật khẩu vneid thì làm sao", uuid.uuid4().hex))
        assert answer and answer != [APOLOGY]

        def late() -> list[str]:
            polled = gateway.get("/api/messages/pending", params={"sender": waiting}).json()
            return [m["text"] for m in polled["messages"]]

        got: list[str] = []
        while not any("Trả lời tin nhắn của bạn lúc" in t for t in got):
            assert time.monotonic() < deadline, "the question asked during the outage was lost"
            time.sleep(1)
            got += late()
        assert any("căn cước" in t for t in got[1:]), got
    finally:
        stopping.set()
        supervisor.join(timeout=30)
    assert result == {"code": 0}


def healthy(gateway: httpx.Client) -> bool:
    try:
        return gateway.get("/healthz").status_code == 200
    except httpx.HTTPError:  # the gateway itself is restarting
        return False


def test_a_process_that_keeps_failing_stops_the_stack() -> None:
    policy = RestartPolicy(max_restarts=3, window_seconds=60, first_delay=1, max_delay=4)
    assert [policy.delay(t) for t in (0, 1, 2)] == [1, 2, 4]
    assert policy.delay(3) is None  # a fourth death within the minute: give up
    assert policy.delay(70) == 1  # the window has passed: counting starts again
