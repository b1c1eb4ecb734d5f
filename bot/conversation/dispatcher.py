"""The one entry point for a resident's message, whatever the channel.

Channels call ``Dispatcher.handle``; it forwards to Rasa and turns failures into a polite
apology while keeping the message (``UndeliveredMessage``) so nothing is lost. The human
handoff relay plugs in here: a handed-off resident's messages go to a person, not Rasa.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool

from bot.channels.base import OutgoingMessage
from bot.conversation.models import UndeliveredMessage
from bot.conversation.rasa_client import RasaClient, RasaUnavailable
from bot.db import session_scope

logger = logging.getLogger(__name__)

APOLOGY = (
    "Xin lỗi bạn, hệ thống đang bận nên mình chưa trả lời được ngay. "
    "Tin nhắn của bạn đã được ghi lại. Bạn vui lòng thử lại sau ít phút; nếu cần gấp, "
    "hãy gọi tổng đài Bộ Công an 1900 0368 (về VNeID, căn cước) hoặc đến bộ phận một cửa "
    "của phường."
)


def sender_id(channel: str, user_id: str) -> str:
    """Rasa keeps one conversation per person per channel: "telegram:123", "web:ab12"."""
    return f"{channel}:{user_id}"


class Dispatcher:
    def __init__(self, rasa: RasaClient, ward: str) -> None:
        self._rasa = rasa
        self._ward = ward

    async def handle(
        self, channel: str, user_id: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[OutgoingMessage]:
        sender = sender_id(channel, user_id)
        meta = {"channel": channel, "user_id": user_id, "ward": self._ward, **(metadata or {})}
        try:
            replies = await self._rasa.send(sender, text, meta)
        except RasaUnavailable as exc:
            return await self._apologise(channel, sender, text, f"rasa unavailable: {exc}")
        if not replies:
            # Every rule in the domain answers; silence means an action failed (the
            # action server is down or raised).
            return await self._apologise(channel, sender, text, "rasa returned no reply")
        return [OutgoingMessage.from_rasa(reply) for reply in replies]

    async def _apologise(
        self, channel: str, sender: str, text: str, reason: str
    ) -> list[OutgoingMessage]:
        logger.warning("message from %s kept, not answered: %s", sender, reason)
        try:
            await run_in_threadpool(_keep, channel, sender, text, reason)
        except Exception:  # the resident still gets the apology
            logger.exception("could not store the undelivered message from %s", sender)
        return [OutgoingMessage(text=APOLOGY)]


def _keep(channel: str, sender: str, text: str, reason: str) -> None:
    with session_scope() as session:
        session.add(UndeliveredMessage(channel=channel, sender=sender, text=text, reason=reason))
