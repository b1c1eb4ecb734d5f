"""Application status through the real stack: the code form, explanations, notifications."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.db import session_scope
from bot.settings import ROOT
from bot.status.importer import import_file
from bot.status.models import Application, StatusChange
from bot.status.notify_loop import collect_once
from bot.supervisor import Stack

pytestmark = pytest.mark.stack
SAMPLE = ROOT / "bot" / "status" / "samples" / "applications-demo.csv"
SUPPLEMENT = "000.30.31.H26-261111-0002"  # "Chờ bổ sung hồ sơ" in the sample


@pytest.fixture(scope="module", autouse=True)
def registry(migrated_db: None) -> Iterator[None]:
    with session_scope() as session:
        import_file(session, SAMPLE)
    yield


@pytest.fixture
def talk(gateway: httpx.Client) -> Any:
    sender = uuid.uuid4().hex

    def say(text: str) -> list[str]:
        response = gateway.post("/api/messages", json={"sender": sender, "text": text})
        assert response.status_code == 200, response.text
        return [m["text"] for m in response.json()["messages"]]

    say.sender = sender  # type: ignore[attr-defined]
    return say


def test_code_given_up_front(talk: Any) -> None:
    answer = "\n".join(talk(f"tra giúp mình hồ sơ {SUPPLEMENT} với"))
    assert f"Hồ sơ {SUPPLEMENT}" in answer and "Chờ bổ sung hồ sơ" in answer
    assert "bổ sung giấy tờ" in answer


def test_code_asked_for_then_given_loosely(talk: Any, responses: dict[str, Any]) -> None:
    assert talk("hồ sơ của tôi đến đâu rồi") == [responses["utter_ask_application_code"]["text"]]
    answer = "\n".join(talk("000.30.31.h26 - 261111-0002"))
    assert f"Hồ sơ {SUPPLEMENT}" in answer


def test_malformed_code_explained_then_cancel(talk: Any, responses: dict[str, Any]) -> None:
    talk("kiểm tra giúp tôi hồ sơ")
    assert "chưa đúng dạng" in talk("mã là 12345")[0]
    assert talk("thôi") == [responses["utter_cancelled"]["text"]]
    # The form is closed: a greeting is a greeting again.
    assert talk("xin chào") == [responses["utter_greet"]["text"]]


def test_code_shaped_but_impossible_date_asks_again(talk: Any, responses: dict[str, Any]) -> None:
    answer = talk("tra hồ sơ G22.123-241399-0012")
    assert answer[-1] == responses["utter_ask_application_code"]["text"]
    assert f"Hồ sơ {SUPPLEMENT}" in "\n".join(talk(SUPPLEMENT))


def test_unknown_code(talk: Any) -> None:
    answer = talk("tra hồ sơ G22.123-241015-9999")[0]
    assert "không tìm thấy hồ sơ" in answer and "giấy tiếp nhận" in answer


@pytest.mark.parametrize(
    ("status", "fragment"),
    [
        ("Đang xử lý", "chưa cần làm gì"),
        ("Đã có kết quả", "để nhận"),
        ("Đã trả kết quả", "đã trả kết quả"),
        ("Từ chối giải quyết", "không được giải quyết"),
    ],
)
def test_each_status_is_explained(talk: Any, status: str, fragment: str) -> None:
    with session_scope() as session:
        app = session.scalars(select(Application).where(Application.status == status)).first()
        assert app is not None
        code = app.code
    answer = "\n".join(talk(f"hồ sơ {code} sao rồi"))
    assert fragment in answer or "quá ngày hẹn trả" in answer


def test_subscription_notifies_once_per_change_and_unsubscribe(
    talk: Any, gateway: httpx.Client
) -> None:
    code = "000.30.31.H26-261111-0002"
    talk(f"tra hồ sơ {code}")
    assert "Đã đăng ký" in talk("/subscribe_status")[0]

    def pending() -> list[str]:
        body = gateway.get("/api/messages/pending", params={"sender": talk.sender}).json()
        return [m["text"] for m in body["messages"]]

    def change(status: str) -> None:
        with session_scope() as session:
            app = session.scalars(select(Application).where(Application.code == code)).one()
            session.add(
                StatusChange(application_id=app.id, old_status=app.status, new_status=status)
            )
            app.status = status

    assert pending() == []
    change("Đã có kết quả")
    collect_once()
    messages = pending()
    assert len(messages) == 1 and "Đã có kết quả" in messages[0]
    collect_once()
    assert pending() == []  # once per change
    assert "Đã dừng" in talk("hủy theo dõi hồ sơ")[0]
    change("Đã trả kết quả")
    collect_once()
    assert pending() == []


def test_lookups_are_rate_limited(stack: Stack, talk: Any) -> None:
    answers = [talk(f"tra hồ sơ {SUPPLEMENT}")[0] for _ in range(11)]
    assert "nhiều lần" in answers[-1]
