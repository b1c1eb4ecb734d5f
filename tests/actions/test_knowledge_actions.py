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
