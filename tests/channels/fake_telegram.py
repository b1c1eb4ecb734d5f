"""A local stand-in for the Telegram Bot API (the methods the channel uses).

Private chats have positive ids, groups negative ones ("supergroup"), as on Telegram. The
fake keeps every message the bot sent (``messages``, updated by edits) so tests can reply
to a bot message or check what it looks like now.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

BOT = {"id": 42, "is_bot": True, "first_name": "Trợ lý", "username": "tro_ly_bot"}
FORBIDDEN = "Forbidden: bot can't initiate conversation with a user"


def chat_of(chat_id: int) -> dict[str, Any]:
    if chat_id < 0:
        return {"id": chat_id, "type": "supergroup", "title": "Tổ công nghệ số"}
    return {"id": chat_id, "type": "private"}


class FakeTelegram:
    def __init__(self, token: str = "123:abc", first_message_id: int = 1) -> None:
        # Update ids differ between fakes: the gateway drops an update id it has seen, and
        # the test database (with those ids) lives for the whole session.
        self.token = token
        self.updates: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []  # sendMessage parameters (+ "message_id")
        self.edits: list[dict[str, Any]] = []  # editMessageText/ReplyMarkup parameters
        self.answers: list[dict[str, Any]] = []  # answerCallbackQuery parameters
        self.calls: list[str] = []
        self.webhook: dict[str, Any] = {}
        self.fail_sends = 0  # answer the next N sendMessage calls with HTTP 502
        # While True, getUpdates hands out nothing: updates queued meanwhile arrive together.
        self.hold = False
        # Private chats of users who never pressed Start: the bot may not write first (403).
        self.never_started: set[int] = set()
        # Users by id (name, username); unknown ids are "Bà Lan" without a username.
        self.users: dict[int, dict[str, Any]] = {}
        # Every message the bot sent, as Telegram holds it now: (chat_id, message_id) -> it.
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        # Called (from the fake's thread) with each method, its parameters and its result
        # once handled: benchmarks time the moment a message reaches "Telegram".
        self.on_call: Callable[[str, dict[str, Any], Any], None] | None = None
        self._ids = itertools.count(first_message_id)
        self._update_ids = itertools.count(random.randint(10**6, 2 * 10**9))
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
            if method == "sendMessage" and int(params["chat_id"]) in self.never_started:
                return JSONResponse(
                    {"ok": False, "error_code": 403, "description": FORBIDDEN}, status_code=403
                )
            result = await self._method(method, params)
            if self.on_call is not None:
                self.on_call(method, params, result)
            return {"ok": True, "result": result}

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
                pending = [] if self.hold else [u for u in self.updates if u["update_id"] >= offset]
                if pending or time.monotonic() >= deadline:
                    return pending
                await asyncio.sleep(0.05)
        if method == "sendMessage":
            chat_id = int(params["chat_id"])
            message: dict[str, Any] = {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": chat_of(chat_id),
                "text": params["text"],
                "from": BOT,
            }
            if params.get("reply_markup"):
                message["reply_markup"] = params["reply_markup"]
            self.messages[(chat_id, message["message_id"])] = message
            self.sent.append({**params, "message_id": message["message_id"]})
            return message
        if method in {"editMessageText", "editMessageReplyMarkup"}:
            key = (int(params["chat_id"]), int(params["message_id"]))
            self.edits.append({"method": method, **params})
            message = self.messages.get(key)
            if message is None:
                return True
            if method == "editMessageText":
                message["text"] = params["text"]
            # An edit without reply_markup removes the inline keyboard, as on Telegram.
            if params.get("reply_markup"):
                message["reply_markup"] = params["reply_markup"]
            else:
                message.pop("reply_markup", None)
            return message
        if method == "answerCallbackQuery":
            self.answers.append(params)
            return True
        return True

    # -- updates people would cause ------------------------------------------------------
    def _user(self, user_id: int) -> dict[str, Any]:
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": "Bà Lan",
            **self.users.get(user_id, {}),
        }

    def user(self, user_id: int, first_name: str, username: str | None = None) -> None:
        """Register a person (a team member) so their updates carry a name/username."""
        self.users[user_id] = {"first_name": first_name}
        if username:
            self.users[user_id]["username"] = username

    def message(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        from_user: int | None = None,
        reply_to: int | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """A message in a chat: a private chat (positive id) is written by its own user;
        a group (negative id) by ``from_user``. ``reply_to``: a message id in that chat."""
        msg: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": chat_of(chat_id),
            "from": self._user(from_user if from_user is not None else chat_id),
            **extra,
        }
        if reply_to is not None:
            msg["reply_to_message"] = self.messages.get(
                (chat_id, reply_to),
                {"message_id": reply_to, "date": 0, "chat": chat_of(chat_id), "text": "…"},
            )
        if text is not None:
            msg["text"] = text
            if text.startswith("/"):
                msg["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
                ]
        update = {"update_id": next(self._update_ids), "message": msg}
        self.updates.append(update)
        return update

    def press(
        self, chat_id: int, data: str, *, from_user: int | None = None, message_id: int = 1
    ) -> dict[str, Any]:
        """A button press on a bot message (``message_id``) in a chat."""
        message = self.messages.get(
            (chat_id, message_id),
            {"message_id": message_id, "date": int(time.time()), "chat": chat_of(chat_id)},
        )
        update = {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": str(next(self._ids)),
                "from": self._user(from_user if from_user is not None else chat_id),
                "chat_instance": "x",
                "data": data,
                "message": {"text": "…", **message},
            },
        }
        self.updates.append(update)
        return update

    def to(self, chat_id: int) -> list[dict[str, Any]]:
        return [m for m in self.sent if int(m["chat_id"]) == chat_id]

    def answer(self, update: dict[str, Any]) -> dict[str, Any] | None:
        """The answer to a button press (``press``'s update), once the bot gave one."""
        query_id = update["callback_query"]["id"]
        found = [a for a in self.answers if str(a["callback_query_id"]) == query_id]
        return found[-1] if found else None
