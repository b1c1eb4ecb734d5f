"""Chat messages made from articles: the passage-led answer, the whole article, sources."""

from __future__ import annotations

import json
from typing import Any

from bot.knowledge.answer import (
    DETAIL_TITLE,
    FEEDBACK_BUTTONS,
    MAX_ANSWER,
    MAX_MESSAGE,
    answer_messages,
    article_messages,
    plain,
    source_label,
)
from bot.knowledge.search import PassageSignal, Searcher


def passage(text: str, kind: str = "fact", heading: str = "những điểm cần nhớ") -> dict[str, str]:
    return {"heading": heading, "text": text, "kind": kind}


def article(**overrides: object) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "a",
        "title": "Tiêu đề",
        "short_answer": "Trả lời ngắn.",
        "steps": ["Mở **VNeID**.", "Xem [Đổi số](vneid-change-phone.md)."],
        "if_fails": "- Gọi 1900 0368.",
        "sources": [
            {"url": "https://example.com/a%C3%A1-very-long", "title": "Bài báo — Báo X"},
            {"url": "https://vneid.gov.vn", "title": "Cổng thông tin VNeID — Bộ Công an"},
        ],
        "passages": [
            passage("Trả lời ngắn.", "lead", ""),
            passage("Lệ phí: 200.000 đồng/lần; sinh viên 100.000 đồng."),
            passage("Thời gian: khoảng 7–10 ngày làm việc."),
            passage("1. Mở **VNeID**.", "step", "các bước"),
            passage("2. Xem [Đổi số](vneid-change-phone.md).", "step", "các bước"),
            passage("Gọi 1900 0368.", "fails", "nếu không được"),
        ],
    }
    base.update(overrides)
    return base


def signals(best: int, n: int = 6) -> list[PassageSignal]:
    """Every line equally close, except ``best``."""
    return [
        PassageSignal("a", i, 0.9 if i == best else 0.8, 1.0 if i == best else 0.1)
        for i in range(n)
    ]


def test_the_answer_opens_with_the_line_that_states_what_was_asked() -> None:
    messages = answer_messages(article(), "phí bao nhiêu tiền", signals(0))
    text = messages[0]["text"]
    assert text.startswith("Lệ phí: 200.000 đồng/lần")  # the fee, though the lead scored best
    assert "7–10 ngày" not in text.split("Trả lời ngắn.")[0]
    messages = answer_messages(article(), "mất bao lâu thì xong", signals(0))
    assert messages[0]["text"].startswith("Thời gian: khoảng 7–10 ngày")


def test_how_questions_get_the_lead_then_the_steps_and_one_official_source() -> None:
    messages = answer_messages(article(), "làm thế nào", signals(3))
    text = messages[0]["text"]
    assert text.startswith("Trả lời ngắn.")
    assert "Các bước:\n1. Mở VNeID.\n2. Xem Đổi số." in text
    assert text.endswith("Nguồn: Bộ Công an: https://vneid.gov.vn")  # official first
    assert "\n\n" not in text  # Rasa would split the bubble at blank lines
    buttons = messages[-1]["buttons"]
    assert buttons[0]["title"] == DETAIL_TITLE
    assert json.loads(buttons[0]["payload"][len("/show_article") :]) == {"article_id": "a"}
    assert buttons[1:] == FEEDBACK_BUTTONS


def test_answers_stay_chat_sized() -> None:
    long = [passage(f"Bước {i} " + "rất dài " * 30, "step", "các bước") for i in range(12)]
    big = article(passages=[*article()["passages"][:3], *long])
    messages = answer_messages(big, "làm thế nào", signals(0, len(big["passages"])))
    prose = messages[0]["text"].split("\nNguồn:")[0]
    assert len(prose) <= MAX_ANSWER + 60
    assert "Xem chi tiết" in prose  # what was left out is one press away


def test_the_story_comes_first_the_question_last() -> None:
    # "miễn phí" tells the story; "tới khi nào" is what is asked.
    messages = answer_messages(
        article(), "Thẻ này miễn phí mà dùng được tới khi nào ạ?", signals(1)
    )
    assert messages[0]["text"].startswith("Thời gian: khoảng 7–10 ngày")


def test_the_line_closest_to_the_question_follows_the_stating_line() -> None:
    # A fee question whose closest line states no amount gets both lines.
    messages = answer_messages(article(), "phí bao nhiêu tiền", signals(5))
    text = messages[0]["text"]
    assert text.startswith("Lệ phí: 200.000 đồng/lần")
    assert "Gọi 1900 0368." in text


