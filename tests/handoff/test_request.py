from __future__ import annotations

from bot.handoff.request import handoff_message, main_question

EVENTS = [
    {"event": "user", "text": "/greet"},
    {"event": "bot", "text": "Xin chào bạn!"},
    {
        "event": "user",
        "text": "kich hoat vneid bao loi",
        "parse_data": {"intent": {"name": "ask_question"}},
    },
    {"event": "bot", "text": "Mình chưa chắc đã hiểu đúng…"},
    {"event": "slot", "name": "x", "value": 1},
    {"event": "user", "text": "gap nhan vien", "parse_data": {"intent": {"name": "request_human"}}},
]


def test_transcript_keeps_what_people_said_not_payloads() -> None:
    message = handoff_message("asked", "q", EVENTS)["handoff"]
    assert message["transcript"] == [
        ["assistant", "Xin chào bạn!"],
        ["resident", "kich hoat vneid bao loi"],
        ["assistant", "Mình chưa chắc đã hiểu đúng…"],
        ["resident", "gap nhan vien"],
    ]


def test_main_question_skips_the_request_itself() -> None:
    assert main_question(EVENTS, None) == "kich hoat vneid bao loi"
    assert main_question(EVENTS, "quên mật khẩu") == "quên mật khẩu"
