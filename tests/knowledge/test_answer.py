"""Chat messages made from articles and from unsure searches."""

from __future__ import annotations

import json

from bot.knowledge.answer import FEEDBACK_BUTTONS, MAX_MESSAGE, article_messages, plain


def article(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "a",
        "title": "Tiêu đề",
        "short_answer": "Trả lời ngắn.",
        "steps": ["Mở **VNeID**.", "Xem [Đổi số](vneid-change-phone.md)."],
        "if_fails": "- Gọi 1900 0368.",
        "sources": [{"url": "https://vneid.gov.vn", "title": "VNeID"}],
    }
    base.update(overrides)
    return base


def test_article_is_one_message_with_sources_and_feedback() -> None:
    messages = article_messages(article())
    assert len(messages) == 1
    text = messages[0]["text"]
    assert text.splitlines()[0] == "Trả lời ngắn."
    assert "1. Mở VNeID." in text and "2. Xem Đổi số." in text
    assert "Nếu không được:" in text and text.endswith("Nguồn: https://vneid.gov.vn")
    assert "\n\n" not in text  # Rasa would split the bubble at blank lines
    assert messages[-1]["buttons"] == FEEDBACK_BUTTONS


def test_long_articles_split_at_paragraphs_within_the_limit() -> None:
    steps = [f"Bước số {i} " + "rất dài " * 20 for i in range(12)]
    messages = article_messages(article(steps=steps))
    assert len(messages) > 1
    assert all(len(m["text"]) <= MAX_MESSAGE for m in messages)
    assert "buttons" not in messages[0] and messages[-1]["buttons"] == FEEDBACK_BUTTONS


def test_plain_keeps_external_links() -> None:
    assert plain("Xem [Cổng DVC](https://dichvucong.gov.vn)") == (
        "Xem Cổng DVC (https://dichvucong.gov.vn)"
    )


def test_choose_payload_is_rasa_entity_syntax() -> None:
    from bot.knowledge.answer import choose_payload

    payload = choose_payload("vneid-forgot-password")
    assert payload.startswith("/ask_question{")
    assert json.loads(payload[len("/ask_question") :]) == {"article_id": "vneid-forgot-password"}
