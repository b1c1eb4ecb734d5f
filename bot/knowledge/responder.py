"""What the answer action does: search, decide, compose, record. Rasa-free and testable."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from enum import StrEnum

from bot.db import session_scope
from bot.knowledge.answer import (
    Message,
    answer_messages,
    article_messages,
    not_covered_messages,
    unsure_messages,
)
from bot.knowledge.models import Feedback, UnansweredQuestion
from bot.knowledge.search import Searcher, SearchResult, question_readings
from bot.nlu.arbitration import in_domain
from bot.privacy import mask_pii
from bot.text import fold

logger = logging.getLogger(__name__)

# "còn mức 1 thì sao?", "thế còn người nước ngoài", "vậy nếu mất sim": a follow-up that
# only makes sense with the previous topic.
_FOLLOW_UP = re.compile(r"^(con|the con|vay con|vay|the|neu|con neu|vay neu)\b|thi sao$|the nao$")
FOLLOW_UP_MAX_SYLLABLES = 9


# Recorded when the NLU refused a message as out of scope that looked like a public-service
# question and the search was not confident either (actions.knowledge.ActionOutOfScope).
REFUSED = "refused"


class Outcome(StrEnum):
    ANSWER = "answer"  # confident: the passage-led answer
    UNSURE = "unsure"  # the closest titles as buttons, and a person
    NOT_COVERED = "not_covered"  # in the domain, but no article: said plainly
    OFF_TOPIC = "off_topic"  # outside public services: the out-of-scope reply


@dataclass
class Reply:
    messages: list[Message]
    article_id: str | None  # the article answered (None when not answered)
    outcome: Outcome
    result: SearchResult | None = None
    candidates: list[str] = field(default_factory=list)

    @property
    def confident(self) -> bool:
        return self.outcome is Outcome.ANSWER


def is_follow_up(question: str) -> bool:
    folded = fold(question)
    return len(folded.split()) <= FOLLOW_UP_MAX_SYLLABLES and bool(_FOLLOW_UP.search(folded))


class Responder:
    def __init__(
        self, searcher: Searcher, threshold: float | None = None, not_covered_below: float = 0.1
    ) -> None:
        self.searcher = searcher
        self.threshold = threshold if threshold is not None else searcher.threshold("hybrid")
        self.not_covered_below = min(not_covered_below, self.threshold)

    def answer_article(self, article_id: str) -> Reply | None:
        """The whole article (a "did you mean" or "Xem chi tiết" button)."""
        article = self.searcher.articles.get(article_id)
        if article is None:
            return None
        return Reply(article_messages(article), article_id, Outcome.ANSWER)

    def read(self, question: str) -> SearchResult:
        """The search of the whole message, or, when that is not confident, of its question
        alone (``question_readings``) when that reading is: the surest one wins. A reading
        stays bound to the whole message: its areas of procedure (the story's "sổ đỏ"
        rules out an article on contracts however sure the question alone is), the domain
        check and the lines quoted are the whole message's."""
        result = self.searcher.search(question)
        if self.searcher.confident(result, self.threshold):
            return result
        for reading in question_readings(question):
            alone = self.searcher.search(reading)
            if alone.top is None or alone.confidence <= result.confidence:
                continue
            if not self.searcher.on_topic(alone.top.article_id, question):
                continue
            result = replace(alone, query=question, reading=reading)
        return result

    def search(self, question: str, previous_article: str | None = None) -> SearchResult:
        result = self.read(question)
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

    def _answered(self, question: str, result: SearchResult) -> Reply:
        """Open with the line of the top article that answers the question."""
        assert result.top is not None
        article_id = result.top.article_id
        signals = self.searcher.passage_signals(result, [article_id])
        messages = answer_messages(self.searcher.articles[article_id], question, signals)
        candidates = [h.article_id for h in result.hits[:3]]
        return Reply(messages, article_id, Outcome.ANSWER, result, candidates)

    def confident_answer(self, question: str, channel: str, resident: str = "") -> Reply | None:
        """The answer only when the search is confident. Otherwise (the message will be
        refused as out of scope) a question that looks like a public-service one is
        recorded as refused, for the editors' inbox."""
        result = self.read(question)
        if not self.searcher.confident(result, self.threshold):
            if in_domain(question):
                record_unanswered(question, channel, result, REFUSED, resident)
            return None
        return self._answered(question, result)

    def answer(
        self,
        question: str,
        channel: str,
        previous_article: str | None = None,
        resident: str = "",
    ) -> Reply:
        reply = self.decide(question, previous_article)
        if reply.outcome is not Outcome.ANSWER and reply.result is not None:
            record_unanswered(question, channel, reply.result, reply.outcome, resident)
        return reply

    def decide(self, question: str, previous_article: str | None = None) -> Reply:
        """The reply, nothing recorded (the console's "Thử câu hỏi" asks this too)."""
        result = self.search(question, previous_article)
        if self.searcher.confident(result, self.threshold):
            return self._answered(question, result)
        candidates = [h.article_id for h in result.hits[:3]]
        # The question names an area of procedure its closest article is not about: no
        # guide for it (the closest titles would be about something else).
        missing_area = result.top is not None and not self.searcher.on_topic(
            result.top.article_id, question
        )
        if not in_domain(question):
            outcome, messages = Outcome.OFF_TOPIC, []
        elif missing_area or result.confidence < self.not_covered_below:
            outcome, messages = Outcome.NOT_COVERED, not_covered_messages()
        else:
            outcome, messages = Outcome.UNSURE, unsure_messages(result)
        return Reply(messages, None, outcome, result, candidates)


def record_unanswered(
    question: str, channel: str, result: SearchResult, outcome: str, resident: str = ""
) -> None:
    try:
        with session_scope() as session:
            session.add(
                UnansweredQuestion(
                    channel=channel,
                    resident=resident,
                    question=mask_pii(question)[:2000],
                    folded=fold(mask_pii(question))[:500],
                    confidence=result.confidence,
                    candidates=",".join(h.article_id for h in result.hits[:3]),
                    outcome=str(outcome),
                )
            )
    except Exception:  # the resident still gets an answer; the report misses one row
        logger.exception("could not record an unanswered question")


def record_feedback(
    channel: str, article_id: str, helpful: bool, question: str, resident: str = ""
) -> None:
    with session_scope() as session:
        session.add(
            Feedback(
                channel=channel,
                resident=resident,
                article_id=article_id,
                helpful=helpful,
                question=mask_pii(question)[:2000],
            )
        )
