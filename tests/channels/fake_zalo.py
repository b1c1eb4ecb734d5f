"""A local stand-in for Zalo's OpenAPI (send) and OAuth (refresh) endpoints."""

from __future__ import annotations

import itertools
import threading
from typing import Any

from fastapi import FastAPI, Form, Header, Request
from fastapi.responses import JSONResponse


class FakeZalo:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.refreshes = 0
        self.valid_access = {"access-0"}
        self.valid_refresh = {"refresh-0"}
        self.fail_next_5xx = 0
        self.answer_error: int | None = None
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.app = FastAPI()

        @self.app.post("/v3.0/oa/message/cs")
        async def send(
            request: Request, access_token: str = Header("", convert_underscores=False)
        ) -> Any:
            if self.fail_next_5xx > 0:
                self.fail_next_5xx -= 1
                return JSONResponse({"error": "busy"}, status_code=502)
            if access_token not in self.valid_access:
                return {"error": -216, "message": "Access token is invalid"}
            if self.answer_error is not None:
                return {"error": self.answer_error, "message": "refused"}
            body = await request.json()
            self.sent.append(body)
            return {"error": 0, "message": "Success", "data": {"message_id": f"m{len(self.sent)}"}}

        @self.app.post("/v4/oa/access_token")
        async def refresh(
            secret_key: str = Header("", convert_underscores=False),
            refresh_token: str = Form(""),
            app_id: str = Form(""),
            grant_type: str = Form(""),
        ) -> Any:
            with self._lock:
                if secret_key != "app-secret" or grant_type != "refresh_token":
                    return {"error": -14002, "error_description": "invalid secret"}
                if refresh_token not in self.valid_refresh:
                    return {"error": -14014, "error_description": "refresh token used or invalid"}
                self.valid_refresh.discard(refresh_token)  # single use
                n = next(self._ids)
                self.refreshes += 1
                self.valid_access = {f"access-{n}"}
                self.valid_refresh.add(f"refresh-{n}")
                return {
                    "access_token": f"access-{n}",
                    "refresh_token": f"refresh-{n}",
                    "expires_in": "90000",
                }
