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


def said(dispatcher: CollectingDispatcher) -> list[dict[str, Any]]:
    """What the resident sees: the outcome marker is the gateway's, never sent."""
    return [m for m in dispatcher.messages if not (m.get("custom") or {}).get("outcome")]


def outcome_of(dispatcher: CollectingDispatcher) -> dict[str, Any]:
    markers = [m["custom"]["outcome"] for m in dispatcher.messages if m.get("custom")]
    assert len(markers) == 1, dispatcher.messages
    return dict(markers[0])


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
    assert "Nguồn:" in said(dispatcher)[-1]["text"]
    outcome = outcome_of(dispatcher)
    assert outcome["kind"] == "answered" and outcome["article"] == "vneid-forgot-password"
    assert outcome["topic"] and outcome["confidence"] > 0
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
    text = "\n".join(m["text"] for m in said(dispatcher))
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
    assert outcome_of(dispatcher)["kind"] == "improper"
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


async def test_a_public_service_question_refused_as_out_of_scope_is_recorded(
    actions: Any, migrated_db: None
) -> None:
    from sqlalchemy import select

    from bot.db import session_scope
    from bot.knowledge.models import UnansweredQuestion
    from bot.privacy import resident_key

    question = "thủ tục đăng ký nuôi ong mật ở phường cần giấy tờ gì"
    dispatcher = CollectingDispatcher()
    await actions.ActionOutOfScope().run(dispatcher, tracker(question, "out_of_scope"), {})
    assert dispatcher.messages[0]["response"] == "utter_out_of_scope"
    assert outcome_of(dispatcher)["kind"] == "off_topic"
    with session_scope() as session:
        row = session.scalars(
            select(UnansweredQuestion).where(UnansweredQuestion.question == question)
        ).one()
        assert (row.outcome, row.resident) == ("refused", resident_key("web:test"))
