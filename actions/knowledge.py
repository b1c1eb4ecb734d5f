"""Knowledge-base answers: ``action_answer_question``."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

NOT_FOUND = (
    "Xin lỗi, mình chưa tìm được hướng dẫn chắc chắn cho câu hỏi này. "
    "Bạn có thể hỏi lại ngắn gọn hơn, hoặc gặp người của tổ công nghệ số cộng đồng."
)


class ActionAnswerQuestion(Action):
    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(
            text=NOT_FOUND,
            buttons=[{"title": "Gặp người hỗ trợ", "payload": "/request_human"}],
        )
        return []
