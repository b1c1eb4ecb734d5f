"""How the gateway reaches residents on each channel: senders for messages it sends on its
own (status updates, team replies: the outbox) and repliers for answers to a resident's
message that come late (the inbox loop)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application

from bot.channels.telegram.bot import send as telegram_send
from bot.channels.telegram.bot import telegram_replier
from bot.channels.zalo.client import ZaloClient
from bot.channels.zalo.errors import ZaloOutsideWindow
from bot.channels.zalo.webhook import zalo_replier
from bot.conversation.inbox import Replier
from bot.conversation.messages import OutgoingMessage
from bot.conversation.outbox import PermanentFailure, Sender, deliver


def channel_senders(
    telegram: Application | None,  # type: ignore[type-arg]
    zalo: ZaloClient | None,
) -> dict[str, Sender]:
    senders: dict[str, Sender] = {}
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
    if zalo is not None:

        async def to_zalo(user_id: str, text: str) -> None:
            try:
                await run_in_threadpool(zalo.send_text, user_id, text)
            except ZaloOutsideWindow as exc:  # Zalo allows no message outside the window
                raise PermanentFailure(str(exc)) from exc

        senders["zalo"] = to_zalo
    return senders


def channel_repliers(
    telegram: Application | None,  # type: ignore[type-arg]
    zalo: ZaloClient | None,
) -> dict[str, Replier]:
    """Late answers: pushed on Telegram and Zalo (with their buttons), left in the outbox
    for the web chat's next poll."""

    async def to_web(user_id: str, messages: list[OutgoingMessage]) -> None:
        for message in messages:
            if message.text:
                await deliver({}, "web", user_id, message.text)

    repliers: dict[str, Replier] = {"web": to_web}
    if telegram is not None:
        repliers["telegram"] = telegram_replier(telegram)
    if zalo is not None:
        repliers["zalo"] = zalo_replier(zalo)
    return repliers
