"""Start and stop the Telegram channel inside the gateway, and its webhook route.

Long polling by default (works behind NAT, no public URL). With TELEGRAM_WEBHOOK_BASE_URL
set, Telegram is told to POST updates to {base}/webhooks/telegram with a secret token that
every request must carry (wrong or missing: 403, nothing processed); an update is answered
200 only after it was handled, so nothing Telegram delivered is lost when the gateway dies
(long polling confirms updates as soon as they are fetched: use the webhook in production).
"""

from __future__ import annotations

import logging
import secrets

from fastapi import APIRouter, HTTPException, Request
from telegram import Update
from telegram.ext import Application

from bot.channels.body import json_object, same_secret
from bot.channels.telegram.bot import build_application, build_handlers, well_formed
from bot.conversation.inbox import Inbox
from bot.handoff.desk import HandoffDesk
from bot.settings import Settings, secret

logger = logging.getLogger(__name__)
router = APIRouter(tags=["telegram"])
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def telegram_application(settings: Settings) -> Application:  # type: ignore[type-arg]
    """Built, not started: the team channel and the senders need its bot before the
    inbox and the desk exist, and its handlers need those two (``start_telegram``)."""
    return build_application(secret(settings.telegram_bot_token), settings.telegram_api_base)


async def start_telegram(
    settings: Settings,
    app: Application,  # type: ignore[type-arg]
    inbox: Inbox,
    desk: HandoffDesk,
) -> str:
    """Add the handlers, start the application (webhook or long polling); returns the
    webhook's secret token."""
    build_handlers(app, inbox, desk)
    await app.initialize()
    await app.start()
    hook_secret = secret(settings.telegram_webhook_secret) or secrets.token_urlsafe(32)
    if settings.telegram_webhook_base_url:
        url = settings.telegram_webhook_base_url.rstrip("/") + "/webhooks/telegram"
        await app.bot.set_webhook(
            url=url, secret_token=hook_secret, allowed_updates=Update.ALL_TYPES
        )
        logger.info("Telegram webhook set to %s", url)
    else:
        await app.bot.delete_webhook()
        assert app.updater is not None
        await app.updater.start_polling(
            timeout=settings.telegram_poll_timeout_seconds, allowed_updates=Update.ALL_TYPES
        )
        logger.info("Telegram long polling started")
    return hook_secret


async def stop_telegram(app: Application) -> None:  # type: ignore[type-arg]
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    await app.stop()
    await app.shutdown()


@router.post("/webhooks/telegram")
async def telegram_webhook(request: Request) -> dict[str, bool]:
    expected: str = request.app.state.telegram_secret
    if not same_secret(request.headers.get(SECRET_HEADER, ""), expected):
        raise HTTPException(403, "invalid secret token")
    data = json_object(await request.body(), "a Telegram update")
    app: Application = request.app.state.telegram  # type: ignore[type-arg]
    try:
        update = Update.de_json(data, app.bot)
    except Exception as exc:  # any shape python-telegram-bot cannot read is a bad request
        raise HTTPException(400, "body must be a Telegram update") from exc
    if update is None or not well_formed(update):
        raise HTTPException(400, "body must be a Telegram update")
    # Acknowledged only once handled (a resident's message is in the inbox by then): if the
    # gateway dies first, Telegram delivers the update again. Each person's updates still
    # go in order (the application's update processor).
    await app.update_processor.process_update(update, app.process_update(update))
    return {"ok": True}
