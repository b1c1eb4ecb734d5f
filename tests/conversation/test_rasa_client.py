"""The gateway's Rasa client over real HTTP: messages spread over several instances, one
that refuses connections skipped, nothing sent twice."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.conversation.rasa_client import RasaClient, RasaUnavailable
from tests.fakes.servers import free_port, serve


def fake_rasa(name: str, seen: list[str]) -> Starlette:
    async def webhook(request: Request) -> JSONResponse:
        body: dict[str, Any] = await request.json()
        seen.append(f"{name}:{body['message']}")
        return JSONResponse([{"recipient_id": body["sender"], "text": f"{name} ok"}])

    return Starlette(routes=[Route("/webhooks/rest/webhook", webhook, methods=["POST"])])


def test_messages_alternate_and_a_dead_instance_is_skipped() -> None:
    seen: list[str] = []
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with serve(fake_rasa("a", seen)) as a, serve(fake_rasa("b", seen)) as b:

        async def run() -> list[str]:
            client = RasaClient([a, b, dead], None, timeout=5)
            try:
                replies = [await client.send("web:x", f"m{i}", {}) for i in range(6)]
            finally:
                await client.aclose()
            return [r[0]["text"] for r in replies]

        texts = asyncio.run(run())
    assert {"a ok", "b ok"} == set(texts)
    assert sorted(s.split(":")[1] for s in seen) == [f"m{i}" for i in range(6)]  # each once


def test_all_instances_down_is_rasa_unavailable() -> None:
    async def run() -> None:
        client = RasaClient([f"http://127.0.0.1:{free_port()}"] * 2, None, timeout=2)
        try:
            await client.send("web:x", "hello", {})
        finally:
            await client.aclose()

    with pytest.raises(RasaUnavailable):
        asyncio.run(run())
