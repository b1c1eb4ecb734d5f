"""HTTP client for the Rasa server's REST channel and status endpoint."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx


class RasaUnavailable(Exception):
    """Rasa did not answer in time, or answered with an error."""


def _describe(exc: Exception) -> str:
    """The error without its URL: Rasa's API token travels in the query string."""
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    return type(exc).__name__


class RasaClient:
    def __init__(self, base_url: str, token: str | None, timeout: float) -> None:
        self._token = token
        # One pooled client: keep-alive connections save a TCP handshake per message.
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(timeout, connect=3.0),
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """Send one user message; return Rasa's replies (possibly empty)."""
        try:
            response = await self._http.post(
                "/webhooks/rest/webhook",
                json={"sender": sender, "message": text, "metadata": metadata},
            )
            response.raise_for_status()
            replies = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaUnavailable(_describe(exc)) from exc
        if not isinstance(replies, list):
            raise RasaUnavailable(f"unexpected reply from Rasa: {replies!r:.200}")
        return [r for r in replies if isinstance(r, dict)]

    async def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        """Append events to a conversation's tracker (needs the API token): how the
        gateway pauses Rasa for a handoff and resumes it afterwards."""
        params: dict[str, str] = {"include_events": "NONE"}
        if self._token:
            params["token"] = self._token
        try:
            response = await self._http.post(
                f"/conversations/{quote(conversation_id, safe='')}/tracker/events",
                params=params,
                json=events,
            )
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise RasaUnavailable(_describe(exc)) from exc

    async def status(self) -> dict[str, Any]:
        """Rasa's /status (needs the API token): raises RasaUnavailable when down."""
        params = {"token": self._token} if self._token else None
        try:
            response = await self._http.get("/status", params=params, timeout=3.0)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaUnavailable(_describe(exc)) from exc
        return data if isinstance(data, dict) else {}
