"""Application status: the code form's validation, the look-up, (un)subscribing."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.conversation.outcomes import STATUS, outcome_marker
from bot.db import session_scope
from bot.status.codes import FORMAT_HELP, find_code
from bot.status.explain import status_message
from bot.status.notifier import subscribe, unsubscribe
from bot.status.service import get_status_service

HUMAN = {"title": "Gặp người hỗ trợ", "payload": "/request_human"}
SUBSCRIBE = {"title": "Báo cho tôi khi có kết quả", "payload": "/subscribe_status"}
CANCEL = {"title": "Thôi, không tra nữa", "payload": "/cancel"}


def _resident(tracker: Tracker) -> tuple[str, str]:
    metadata = tracker.latest_message.get("metadata") or {}
    channel = str(metadata.get("channel") or "unknown")
    user_id = str(metadata.get("user_id") or tracker.sender_id.split(":", 1)[-1])
    return channel, user_id


class ValidateStatusForm(FormValidationAction):
    def name(self) -> str:
        return "validate_status_form"

    def validate_application_code(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        # The entity extractor is loose; the resident's whole message is the truth.
        code = find_code(str(value or "")) or find_code(
            str(tracker.latest_message.get("text") or "")
        )
        if code is None:
            dispatcher.utter_message(
                text=f"Mã hồ sơ chưa đúng dạng. {FORMAT_HELP} Bạn gửi lại mã giúp mình nhé.",
                buttons=[CANCEL, HUMAN],
            )
            return {"application_code": None}
        return {"application_code": code.code}


class ActionCheckStatus(Action):
    def name(self) -> str:
        return "action_check_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        # From the form's slot, or from the message when it carried a code.
        code = find_code(str(tracker.get_slot("application_code") or "")) or find_code(
            str(tracker.latest_message.get("text") or "")
        )
        if code is None:  # the entity extractor is looser than the real format: ask
            return [SlotSet("application_code", None), FollowupAction("status_form")]
        code_text = code.code
        address = (tracker.latest_message.get("metadata") or {}).get("address")
        outcome = await asyncio.to_thread(
            get_status_service().lookup, tracker.sender_id, code_text, address
        )
        events: list[dict[str, Any]] = [SlotSet("application_code", None)]
        if outcome.kind == "found" and outcome.application is not None:
            dispatcher.utter_message(
                text=status_message(outcome.application), buttons=[SUBSCRIBE, HUMAN]
            )
            events.append(SlotSet("status_last_code", outcome.application.code))
        elif outcome.kind == "not_found":
            dispatcher.utter_message(
                text=f"Mình không tìm thấy hồ sơ có mã {code_text} trong hệ thống tra cứu của "
                "phường. Bạn kiểm tra lại mã in trên giấy tiếp nhận hồ sơ (giấy hẹn trả kết "
                "quả). Hồ sơ nộp trên Cổng Dịch vụ công thì tra trên đúng cổng đã nộp.",
                buttons=[{"title": "Nhập lại mã", "payload": "/check_status"}, HUMAN],
            )
        elif outcome.kind == "rate_limited":
            dispatcher.utter_message(
                text="Bạn đã tra cứu nhiều lần trong một giờ qua. Để bảo vệ thông tin hồ sơ, "
                "bạn vui lòng thử lại sau, hoặc gặp người hỗ trợ.",
                buttons=[HUMAN],
            )
        elif outcome.kind == "unavailable":
            dispatcher.utter_message(
                text="Dịch vụ tra cứu hồ sơ đang tạm gián đoạn, bạn vui lòng thử lại sau ít "
                "phút. Nếu cần gấp, hãy liên hệ bộ phận một cửa nơi đã nộp hồ sơ.",
                buttons=[HUMAN],
            )
        else:
            dispatcher.utter_message(text=f"Mã hồ sơ chưa đúng dạng. {FORMAT_HELP}")
        # For the figures (the gateway takes it out): a look-up, and how it went.
        dispatcher.utter_message(json_message=outcome_marker(STATUS, topic=outcome.kind))
        return events


class ActionSubscribeStatus(Action):
    def name(self) -> str:
        return "action_subscribe_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        # Only a code this resident has just looked up (through the rate limit and the
        # audit log): subscribing must not become a way to read other applications.
        code = find_code(str(tracker.get_slot("status_last_code") or ""))
        if code is None:
            dispatcher.utter_message(
                text='Bạn tra cứu hồ sơ trước (gửi mã hồ sơ), rồi bấm "Báo cho tôi khi có kết '
                'quả" nhé.',
                buttons=[{"title": "Tra cứu hồ sơ", "payload": "/check_status"}],
            )
            return []
        channel, user_id = _resident(tracker)

        def save() -> bool:
            with session_scope() as session:
                return subscribe(session, code.lookup_key, channel, user_id)

        new = await asyncio.to_thread(save)
        dispatcher.utter_message(
            text=(
                f"Đã đăng ký: khi hồ sơ {code.code} đổi trạng thái, mình sẽ nhắn bạn ngay tại đây."
                if new
                else f"Bạn đã đăng ký theo dõi hồ sơ {code.code} rồi."
            )
            + ' Muốn dừng, bạn nhắn "hủy theo dõi".'
        )
        return []


class ActionUnsubscribeStatus(Action):
    def name(self) -> str:
        return "action_unsubscribe_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        channel, user_id = _resident(tracker)

        def remove() -> int:
            with session_scope() as session:
                return unsubscribe(session, channel, user_id)

        count = await asyncio.to_thread(remove)
        dispatcher.utter_message(
            text="Đã dừng: mình sẽ không nhắn cập nhật hồ sơ cho bạn nữa."
            if count
            else "Bạn chưa đăng ký theo dõi hồ sơ nào."
        )
        return []