def test_lines_of_another_article_are_never_used() -> None:
    other = [PassageSignal("b", 1, 0.99, 9.0)]
    messages = answer_messages(article(), "lệ phí bao nhiêu", [*signals(1), *other])
    assert "200.000" in messages[0]["text"]


def test_whole_article_with_every_section_and_sources() -> None:
    messages = article_messages(article())
    text = "\n".join(m["text"] for m in messages)
    assert text.startswith("Trả lời ngắn.")
    assert "- Lệ phí: 200.000 đồng/lần" in text and "1. Mở VNeID." in text
    assert "Nếu không được:\nGọi 1900 0368." in text
    assert "- Bộ Công an: https://vneid.gov.vn" in text
    assert messages[-1]["buttons"] == FEEDBACK_BUTTONS
    assert all(len(m["text"]) <= MAX_MESSAGE for m in messages)


def test_sources_are_short_titled_links() -> None:
    assert source_label({"url": "https://vneid.gov.vn", "title": "Cổng — Bộ Công an"}) == (
        "Bộ Công an: https://vneid.gov.vn"
    )
    encoded = {"url": "https://example.com/b%C3%A0i-bao", "title": "Một bài — Báo X"}
    assert source_label(encoded) == "Báo X: example.com"


def test_plain_keeps_external_links() -> None:
    assert plain("Xem [Cổng DVC](https://dichvucong.gov.vn)") == (
        "Xem Cổng DVC (https://dichvucong.gov.vn)"
    )


def test_choose_payload_is_rasa_entity_syntax() -> None:
    from bot.knowledge.answer import choose_payload

    payload = choose_payload("vneid-forgot-password")
    assert payload.startswith("/ask_question{")
    assert json.loads(payload[len("/ask_question") :]) == {"article_id": "vneid-forgot-password"}


def test_real_articles_answer_the_fact_asked(searcher: Searcher) -> None:
    from bot.knowledge.responder import Responder

    reply = Responder(searcher, 0.0).answer("phi lam ly lich tu phap tren vneid bao nhieu", "web")
    assert "200.000" in reply.messages[0]["text"]


def test_a_line_labelled_with_the_kind_asked_wins() -> None:
    # Both lines name papers; the one the editor labelled "Giấy tờ cần có" answers.
    labelled_article = article(
        passages=[
            passage("Trả lời ngắn.", "lead", ""),
            passage("Nhận kết quả: mang giấy hẹn và căn cước đến nơi đã nộp."),
            passage("Giấy tờ cần có: tờ khai theo mẫu; căn cước của người xin."),
        ]
    )
    close = [PassageSignal("a", 0, 0.8, 0.1), PassageSignal("a", 1, 0.9, 1.0)]
    close.append(PassageSignal("a", 2, 0.88, 0.9))  # about as close
    messages = answer_messages(labelled_article, "cần mang những giấy tờ gì", close)
    assert messages[0]["text"].startswith("Giấy tờ cần có: tờ khai")


def test_a_resident_reporting_trouble_gets_the_line_for_that_situation() -> None:
    lines = [
        passage("Trả lời ngắn.", "lead", ""),
        passage("Nộp phí ngay trong ứng dụng khi thủ tục cho phép."),
        passage("1. Mở hồ sơ, bấm nộp phí.", "step", "các bước"),
        passage(
            "Đã bị trừ tiền mà chưa báo thanh toán: giữ tin nhắn ngân hàng, liên hệ cơ quan "
            "giải quyết.",
            "fails",
            "nếu không được",
        ),
        passage("Nhờ tổ công nghệ số cộng đồng. Xem thêm: bài khác.", "fails", "nếu không được"),
    ]
    # The situation line is a little less close than the fact line by meaning and words.
    close = [
        PassageSignal("a", 0, 0.9, 1.0),
        PassageSignal("a", 1, 0.85, 0.8),
        PassageSignal("a", 2, 0.8, 0.2),
        PassageSignal("a", 3, 0.84, 0.7),
        PassageSignal("a", 4, 0.84, 0.7),
    ]
    troubled = answer_messages(
        article(passages=lines), "bị trừ tiền rồi mà chưa báo thanh toán, làm sao", close
    )[0]["text"]
    assert "liên hệ cơ quan giải quyết" in troubled
    assert "Nhờ tổ công nghệ số" not in troubled  # a generic line names no situation
    asked = answer_messages(article(passages=lines), "nộp phí thế nào", close)[0]["text"]
    assert "liên hệ cơ quan giải quyết" not in asked
