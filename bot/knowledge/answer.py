"""Turn an article or an unsure search into chat messages (channel-neutral).

A message is a dict of rasa-sdk ``utter_message`` arguments: ``text`` and ``buttons``.
Channels split further where their own limits are lower.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.knowledge.search import SearchResult
from bot.text.split import pack

MAX_MESSAGE = 900  # characters: readable on a small phone, under every channel's limit
FEEDBACK_BUTTONS = [
    {"title": "👍 Hữu ích", "payload": "/feedback_positive"},
    {"title": "👎 Chưa hữu ích", "payload": "/feedback_negative"},
]
HUMAN_BUTTON = {"title": "Gặp người hỗ trợ", "payload": "/request_human"}
UNSURE_TEXT = (
    "Mình chưa chắc đã hiểu đúng câu hỏi của bạn. Có phải bạn muốn hỏi một trong các mục "
    "dưới đây không? Nếu không phải, bạn có thể hỏi lại cụ thể hơn hoặc gặp người hỗ trợ."
)
NOTHING_TEXT = (
    "Xin lỗi, mình chưa có hướng dẫn cho câu hỏi này. Bạn có thể hỏi lại cụ thể hơn, hoặc "
    "gặp người của tổ công nghệ số cộng đồng để được giúp trực tiếp."
)
# The second unsure answer in a row: a person takes over instead of a third guess.
UNSURE_AGAIN_TEXT = (
    "Mình vẫn chưa tìm được câu trả lời chắc chắn cho câu hỏi của bạn, nên mình chuyển cho "
    "người của tổ công nghệ số cộng đồng giúp bạn nhé."
)
_MD_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")
_EMPHASIS = re.compile(r"(\*\*|__|`)")

Message = dict[str, Any]


def plain(text: str) -> str:
    """Markdown the editors write -> plain chat text ("[Đổi số](x.md)" -> "Đổi số")."""
    text = _MD_LINK.sub(
        lambda m: m.group(1) if m.group(2).endswith(".md") else f"{m.group(1)} ({m.group(2)})", text
    )
    return _EMPHASIS.sub("", text).strip()


def article_messages(article: dict[str, Any]) -> list[Message]:
    """Short answer, numbered steps, what to do if it fails, official sources."""
    paragraphs = [plain(article["short_answer"])]
    if article.get("steps"):
        steps = "\n".join(f"{i}. {plain(step)}" for i, step in enumerate(article["steps"], 1))
        paragraphs.append(f"Các bước:\n{steps}")
    if article.get("if_fails"):
        paragraphs.append(f"Nếu không được:\n{plain(article['if_fails'])}")
    urls = [s["url"] for s in article.get("sources", [])][:3]
    if urls:
        paragraphs.append("Nguồn: " + "\n".join(urls))
    messages: list[Message] = [{"text": text} for text in pack(paragraphs, MAX_MESSAGE)]
    messages[-1]["buttons"] = FEEDBACK_BUTTONS
    return messages


def choose_payload(article_id: str) -> str:
    """A button that answers with one article, skipping search (Rasa entity syntax)."""
    return "/ask_question" + json.dumps({"article_id": article_id}, separators=(",", ":"))


def unsure_messages(result: SearchResult, limit: int = 3) -> list[Message]:
    """Not confident: say so, offer the closest titles and a person."""
    hits = [h for h in result.hits[:limit] if h.score > 0]
    if not hits:
        return [{"text": NOTHING_TEXT, "buttons": [HUMAN_BUTTON]}]
    buttons = [{"title": h.title, "payload": choose_payload(h.article_id)} for h in hits]
    return [{"text": UNSURE_TEXT, "buttons": [*buttons, HUMAN_BUTTON]}]
