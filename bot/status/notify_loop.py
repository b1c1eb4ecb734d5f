"""The gateway's background task that queues status-change messages for subscribers."""

from __future__ import annotations

import asyncio
import logging

from starlette.concurrency import run_in_threadpool

from bot.db import session_scope
from bot.status.notifier import collect

logger = logging.getLogger(__name__)


def collect_once() -> int:
    with session_scope() as session:
        return collect(session)


async def notify_loop(interval: float) -> None:
    while True:
        try:
            queued = await run_in_threadpool(collect_once)
            if queued:
                logger.info("queued %d status update(s) for subscribers", queued)
        except Exception:  # a database hiccup must not stop future notifications
            logger.exception("status notification pass failed")
        await asyncio.sleep(interval)
