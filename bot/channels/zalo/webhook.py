"""POST /webhooks/zalo: Zalo OA events in, answers out.

Every event's signature is checked (X-ZEvent-Signature, optionally "mac="-prefixed, is the
hex SHA-256 of app_id + raw body + timestamp + OA secret key: a plain hash, not an HMAC)
and stale events are refused. A resident's message is written to the inbox before the
request is acknowledged, then answered in the background (Zalo retries when it waits about
2 s); a retried event (same msg_id) is stored and answered once.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from bot.channels.body import field, json_object, same_secret
from bot.channels.dedup import first_time
from bot.channels.zalo.client import MAX_TEXT, ZaloClient
from bot.channels.zalo.errors import ZaloError
from bot.conversation.inbox import Inbox, Replier
from bot.conversation.messages import OutgoingMessage
from bot.settings import Settings, secret
from bot.text.incoming import storable
from bot.text.split import split_message

logger = logging.getLogger(__name__)
router = APIRouter(tags=["zalo"])
NOT_TEXT = (
    "Mình hiện chỉ đọc được tin nhắn chữ. Bạn gõ câu hỏi giúp mình nhé, có dấu hay không dấu "
    'đều được (ví dụ: "quên mật khẩu VNeID").'
)
NON_TEXT_EVENTS = {
    "user_send_image",
    "user_send_sticker",
    "user_send_gif",
    "user_send_audio",
    "user_send_video",
    "user_send_file",
    "user_send_location",
    "user_send_link",
    "user_send_business_card",
}
MAX_TIMESTAMP_DIGITS = 15  # milliseconds since 1970 have 13
_tasks: set[asyncio.Task[None]] = set()


def signature(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    return hashlib.sha256(
        app_id.encode() + body + timestamp.encode() + oa_secret_key.encode()
    ).hexdigest()


def verify(settings: Settings, body: bytes, event: dict[str, Any], headers: Any) -> None:
    """Raise 403 unless the event is signed with our OA secret key and recent."""
    oa_secret = secret(settings.zalo_oa_secret_key)
    given = str(headers.get("x-zevent-signature", "")).strip()
    given = given[4:] if given.lower().startswith("mac=") else given
    if settings.zalo_timestamp_source == "header":
        timestamp = str(headers.get("x-zevent-timestamp", ""))
    else:
        timestamp = str(event.get("timestamp", ""))
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > MAX_TIMESTAMP_DIGITS:
        raise HTTPException(403, "invalid timestamp")
    expected = signature(settings.zalo_app_id, body, timestamp, oa_secret)
    if not same_secret(given.lower(), expected):
        raise HTTPException(403, "invalid signature")
    if abs(time.time() * 1000 - int(timestamp)) > settings.zalo_max_event_age_seconds * 1000:
        raise HTTPException(403, "stale event")


async def deliver(
    client: ZaloClient,
    user_id: str,
    messages: list[OutgoingMessage],
    reply_to: str | None = None,
) -> None:
    """Send answers within Zalo's limits; log what cannot be delivered, with the reason.
    ``reply_to``: the resident's message they answer (Zalo's msg_id)."""
    for message in messages:
        parts = split_message(message.text, MAX_TEXT) if message.text else []
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            try:
                if last and message.buttons:
                    buttons = [(b.title, b.payload) for b in message.buttons]
                    await run_in_threadpool(client.send_buttons, user_id, part, buttons, reply_to)
                else:
                    await run_in_threadpool(client.send_text, user_id, part, reply_to)
            except ZaloError as exc:
                logger.warning("Zalo message to %s not delivered: %s", user_id, exc)
                return


def _text(value: Any) -> str:
    return storable(value).strip() if isinstance(value, str) else ""


def resident_message(event: dict[str, Any]) -> tuple[str, str] | None:
    """(user id, text) of an event the assistant answers: a text, or a new follower
    (greeted); None otherwise."""
    name = str(event.get("event_name", ""))
    if name == "user_send_text":
        user_id, text = _text(field(event, "sender", "id")), _text(field(event, "message", "text"))
        return (user_id, text) if user_id and text else None
    if name == "follow":
        user_id = _text(field(event, "follower", "id"))
        return (user_id, "/greet") if user_id else None
    return None


def zalo_replier(client: ZaloClient, reply_to: str | None = None) -> Replier:
    """Answers to a resident's message: ``reply_to`` is its msg_id when known (an answer
    given at once); late answers go by user id."""

    async def reply(user_id: str, messages: list[OutgoingMessage]) -> None:
        await deliver(client, user_id, messages, reply_to)

    return reply


async def _not_text(client: ZaloClient, event: dict[str, Any]) -> None:
    name = str(event.get("event_name", ""))
    user_id = _text(field(event, "sender", "id"))
    if name in NON_TEXT_EVENTS and user_id:
        await deliver(client, user_id, [OutgoingMessage(text=NOT_TEXT)])
    else:
        logger.info("Zalo event %s ignored", name or "(no name)")


def _background(coroutine: Any) -> None:
    task = asyncio.create_task(coroutine)
    _tasks.add(task)  # keep a reference until done
    task.add_done_callback(_tasks.discard)


def message_id_of(event: dict[str, Any]) -> str | None:
    """Zalo's id of the resident's message, when the event carries one."""
    found = field(event, "message", "msg_id")
    return str(found)[:200] if isinstance(found, str | int) and found else None


def event_id(event: dict[str, Any]) -> str:
    message_id = message_id_of(event)
    if message_id:
        return message_id
    person = field(event, "sender", "id") or field(event, "follower", "id") or ""
    return f"{event.get('event_name')}:{person}:{event.get('timestamp')}"[:200]


@router.post("/webhooks/zalo")
async def zalo_webhook(request: Request) -> dict[str, bool]:
    settings: Settings = request.app.state.settings
    body = await request.body()
    event = json_object(body, "a JSON object")
    if not event:
        return {"ok": True}  # Zalo checks a new webhook URL with an unsigned {}
    verify(settings, body, event, request.headers)
    client: ZaloClient = request.app.state.zalo
    found = resident_message(event)
    if found is None:  # a photo, a sticker…: a polite "text only" once, nothing to keep
        if await run_in_threadpool(first_time, "zalo", event_id(event)):
            _background(_not_text(client, event))
        return {"ok": True}
    user_id, text = found
    # Written down before the 200 (Zalo does not retry after it): a crash from here on is
    # answered by the inbox loop. A retried event (same id) is stored once.
    inbox: Inbox = request.app.state.inbox
    message_id = await inbox.accept("zalo", user_id, text, event_id(event))
    if message_id is not None:
        replier = zalo_replier(client, reply_to=message_id_of(event))
        _background(inbox.answer(message_id, "zalo", user_id, text, replier))
    return {"ok": True}
