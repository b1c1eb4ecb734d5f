"""A stand-in for the Rasa server's REST channel and status API, with failure modes."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


class FakeRasa:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        # Tracker events the gateway appended: (conversation id, events), e.g. a handoff's
        # pause and resume.
        self.events: list[tuple[str, list[dict[str, Any]]]] = []
        # Replies for a given message text instead of the echo (recipient_id is added), e.g.
        # {"gặp người": [{"custom": {"handoff": {...}}}]}.
        self.scripted: dict[str, list[dict[str, Any]]] = {}
        self.mode = "ok"  # ok | slow | empty | error
        self.delay = 0.0
        self.app = FastAPI()

        @self.app.post("/webhooks/rest/webhook")
        async def webhook(request: Request) -> Any:
            body = await request.json()
            self.received.append(body)
            if self.mode == "slow":
                await asyncio.sleep(self.delay)
            if self.mode == "error":
                return JSONResponse({"error": "boom"}, status_code=500)
            if self.mode == "empty":
                return []
            if body["message"] in self.scripted:
                return [
                    {"recipient_id": body["sender"], **reply}
                    for reply in self.scripted[body["message"]]
                ]
            return [
                {
                    "recipient_id": body["sender"],
                    "text": f"echo: {body['message']}",
                    "buttons": [{"title": "Gặp người hỗ trợ", "payload": "/request_human"}],
                },
                {"recipient_id": body["sender"], "text": "Nguồn: https://vneid.gov.vn"},
            ]

        @self.app.post("/conversations/{conversation_id}/tracker/events")
        async def tracker_events(conversation_id: str, request: Request, token: str = "") -> Any:
            if token != "secret":
                return JSONResponse({"error": "unauthorized"}, status_code=401)
            events = await request.json()
            self.events.append((conversation_id, events))
            return {"sender_id": conversation_id, "events": None}

        @self.app.get("/status")
        async def status(token: str = "") -> Any:
            if token != "secret":
                return JSONResponse({"error": "unauthorized"}, status_code=401)
            return {"model_file": "assistant.tar.gz", "model_id": "abc"}

        @self.app.get("/health")  # the action server's health route, served here too
        async def health() -> Any:
            return {"status": "ok"}

    def events_for(self, conversation_id: str) -> list[dict[str, Any]]:
        """Every event appended to one conversation, in order."""
        return [e for cid, events in self.events if cid == conversation_id for e in events]
