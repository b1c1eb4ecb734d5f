"""What the answer action does: search, decide, compose, record. Rasa-free and testable."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from bot.db import session_scope
from bot.knowledge.answer import Message, article_messages, unsure_messages
from bot.knowledge.models import Feedback, UnansweredQuestion
from bot.knowledge.search import Searcher, SearchResult
from bot.privacy import mask_pii
from bot.text import fold

logger = logging.getLogger(__name__)

# "còn mức 1 thì sao?", "thế còn người nước ngoài", "vậy nếu mất sim": a follow-up that
# only makes sense with the previous topic.
_FOLLOW_UP = re.compile(r"^(con|the con|vay con|vay|the|neu|con neu|vay neu)\b|thi sao$|the nao$")
FOLLOW_UP_MAX_SYLLABLES = 9


@dataclass
class Reply:
    messages: list[Message]
    article_id: str | None  # the article answered (None when unsure)
    confident: bool
    result: SearchResult | None = None
    candidates: list[str] = field(default_factory=list)


def is_follow_up(question: str) -> bool:
    folded = fold(question)
    return len(folded.split()) <= FOLLOW_UP_MAX_SYLLABLES and bool(_FOLLOW_UP.search(folded))


class Responder:
    def __init__(self, searcher: Searcher, threshold: float | None = None) -> None:
        self.searcher = searcher
        self.threshold = threshold if threshold is not None else searcher.threshold("hybrid")

    def answer_article(self, article_id: str) -> Reply | None:
        article = self.searcher.articles.get(article_id)
        if article is None:
            return None
        return Reply(article_messages(article), article_id, True)

    def search(self, question: str, previous_article: str | None = None) -> SearchResult:
        result = self.searcher.search(question)
        previous = self.searcher.articles.get(previous_article or "")
        if previous is not None and is_follow_up(question):
            # "còn mức 1 thì sao?" after an answer about level 2: the resident wants a
            # *different* article. Read the question alone and with the previous topic
            # (numbers left out: "mức 1" replaces "mức 2"); keep the surer reading.
            others = {previous["id"]}
            topic = re.sub(r"\d+", " ", previous["title"])
            readings = [
                self.searcher.search(question, exclude_articles=others),
                self.searcher.search(f"{question} {topic}", exclude_articles=others),
            ]
            result = max(readings, key=lambda r: r.confidence)
        return result

    def confident_answer(self, question: str) -> Reply | None:
        """The answer only when the search is confident (nothing recorded otherwise)."""
        result = self.searcher.search(question)
        if result.top is None or result.confidence < self.threshold:
            return None
        article = self.searcher.articles[result.top.article_id]
        return Reply(article_messages(article), result.top.article_id, True, result)

    def answer(self, question: str, channel: str, previous_article: str | None = None) -> Reply:
        result = self.search(question, previous_article)
        top = result.top
        candidates = [h.article_id for h in result.hits[:3]]
        if top is not None and result.confidence >= self.threshold:
            article = self.searcher.articles[top.article_id]
            return Reply(article_messages(article), top.article_id, True, result, candidates)
        record_unanswered(question, channel, result)
        return Reply(unsure_messages(result), None, False, result, candidates)


def record_unanswered(question: str, channel: str, result: SearchResult) -> None:
    try:
        with session_scope() as session:
            session.add(
                UnansweredQuestion(
                    channel=channel,
                    question=mask_pii(question)[:2000],
                    folded=fold(mask_pii(question))[:500],
                    confidence=result.confidence,
                    candidates=",".join(h.article_id for h in result.hits[:3]),
                )
            )
    except Exception:  # the resident still gets an answer; the report misses one row
        logger.exception("could not record an unanswered question")


def record_feedback(channel: str, article_id: str, helpful: bool, question: str) -> None:
    with session_scope() as session:
        session.add(
            Feedback(
                channel=channel,
                article_id=article_id,
                helpful=helpful,
                question=mask_pii(question)[:2000],
            )
        )
