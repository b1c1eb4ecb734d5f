"""Push senders for messages the assistant sends on its own (status updates)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from telegram.error import BadRequest, Forbidden

from bot.channels.base import OutgoingMessage
from bot.channels.telegram.bot import send as telegram_send
from bot.channels.zalo.errors import ZaloOutsideWindow
from bot.conversation.outbox import PermanentFailure, Sender


def channel_senders(state: Any) -> dict[str, Sender]:
    senders: dict[str, Sender] = {}
    telegram = getattr(state, "telegram", None)
    if telegram is not None:

        async def to_telegram(user_id: str, text: str) -> None:
            try:
                await telegram_send(telegram, user_id, [OutgoingMessage(text=text)])
            except Forbidden as exc:  # the resident blocked the bot
                raise PermanentFailure(f"Telegram: {exc}") from exc
            except BadRequest as exc:
                if "chat not found" in str(exc).lower():
                    raise PermanentFailure(f"Telegram: {exc}") from exc
                raise

        senders["telegram"] = to_telegram
    zalo = getattr(state, "zalo", None)
    if zalo is not None:

        async def to_zalo(user_id: str, text: str) -> None:
            try:
                await run_in_threadpool(zalo.send_text, user_id, text)
            except ZaloOutsideWindow as exc:  # Zalo allows no message outside the window
                raise PermanentFailure(str(exc)) from exc

        senders["zalo"] = to_zalo
    return senders
