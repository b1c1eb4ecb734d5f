"""The gateway's background task: queue status-change messages for subscribers, then push
them to channels that can send on their own (Telegram, Zalo). The web chat polls instead.

A message is marked delivered only after the platform accepted it; a failure is retried at
the next pass, except a refusal that cannot change (Zalo's interaction window), which is
logged with its reason and dropped.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from starlette.concurrency import run_in_threadpool

from bot.conversation.outbox import Sender, push_once
from bot.db import in_session, session_scope
from bot.db.duties import hold
from bot.status.notifier import collect

logger = logging.getLogger(__name__)


def collect_once() -> int:
    """Queue the status changes subscribers have not been told about."""
    with session_scope() as session:
        return collect(session)


async def notify_loop(interval: float, senders: dict[str, Sender] | None = None) -> None:
    while True:
        try:
            # Only the process holding the duty queues them (several gateways would each
            # queue them again); every gateway pushes what is queued (leased per message).
            duty = timedelta(seconds=3 * interval)
            queued = 0
            if await in_session(hold, "status-collect", duty):
                queued = await run_in_threadpool(collect_once)
            if queued:
                logger.info("queued %d status update(s) for subscribers", queued)
            if senders:
                await push_once(senders)
        except Exception:  # a database hiccup must not stop future notifications
            logger.exception("status notification pass failed")
        await asyncio.sleep(interval)
