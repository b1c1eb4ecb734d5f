"""Turn an article or an unsure search into chat messages (channel-neutral).

A message is a dict of rasa-sdk ``utter_message`` arguments: ``text`` and ``buttons``.
Channels split further where their own limits are lower.

The answer to a question is chat-sized: it opens with the line of the article that
answers what was asked (a fee, a duration, a place, the papers, yes/no with its
condition), then the short answer, the steps when the resident asks how, and one
source; "Xem chi tiết" sends the whole article.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from bot.knowledge.articles import passage_fact_text, without_step_number
from bot.knowledge.search import PassageSignal, SearchResult
from bot.nlu.question_type import (
    SPECIFIC,
    QuestionType,
    label_of,
    labelled,
    question_type,
    reports_trouble,
    states_folded,
)
from bot.text.split import pack

MAX_MESSAGE = 900  # characters: readable on a small phone, under every channel's limit
MAX_ANSWER = 900  # characters of prose in an answer, before the source line
FEEDBACK_BUTTONS = [
    {"title": "👍 Hữu ích", "payload": "/feedback_positive"},
    {"title": "👎 Chưa hữu ích", "payload": "/feedback_negative"},
]
HUMAN_BUTTON = {"title": "Gặp người hỗ trợ", "payload": "/request_human"}
PROCEDURE_SEARCH = (
    'tìm đúng thủ tục trên Cổng Dịch vụ công quốc gia dichvucong.gov.vn (mục "Thủ tục hành '
    'chính") hoặc hỏi bộ phận một cửa (Trung tâm phục vụ hành chính công) của xã, phường'
)
UNSURE_TEXT = (
    "Mình chưa chắc đã hiểu đúng câu hỏi của bạn. Có phải bạn muốn hỏi một trong các mục dưới "
    f"đây không? Nếu không phải, mình chưa có hướng dẫn cho việc này: bạn {PROCEDURE_SEARCH}, "
    "hoặc gặp người hỗ trợ."
)
NOT_COVERED_TEXT = (
    "Mình chưa có hướng dẫn về việc này nên không dám trả lời đoán. Bạn "
    f'{PROCEDURE_SEARCH}; hoặc bấm "Gặp người hỗ trợ" để tổ công nghệ số cộng đồng giúp bạn.'
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
DETAIL_TITLE = "Xem chi tiết"
_MD_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")
_EMPHASIS = re.compile(r"(\*\*|__|`)")
# Section headings that say nothing about the line under them.
_PLAIN_HEADINGS = {"", "những điểm cần nhớ", "các bước", "lưu ý", "nếu không được", "chi tiết"}
_OFFICIAL = (".gov.vn", "chinhphu.vn")
SHORT_URL = 80

Message = dict[str, Any]


def plain(text: str) -> str:
    """Markdown the editors write -> plain chat text ("[Đổi số](x.md)" -> "Đổi số")."""
    text = _MD_LINK.sub(
        lambda m: m.group(1) if m.group(2).endswith(".md") else f"{m.group(1)} ({m.group(2)})", text
    )
    return _EMPHASIS.sub("", text).strip()


def _official_first(sources: list[dict[str, str]]) -> list[dict[str, str]]:
    def rank(source: dict[str, str]) -> int:
        host = urlsplit(source["url"]).hostname or ""
        return 0 if host.endswith(_OFFICIAL) else 1

    return sorted(sources, key=rank)


def source_label(source: dict[str, str], full: bool = False) -> str:
    """The publisher (the part of the title after its last dash), then the link when it is
    short and readable (or ``full``), else the site's address: "Bộ Công an: https://…"."""
    title = source.get("title") or ""
    publisher = re.split(r"\s+[—–-]\s+", title)[-1].strip() or title
    url = source["url"]
    if not full and (len(url) > SHORT_URL or "%" in url or unquote(url) != url):
        url = urlsplit(url).hostname or url
    return f"{publisher}: {url}"


def sources_line(article: dict[str, Any], limit: int) -> str:
    """One short source under an answer; the whole article lists up to ``limit`` sources
    with their full links."""
    sources = _official_first(list(article.get("sources", [])))[:limit]
    if not sources:
        return ""
    if limit == 1:
        return "Nguồn: " + source_label(sources[0])
    return "Nguồn:\n" + "\n".join(f"- {source_label(s, full=True)}" for s in sources)


