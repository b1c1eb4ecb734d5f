"""The Telegram channel: python-telegram-bot handlers that call the one dispatcher.

Replies are sent as plain text (no parse mode: nothing to escape in residents' or
editors' text; links stay clickable), split at paragraphs under 4096 characters; buttons
become an inline keyboard whose presses come back as the button's payload. Residents write
in private chats; groups are the handoff teams' (``team.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from starlette.concurrency import run_in_threadpool
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import NetworkError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationHandlerStop,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from bot.channels.dedup import first_time
from bot.channels.payloads import code_for, payload_for
from bot.channels.telegram.team import add_team_handlers
from bot.conversation.inbox import Inbox, Replier
from bot.conversation.messages import OutgoingMessage
from bot.handoff.desk import HandoffDesk
from bot.text.incoming import storable
from bot.text.split import split_message

logger = logging.getLogger(__name__)
MAX_TEXT = 4096
RESIDENT_GROUP = 1  # handler group of residents' handlers, after the team's (0)
NOT_TEXT = (
    "Mình hiện chỉ đọc được tin nhắn chữ. Bạn gõ câu hỏi giúp mình nhé, có dấu hay không dấu "
    'đều được (ví dụ: "quên mật khẩu VNeID").'
)


async def send(app: Application, chat_id: int | str, messages: list[OutgoingMessage]) -> None:  # type: ignore[type-arg]
    for message in messages:
        parts = split_message(message.text, MAX_TEXT) if message.text else []
        for i, part in enumerate(parts):
            markup = None
            if i == len(parts) - 1 and message.buttons:
                codes = [await run_in_threadpool(code_for, b.payload) for b in message.buttons]
                markup = InlineKeyboardMarkup(
                    [
                        [InlineKeyboardButton(b.title[:64], callback_data=c)]
                        for b, c in zip(message.buttons, codes, strict=True)
                    ]
                )
            async for attempt in AsyncRetrying(
                retry=retry_if_exception_type(NetworkError),  # TimedOut is one too
                stop=stop_after_attempt(4),
                wait=wait_exponential(multiplier=0.2, max=3.0),
                reraise=True,
            ):
                with attempt:
                    await app.bot.send_message(
                        chat_id=chat_id,
                        text=part,
                        reply_markup=markup,
                        disable_web_page_preview=True,
                    )


class PersonOrder(BaseUpdateProcessor):
    """Each person's updates in order (a resident's messages reach Rasa as typed), different
    people at once: one slow Rasa answer must not hold up every other resident, nor a team
    member's claim. Keyed by user, so two members pressing "Nhận xử lý" in the same group
    really race (the database decides)."""

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._queued: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _person(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._queued[key] = self._queued.get(key, 0) + 1
        try:
            async with lock:  # asyncio locks are FIFO: arrival order is kept
                await coroutine
        finally:
            self._queued[key] -= 1
            if not self._queued[key]:
                del self._queued[key], self._locks[key]

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def _person(update: object) -> int:
    if isinstance(update, Update):
        for who in (update.effective_user, update.effective_chat):
            if who is not None and isinstance(who.id, int):
                return who.id
    return 0


def well_formed(update: Update) -> bool:
    """python-telegram-bot reads any JSON into an Update without checking types: an id
    that is not a number (a list, a string) would break the per-person order downstream."""
    return all(
        who is None or (isinstance(who.id, int) and not isinstance(who.id, bool))
        for who in (update.effective_user, update.effective_chat)
    )


def telegram_replier(app: Application) -> Replier:  # type: ignore[type-arg]
    async def reply(user_id: str, messages: list[OutgoingMessage]) -> None:
        await send(app, int(user_id), messages)

    return reply


def build_handlers(
    app: Application,  # type: ignore[type-arg]
    inbox: Inbox,
    desk: HandoffDesk | None = None,
) -> None:
    replier = telegram_replier(app)

    async def once(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        # A retried webhook (same update_id) is handled once. A resident's message or button
        # in a private chat is not marked here: the inbox keeps it once under the same id,
        # and if the gateway dies before storing it, Telegram's retry must get through.
        chat = update.effective_chat
        if (
            chat is not None
            and chat.type == ChatType.PRIVATE
            and (update.message is not None or update.callback_query is not None)
        ):
            return
        if not await run_in_threadpool(first_time, "telegram", str(update.update_id)):
            raise ApplicationHandlerStop

    async def answer(update: Update, text: str) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        text = storable(text)
        # Written down first: a crash mid-answer is answered later by the inbox loop.
        user_id = str(chat.id)
        message_id = await inbox.accept("telegram", user_id, text, str(update.update_id))
        if message_id is not None:
            await inbox.answer(message_id, "telegram", user_id, text, replier)

    async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await answer(update, "/greet")

    async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await answer(update, "/ask_capabilities")

    async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message and update.effective_message.text:
            await answer(update, update.effective_message.text)

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        chat = update.effective_chat
        if query is None or chat is None or chat.type != ChatType.PRIVATE:
            return
        await query.answer()
        payload = await run_in_threadpool(payload_for, query.data or "")
        if payload is None:
            logger.info("unknown button code %r", query.data)
            return
        await answer(update, payload)

    async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat:
            await send(app, update.effective_chat.id, [OutgoingMessage(text=NOT_TEXT)])

    app.add_handler(TypeHandler(Update, once), group=-1)
    # Team work first (group 0, stops what it handled: every group chat message); then
    # residents, in private chats only.
    add_team_handlers(app, desk)
    private = filters.ChatType.PRIVATE
    resident = RESIDENT_GROUP
    app.add_handler(CommandHandler("start", on_start, filters=private), group=resident)
    app.add_handler(CommandHandler("help", on_help, filters=private), group=resident)
    app.add_handler(CallbackQueryHandler(on_button), group=resident)
    app.add_handler(
        MessageHandler(private & filters.TEXT & ~filters.COMMAND, on_text), group=resident
    )
    app.add_handler(
        MessageHandler(private & ~filters.TEXT & ~filters.StatusUpdate.ALL, on_other),
        group=resident,
    )


def build_application(token: str, api_base: str) -> Application:  # type: ignore[type-arg]
    """The bot's application, not started and without handlers (``build_handlers`` adds
    them once the inbox and the desk exist, which need this application's bot)."""
    return (
        Application.builder()
        .token(token)
        .base_url(f"{api_base.rstrip('/')}/bot")
        .base_file_url(f"{api_base.rstrip('/')}/file/bot")
        # Telegram's flood limits (about 1 message/s per chat, 20/minute per group, 30/s
        # overall): queue, not fail.
        .rate_limiter(AIORateLimiter(max_retries=2))
        .concurrent_updates(PersonOrder())
        .build()
    )
