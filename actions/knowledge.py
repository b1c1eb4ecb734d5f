"""Knowledge-base actions: answer a question, send a whole article, refuse an improper
request, record feedback on the answer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.conversation import outcomes
from bot.handoff.request import handoff_message
from bot.knowledge.answer import HUMAN_BUTTON, NOTHING_TEXT, UNSURE_AGAIN_TEXT
from bot.knowledge.responder import Outcome, Reply, Responder, record_feedback
from bot.knowledge.service import IndexMissing, get_knowledge_base
from bot.privacy import resident_key
from bot.settings import get_settings
from bot.slots import KB_LAST_ARTICLE, KB_LAST_QUESTION, KB_UNSURE_STREAK

logger = logging.getLogger(__name__)


def channel_of(tracker: Tracker) -> str:
    metadata = tracker.latest_message.get("metadata") or {}
    return str(metadata.get("channel") or "unknown")


KINDS = {
    Outcome.ANSWER: outcomes.ANSWERED,
    Outcome.UNSURE: outcomes.UNSURE,
    Outcome.NOT_COVERED: outcomes.NOT_COVERED,
    Outcome.OFF_TOPIC: outcomes.OFF_TOPIC,
}


def mark(dispatcher: CollectingDispatcher, reply: Reply | None, kind: str | None = None) -> None:
    """Say what this reply was, for the figures (the gateway takes the marker out)."""
    article, topic, confidence = None, None, None
    if reply is not None:
        kind = kind or KINDS[reply.outcome]
        article = reply.article_id
        confidence = reply.result.confidence if reply.result is not None else None
        if article:
            with contextlib.suppress(IndexMissing, KeyError, IndexError):
                topic = get_knowledge_base().searcher().articles[article]["tags"][0]
    dispatcher.utter_message(
        json_message=outcomes.outcome_marker(kind or outcomes.OTHER, article, topic, confidence)
    )


def _entity(tracker: Tracker, name: str) -> str | None:
    value = next(tracker.get_latest_entity_values(name), None)
    return str(value) if value else None


def _responder() -> Responder:
    settings = get_settings()
    return Responder(
        get_knowledge_base().searcher(),
        settings.kb_confidence_threshold,
        settings.kb_not_covered_below,
    )


def _reply(
    question: str, channel: str, previous: str | None, chosen: str | None, resident: str
) -> Reply:
    responder = _responder()
    if chosen:  # a button from an earlier "did you mean" list
        reply = responder.answer_article(chosen)
        if reply is not None:
            return reply
    return responder.answer(question, channel, previous, resident)


class ActionAnswerQuestion(Action):
    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        question = str(tracker.latest_message.get("text") or "")
        try:
            # Search is CPU work (~30 ms): keep the action server's event loop free.
            reply = await asyncio.to_thread(
                _reply,
                question,
                channel_of(tracker),
                tracker.get_slot(KB_LAST_ARTICLE),
                _entity(tracker, "article_id"),
                resident_key(tracker.sender_id),
            )
        except IndexMissing:
            logger.error("no knowledge index: run `kb build`")
            dispatcher.utter_message(text=NOTHING_TEXT, buttons=[HUMAN_BUTTON])
            return []
        events = [SlotSet(KB_LAST_QUESTION, question)]
        streak = int(tracker.get_slot(KB_UNSURE_STREAK) or 0)
        if not reply.confident and streak >= 1:
            # Unsure twice in a row: a person of the ward's team takes over.
            dispatcher.utter_message(text=UNSURE_AGAIN_TEXT)
            dispatcher.utter_message(
                json_message=handoff_message("kb_unsure", question, tracker.events)
            )
            return [*events, SlotSet(KB_UNSURE_STREAK, 0.0)]
        if reply.outcome is Outcome.OFF_TOPIC:
            dispatcher.utter_message(response="utter_out_of_scope")
            mark(dispatcher, reply)
            return events
        for message in reply.messages:
            dispatcher.utter_message(**message)
        mark(dispatcher, reply)
        events.append(SlotSet(KB_UNSURE_STREAK, 0.0 if reply.confident else streak + 1.0))
        if reply.article_id:
            events.append(SlotSet(KB_LAST_ARTICLE, reply.article_id))
        return events


class ActionOutOfScope(Action):
    """The NLU says out of scope; the knowledge base gets a say before we refuse: a
    resident's real question phrased oddly ("mã gửi về điện thoại không thấy") should
    still be answered when the search is confident."""

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        question = str(tracker.latest_message.get("text") or "")
        try:
            reply = await asyncio.to_thread(
                _confident_reply, question, channel_of(tracker), resident_key(tracker.sender_id)
            )
        except Exception:  # no index or no model: refusing politely is still right
            logger.exception("knowledge check for an out-of-scope message failed")
            reply = None
        if reply is None:
            dispatcher.utter_message(response="utter_out_of_scope")
            mark(dispatcher, None, outcomes.OFF_TOPIC)
            return []
        for message in reply.messages:
            dispatcher.utter_message(**message)
        mark(dispatcher, reply)
        return [SlotSet(KB_LAST_QUESTION, question), SlotSet(KB_LAST_ARTICLE, reply.article_id)]


def _confident_reply(question: str, channel: str, resident: str) -> Reply | None:
    return _responder().confident_answer(question, channel, resident)


class ActionShowArticle(Action):
    """ "Xem chi tiết": the whole article after a chat-sized answer."""

    def name(self) -> str:
        return "action_show_article"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        article_id = _entity(tracker, "article_id") or tracker.get_slot(KB_LAST_ARTICLE)
        reply = None
        if article_id:
            with contextlib.suppress(IndexMissing):  # no index yet: the apology below
                reply = await asyncio.to_thread(_responder().answer_article, str(article_id))
        if reply is None:
            dispatcher.utter_message(text=NOTHING_TEXT, buttons=[HUMAN_BUTTON])
            return []
        for message in reply.messages:
            dispatcher.utter_message(**message)
        mark(dispatcher, reply)
        return [SlotSet(KB_LAST_ARTICLE, reply.article_id)]


class ActionRefuseImproper(Action):
    """A short, firm refusal with the lawful path, chosen by the kind of request the
    arbitration found (bot/nlu/arbitration.py); never an article's steps."""

    def name(self) -> str:
        return "action_refuse_improper"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        kind = _entity(tracker, "improper_kind")
        response = f"utter_improper_{kind}"
        if response not in (domain.get("responses") or {}):
            response = "utter_improper"
        dispatcher.utter_message(response=response)
        mark(dispatcher, None, outcomes.IMPROPER)
        return []


class ActionRecordFeedback(Action):
    def name(self) -> str:
        return "action_record_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        article = tracker.get_slot(KB_LAST_ARTICLE)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if article and intent in {"feedback_positive", "feedback_negative"}:
            await asyncio.to_thread(
                record_feedback,
                channel_of(tracker),
                str(article),
                intent == "feedback_positive",
                str(tracker.get_slot(KB_LAST_QUESTION) or ""),
                resident_key(tracker.sender_id),
            )
        return []


def warm_up() -> None:
    """Load the model and the index when the action server starts, not on the first
    resident's question."""
    try:
        searcher = get_knowledge_base().searcher()
        searcher.search("kích hoạt tài khoản định danh điện tử")
    except IndexMissing:
        logger.warning("no knowledge index yet: run `kb build` (make setup does)")
    except Exception:  # the server still starts; questions get the apology meanwhile
        logger.exception("could not load the knowledge base")


warm_up()