def detail_payload(article_id: str) -> str:
    """A button that sends the whole article (Rasa entity syntax)."""
    return "/show_article" + json.dumps({"article_id": article_id}, separators=(",", ":"))


def article_messages(article: dict[str, Any]) -> list[Message]:
    """The whole article: short answer, every section, what to do if it fails, sources."""
    paragraphs = [plain(article["short_answer"])]
    steps: list[str] = []
    sections: dict[str, list[str]] = {}
    for passage in article.get("passages", [])[1:]:
        if passage["kind"] == "step":
            steps.append(plain(passage["text"]))
        else:
            sections.setdefault(passage["heading"], []).append(plain(passage["text"]))
    if not article.get("passages") and article.get("steps"):  # an index built before passages
        steps = [f"{i}. {plain(step)}" for i, step in enumerate(article["steps"], 1)]
    for heading, lines in sections.items():
        if heading == "nếu không được":
            continue
        title = heading[:1].upper() + heading[1:]
        paragraphs.append(f"{title}:\n" + "\n".join(f"- {line}" for line in lines))
    if steps:
        paragraphs.append("Các bước:\n" + "\n".join(steps))
    if "nếu không được" in sections:
        paragraphs.append("Nếu không được:\n" + "\n".join(sections["nếu không được"]))
    elif article.get("if_fails"):
        paragraphs.append(f"Nếu không được:\n{plain(article['if_fails'])}")
    line = sources_line(article, 3)
    if line:
        paragraphs.append(line)
    messages: list[Message] = [{"text": text} for text in pack(paragraphs, MAX_MESSAGE)]
    messages[-1]["buttons"] = FEEDBACK_BUTTONS
    return messages


FAILS_TROUBLE = 0.1
FAILS_OTHERWISE = -0.15
SITUATION_MAX = 80  # characters before the colon of a "Nếu không được" line's situation
STATES_BONUS = 0.35  # the line states the kind of fact asked for (an amount, a place…)
LABEL_BONUS = 0.3  # and opens with its label ("Lệ phí: …")


@dataclass(frozen=True)
class Scored:
    index: int
    kind: str
    closeness: float  # to the question's words and meaning
    states: bool  # states the kind of fact asked for
    labelled: bool = False  # opens with that kind's label

    @property
    def score(self) -> float:
        return (
            self.closeness
            + (STATES_BONUS if self.states else 0.0)
            + (LABEL_BONUS if self.labelled else 0.0)
        )


def rank_passages(
    article: dict[str, Any], signals: list[PassageSignal], kind: QuestionType, trouble: bool
) -> list[Scored]:
    """The article's lines, best answer to the question first: closeness to the question
    (meaning, and the words that set the line apart in its article, each scaled over the
    lines) and whether the line states the kind of fact asked for ("200.000 đồng" for a
    fee question)."""
    signals = [s for s in signals if s.article == article["id"]]
    if not signals:
        return []
    dense = [s.dense for s in signals]
    low, spread = min(dense), (max(dense) - min(dense)) or 1.0
    top_words = max(s.words for s in signals) or 1.0
    ranked = []
    for signal in signals:
        passage = article["passages"][signal.passage]
        folded = signal.folded if signal.folded is not None else passage_fact_text(passage)
        match = kind in SPECIFIC and states_folded(kind, folded)
        closeness = 0.5 * (signal.dense - low) / spread + 0.4 * signal.words / top_words
        if passage["kind"] == "fails":
            # What to do when it fails: the answer when the resident says something went
            # wrong and the line names a situation ("Thanh toán lỗi: …"); rarely what was
            # asked otherwise.
            head = label_of(passage["text"], SITUATION_MAX)
            situation = trouble and head is not None and "." not in head  # not a sentence
            closeness += FAILS_TROUBLE if situation else FAILS_OTHERWISE
        label = match and labelled(kind, without_step_number(passage["text"]))
        ranked.append(Scored(signal.passage, passage["kind"], closeness, match, label))
    return sorted(ranked, key=lambda s: -s.score)


def _line(passage: dict[str, Any]) -> str:
    text = plain(passage["text"])
    heading = passage["heading"]
    if heading not in _PLAIN_HEADINGS and not text.lower().startswith(heading):
        text = f"{heading[:1].upper()}{heading[1:]}: {text}"
    return text


