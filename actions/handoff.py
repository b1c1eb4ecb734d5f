"""Ask the gateway for a person of the ward's team (it opens the ticket and answers)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.handoff.request import handoff_message, main_question
from bot.slots import KB_LAST_QUESTION


class ActionRequestHuman(Action):
    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        # "có" after "the answer did not help, want a person?" is feedback, not a request.
        reason = "feedback" if intent == "affirm" else "asked"
        question = main_question(tracker.events, tracker.get_slot(KB_LAST_QUESTION))
        dispatcher.utter_message(json_message=handoff_message(reason, question, tracker.events))
        return []
