"""Actions run from tracker fixtures, as Rasa would call them (helpdesk-assistant style)."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.knowledge.search import Searcher


def tracker(
    text: str,
    intent: str = "ask_question",
    slots: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
) -> Tracker:
    return Tracker(
        sender_id="web:test",
        slots=slots or {},
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": 0.9},
            "entities": entities or [],
            "metadata": {"channel": "web"},
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@pytest.fixture
def actions(searcher: Searcher, monkeypatch: pytest.MonkeyPatch) -> Any:
    import actions.knowledge as module

    class FakeKB:
        def searcher(self) -> Searcher:
            return searcher

    monkeypatch.setattr(module, "get_knowledge_base", lambda: FakeKB())
    return module


async def test_answer_sets_context_slots(actions: Any, migrated_db: None) -> None:
    dispatcher = CollectingDispatcher()
    events = await actions.ActionAnswerQuestion().run(
        dispatcher, tracker("quen mat khau vneid"), {}
    )
    assert "Nguồn:" in dispatcher.messages[-1]["text"]
    assert SlotSet("kb_last_article", "vneid-forgot-password") in events
    assert SlotSet("kb_last_question", "quen mat khau vneid") in events


async def test_button_choice_answers_that_article(actions: Any, migrated_db: None) -> None:
    dispatcher = CollectingDispatcher()
    entities = [{"entity": "article_id", "value": "error-nfc"}]
    events = await actions.ActionAnswerQuestion().run(
        dispatcher, tracker('/ask_question{"article_id":"error-nfc"}', entities=entities), {}
    )
    assert SlotSet("kb_last_article", "error-nfc") in events


async def test_feedback_action_records(actions: Any, migrated_db: None) -> None:
    from sqlalchemy import func, select

    from bot.db import session_scope
    from bot.knowledge.models import Feedback

    with session_scope() as session:
        before = session.scalar(select(func.count()).select_from(Feedback))
    await actions.ActionRecordFeedback().run(
        CollectingDispatcher(),
        tracker(
            "hữu ích",
            "feedback_positive",
            {"kb_last_article": "error-nfc", "kb_last_question": "nfc lỗi"},
        ),
        {},
    )
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Feedback)) == (before or 0) + 1


async def test_detail_button_sends_the_whole_article(actions: Any, migrated_db: None) -> None:
    dispatcher = CollectingDispatcher()
    entities = [{"entity": "article_id", "value": "criminal-record-vneid"}]
    events = await actions.ActionShowArticle().run(
        dispatcher,
        tracker(
            '/show_article{"article_id":"criminal-record-vneid"}', "show_article", None, entities
        ),
        {},
    )
    text = "\n".join(m["text"] for m in dispatcher.messages)
    assert "200.000" in text and "Nguồn:" in text and "Các bước:" in text
    assert SlotSet("kb_last_article", "criminal-record-vneid") in events


async def test_improper_requests_get_the_refusal_for_their_kind(actions: Any) -> None:
    domain = {"responses": {"utter_improper": [{}], "utter_improper_forgery": [{}]}}
    dispatcher = CollectingDispatcher()
    entities = [{"entity": "improper_kind", "value": "forgery"}]
    await actions.ActionRefuseImproper().run(
        dispatcher, tracker("làm giả căn cước", "improper_request", None, entities), domain
    )
    assert dispatcher.messages[0]["response"] == "utter_improper_forgery"
    dispatcher = CollectingDispatcher()
    await actions.ActionRefuseImproper().run(dispatcher, tracker("...", "improper_request"), domain)
    assert dispatcher.messages[0]["response"] == "utter_improper"


async def test_off_topic_questions_get_the_out_of_scope_reply(
    actions: Any, migrated_db: None
) -> None:
    dispatcher = CollectingDispatcher()
    events = await actions.ActionAnswerQuestion().run(
        dispatcher, tracker("cách nấu phở bò cho ngon", "nlu_fallback"), {}
    )
    assert dispatcher.messages[0]["response"] == "utter_out_of_scope"
    assert not any(getattr(e, "get", lambda _k: None)("name") == "kb_unsure_streak" for e in events)