def answer_messages(
    article: dict[str, Any], question: str, signals: list[PassageSignal]
) -> list[Message]:
    """The chat-sized answer to ``question`` (see the module doc) from ``article``, the
    search's best. Another article's line would be about another topic (a passport's
    duration for a question on VNeID for foreigners): only this article's lines count."""
    kind = question_type(question)
    trouble = reports_trouble(question)
    ranked = [s for s in rank_passages(article, signals, kind, trouble) if s.index != 0]
    chosen: list[Scored] = []
    if ranked and kind in SPECIFIC:
        # The best line that states what was asked (an amount, a duration, a place...),
        # then the line closest to the question, then a second stating line near the
        # first: residents' questions often ask two things ("bao lâu, mất phí không").
        stating = [s for s in ranked if s.states]
        chosen.append(stating[0] if stating else ranked[0])
        chosen.append(max(ranked, key=lambda s: s.closeness))
        if len(stating) > 1 and stating[1].score >= stating[0].score - 0.25:
            chosen.append(stating[1])
    elif ranked:
        # "how" or no clear kind: the short answer and the steps, plus the article's line
        # closest to the question when it is near the top.
        closest = [s for s in ranked if s.kind in {"fact", "fails"}]
        if closest and closest[0].score >= ranked[0].score - 0.3:
            chosen.append(closest[0])
    passages = article.get("passages") or []
    if not passages:
        return article_messages(article)
    blocks = [_line(passages[s.index]) for s in chosen]
    lead = plain(passages[0]["text"])
    if kind in SPECIFIC:
        blocks.append(lead)
    else:
        blocks.insert(0, lead)
    steps = [p for p in passages if p["kind"] == "step"]
    want_steps = kind in {QuestionType.HOW, QuestionType.GENERAL} or (
        kind is QuestionType.PLACE and bool(steps)
    )
    text = _fit(blocks, MAX_ANSWER)
    if want_steps and steps:
        room = MAX_ANSWER - len(text) - len("\n\nCác bước:")
        lines: list[str] = []
        for step in steps:
            line = plain(step["text"])
            if sum(len(x) + 1 for x in lines) + len(line) > room:
                lines.append('… (bấm "Xem chi tiết" để xem đủ các bước)')
                break
            lines.append(line)
        if lines and not lines[0].startswith("…"):
            text += "\n\nCác bước:\n" + "\n".join(lines)
    source = sources_line(article, 1)
    if source:
        text += "\n\n" + source
    messages: list[Message] = [{"text": part} for part in pack(text.split("\n\n"), MAX_MESSAGE)]
    messages[-1]["buttons"] = [
        {"title": DETAIL_TITLE, "payload": detail_payload(article["id"])},
        *FEEDBACK_BUTTONS,
    ]
    return messages


def _fit(blocks: list[str], limit: int) -> str:
    """Blocks in order, as many as fit in ``limit`` characters (the first always, cut at a
    sentence if it alone is too long)."""
    out: list[str] = []
    used = 0
    for block in blocks:
        if not block or block in out:
            continue
        if used + len(block) + 2 > limit:
            if not out:
                out.append(_cut(block, limit))
            continue
        out.append(block)
        used += len(block) + 2
    return "\n\n".join(out)


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(". "), cut.rfind("; "), cut.rfind("\n"))
    return (cut[: end + 1] if end > limit // 2 else cut.rstrip()) + " …"


def choose_payload(article_id: str) -> str:
    """A button that answers with one article, skipping search (Rasa entity syntax)."""
    return "/ask_question" + json.dumps({"article_id": article_id}, separators=(",", ":"))


def unsure_messages(result: SearchResult, limit: int = 3) -> list[Message]:
    """Not confident: say so, offer the closest titles and a person."""
    hits = [h for h in result.hits[:limit] if h.score > 0]
    if not hits:
        return not_covered_messages()
    buttons = [{"title": h.title, "payload": choose_payload(h.article_id)} for h in hits]
    return [{"text": UNSURE_TEXT, "buttons": [*buttons, HUMAN_BUTTON]}]


def not_covered_messages() -> list[Message]:
    """An in-domain question no article covers: say so plainly, where to look, a person."""
    return [{"text": NOT_COVERED_TEXT, "buttons": [HUMAN_BUTTON]}]
