"""A local stand-in for the Telegram Bot API (the methods the channel uses)."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

BOT = {"id": 42, "is_bot": True, "first_name": "Trợ lý", "username": "tro_ly_bot"}


class FakeTelegram:
    def __init__(self, token: str = "123:abc") -> None:
        self.token = token
        self.updates: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.calls: list[str] = []
        self.webhook: dict[str, Any] = {}
        self.fail_sends = 0  # answer the next N sendMessage calls with HTTP 502
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(1000)
        self.app = FastAPI()

        @self.app.post("/bot{token}/{method}")
        async def api(token: str, method: str, request: Request) -> Any:
            if token != self.token:
                return {"ok": False, "error_code": 401, "description": "Unauthorized"}
            params = await self._params(request)
            self.calls.append(method)
            if method == "sendMessage" and self.fail_sends > 0:
                self.fail_sends -= 1
                return JSONResponse(
                    {"ok": False, "error_code": 502, "description": "Bad Gateway"}, status_code=502
                )
            return {"ok": True, "result": await self._method(method, params)}

    async def _params(self, request: Request) -> dict[str, Any]:
        if request.headers.get("content-type", "").startswith("application/json"):
            body = await request.body()
            return json.loads(body) if body else {}
        form = await request.form()
        params: dict[str, Any] = {}
        for key, value in form.items():
            try:
                params[key] = json.loads(str(value))
            except ValueError:
                params[key] = value
        return params

    async def _method(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT
        if method in {"deleteWebhook", "setWebhook"}:
            self.webhook = params if method == "setWebhook" else {}
            return True
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            deadline = time.monotonic() + min(float(params.get("timeout") or 0), 1.0)
            while True:
                pending = [u for u in self.updates if u["update_id"] >= offset]
                if pending or time.monotonic() >= deadline:
                    return pending
                await asyncio.sleep(0.05)
        if method == "sendMessage":
            self.sent.append(params)
            return {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "text": params["text"],
                "from": BOT,
            }
        if method == "answerCallbackQuery":
            return True
        return True

    # -- updates a resident would cause --------------------------------------------------
    def _user(self, chat_id: int) -> dict[str, Any]:
        return {"id": chat_id, "is_bot": False, "first_name": "Bà Lan"}

    def message(self, chat_id: int, text: str | None = None, **extra: Any) -> dict[str, Any]:
        msg: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": self._user(chat_id),
            **extra,
        }
        if text is not None:
            msg["text"] = text
            if text.startswith("/"):
                msg["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
                ]
        update = {"update_id": next(self._update_ids), "message": msg}
        self.updates.append(update)
        return update

    def press(self, chat_id: int, data: str) -> dict[str, Any]:
        update = {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": str(next(self._ids)),
                "from": self._user(chat_id),
                "chat_instance": "x",
                "data": data,
                "message": {
                    "message_id": 1,
                    "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private"},
                    "text": "…",
                },
            },
        }
        self.updates.append(update)
        return update

    def to(self, chat_id: int) -> list[dict[str, Any]]:
        return [m for m in self.sent if int(m["chat_id"]) == chat_id]
