"""The gateway application: ``create_app()`` wires settings, clients and routes."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from bot.channels.telegram import runner as telegram_runner
from bot.channels.telegram.runner import start_telegram, stop_telegram, telegram_application
from bot.channels.telegram.team import TelegramTeam
from bot.channels.zalo import webhook as zalo_webhook
from bot.channels.zalo.setup import zalo_client
from bot.console import router as console_router
from bot.console.csrf import ConsoleCsrf
from bot.console.pages import COOKIE_PATH, FLASH_COOKIE
from bot.conversation.dispatcher import Dispatcher
from bot.conversation.inbox import Inbox, inbox_loop
from bot.conversation.rasa_client import RasaClient
from bot.db import in_session
from bot.db.duties import release as release_duties
from bot.gateway.limits import UNREADABLE, BodySizeLimit
from bot.gateway.routes import health, web_chat
from bot.gateway.senders import channel_repliers, channel_senders
from bot.gateway.static_files import STATIC_DIR
from bot.handoff.desk import HandoffDesk, handoff_loop
from bot.handoff.rasa_link import RasaLink
from bot.handoff.team_posts import TeamPosts
from bot.knowledge.service import embedder_from
from bot.knowledge.workbench import Workbench
from bot.logs import configure_logging
from bot.retention import retention_loop
from bot.settings import Settings, get_settings, secret
from bot.status.notify_loop import notify_loop


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        token = secret(settings.rasa_token) or None
        app.state.settings = settings
        app.state.rasa = RasaClient(settings.rasa_instances, token, settings.rasa_timeout_seconds)
        app.state.http = httpx.AsyncClient(timeout=3.0)
        # The composition root: channels first (their clients send on their own), then
        # the desk that uses them, the dispatcher, the inbox; Telegram's handlers last.
        telegram = telegram_application(settings) if settings.telegram_enabled else None
        zalo = zalo_client(settings) if settings.zalo_enabled else None
        senders = channel_senders(telegram, zalo)
        app.state.desk = desk = HandoffDesk(
            RasaLink(app.state.rasa),
            TeamPosts(TelegramTeam(telegram) if telegram is not None else None),
            senders,
            claim_timeout_minutes=settings.handoff_claim_timeout_minutes,
            expected_wait_minutes=settings.handoff_expected_wait_minutes,
            default_ward=settings.handoff_default_ward,
        )
        key = secret(settings.address_hash_key).encode() or None
        dispatcher = Dispatcher(
            app.state.rasa, settings.ward_name, desk, key, settings.handoff_default_ward
        )
        app.state.inbox = inbox = Inbox(dispatcher, timedelta(seconds=settings.inbox_lease_seconds))
        app.state.zalo = zalo
        app.state.telegram = telegram
        # The editors' pages: the embedding model loads when an editor first needs it.
        app.state.workbench = Workbench(settings, partial(embedder_from, settings))
        if telegram is not None:
            app.state.telegram_secret = await start_telegram(settings, telegram, inbox, desk)
        loops = [
            asyncio.create_task(notify_loop(settings.status_notify_interval_seconds, senders)),
            asyncio.create_task(handoff_loop(desk, settings.handoff_loop_interval_seconds)),
            asyncio.create_task(
                inbox_loop(inbox, channel_repliers(telegram, zalo), settings.inbox_interval_seconds)
            ),
            asyncio.create_task(retention_loop(settings)),
        ]
        yield
        for loop in loops:
            loop.cancel()
        await in_session(release_duties)  # another gateway (or our successor) takes them now
        if telegram is not None:
            await stop_telegram(telegram)
        await app.state.rasa.aclose()
        await app.state.http.aclose()

    app = FastAPI(
        title="Trợ lý dịch vụ công",
        lifespan=lifespan,
        docs_url="/api/docs" if settings.api_docs else None,
        redoc_url=None,
        openapi_url="/api/openapi.json" if settings.api_docs else None,
    )
    # The console's cookies (form tokens, one-time messages) are signed with one key: the
    # configured one, which every gateway shares, or one for this process.
    console_key = secret(settings.console_secret_key) or secrets.token_urlsafe(32)
    app.add_middleware(ConsoleCsrf, secret=console_key, secure=settings.console_secure_cookies)
    app.add_middleware(
        SessionMiddleware,
        secret_key=console_key,
        session_cookie=FLASH_COOKIE,
        max_age=None,  # until the browser closes; a message is read once anyway
        path=COOKIE_PATH,
        same_site="lax",
        https_only=settings.console_secure_cookies,
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)  # outermost

    @app.exception_handler(RecursionError)
    async def _too_deep(_request: Request, _exc: RecursionError) -> JSONResponse:
        # JSON nested deeper than the parser's recursion limit: a bad request, not a crash.
        return JSONResponse({"detail": UNREADABLE}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # Residents' clients show ``detail``: say in Vietnamese what was wrong.
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', [])[1:]) or 'nội dung'}: {e.get('msg', '')}"
            for e in exc.errors()
        )
        return JSONResponse(
            {"detail": f"Yêu cầu không hợp lệ ({problems}). Bạn kiểm tra lại giúp mình nhé."},
            status_code=422,
        )

    app.include_router(health.router)
    app.include_router(web_chat.router)
    app.include_router(console_router)
    if settings.zalo_enabled:
        app.include_router(zalo_webhook.router)
    if settings.telegram_enabled:
        app.include_router(telegram_runner.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def main() -> None:
    import uvicorn

    settings = get_settings()
    configure_logging(settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.gateway_host,
        port=settings.gateway_port,
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
