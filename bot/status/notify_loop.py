"""The gateway's background task: queue status-change messages for subscribers, then push
them to channels that can send on their own (Telegram, Zalo). The web chat polls instead.

A message is marked delivered only after the platform accepted it; a failure is retried at
the next pass, except a refusal that cannot change (Zalo's interaction window), which is
logged with its reason and dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool

from bot.db import session_scope
from bot.status.notifier import collect, mark_delivered, undelivered

logger = logging.getLogger(__name__)
# channel -> async send(user_id, text); raises PermanentFailure when retrying is pointless
Sender = Callable[[str, str], Awaitable[None]]


class PermanentFailure(Exception):
    """The platform refused for a reason a retry will not fix."""


def collect_once() -> int:
    with session_scope() as session:
        return collect(session)


def _pending(channel: str) -> list[tuple[int, str, str]]:
    with session_scope() as session:
        return [(m.id, m.user_id, m.text) for m in undelivered(session, channel)]


def _done(message_id: int) -> None:
    with session_scope() as session:
        mark_delivered(session, message_id)


async def push_once(senders: dict[str, Sender]) -> int:
    pushed = 0
    for channel, send in senders.items():
        for message_id, user_id, text in await run_in_threadpool(_pending, channel):
            try:
                await send(user_id, text)
            except PermanentFailure as exc:
                logger.warning("status update to %s:%s not deliverable: %s", channel, user_id, exc)
            except Exception as exc:
                logger.warning(
                    "status update to %s:%s failed, will retry: %s", channel, user_id, exc
                )
                continue
            await run_in_threadpool(_done, message_id)
            pushed += 1
    return pushed


async def notify_loop(interval: float, senders: dict[str, Sender] | None = None) -> None:
    while True:
        try:
            queued = await run_in_threadpool(collect_once)
            if queued:
                logger.info("queued %d status update(s) for subscribers", queued)
            if senders:
                await push_once(senders)
        except Exception:  # a database hiccup must not stop future notifications
            logger.exception("status notification pass failed")
        await asyncio.sleep(interval)
