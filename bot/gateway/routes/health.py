"""GET /healthz: Rasa (model loaded), action server and database; 503 when one is down."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from bot.conversation.rasa_client import RasaUnavailable
from bot.db import get_engine

router = APIRouter(tags=["health"])


async def _rasa(request: Request) -> dict[str, Any]:
    try:
        status = await request.app.state.rasa.status()
    except RasaUnavailable as exc:
        return {"ok": False, "error": str(exc)}
    loaded = bool(status.get("model_file") or status.get("model_id"))
    return {"ok": loaded, "model": status.get("model_id")} | (
        {} if loaded else {"error": "no model loaded"}
    )


async def _action_server(request: Request) -> dict[str, Any]:
    url = request.app.state.settings.action_server_url + "/health"
    try:
        response = await request.app.state.http.get(url)
        return {"ok": response.status_code == 200}
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}


def _ping_database() -> None:
    with get_engine().connect() as connection:
        connection.execute(text("SELECT 1"))


async def _database() -> dict[str, Any]:
    try:
        await run_in_threadpool(_ping_database)
        return {"ok": True}
    except Exception as exc:  # the name only: a database error may quote its URL
        return {"ok": False, "error": type(exc).__name__}


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    rasa, actions, database = await asyncio.gather(
        _rasa(request), _action_server(request), _database()
    )
    checks = {"rasa": rasa, "action_server": actions, "database": database}
    healthy = all(check["ok"] for check in checks.values())
    return JSONResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status_code=200 if healthy else 503,
    )
