"""HTTP client for the Rasa server's REST channel and status endpoint."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
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
    """One or several Rasa instances sharing a tracker store and a lock store. Each call
    goes to the next instance in turn; an instance that refuses the connection (nothing
    reached it) is skipped for the next one. A timeout is not retried elsewhere: the
    message may have been handled, and sending it twice would answer it twice."""

    def __init__(self, base_urls: Sequence[str], token: str | None, timeout: float) -> None:
        if not base_urls:
            raise ValueError("RasaClient needs at least one Rasa URL")
        self._token = token
        self._urls = [u.rstrip("/") for u in base_urls]
        self._turn = itertools.count()
        # One pooled client: keep-alive connections save a TCP handshake per message.
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=3.0),
            limits=httpx.Limits(max_connections=50 * len(self._urls), max_keepalive_connections=20),
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        start = next(self._turn)
        for attempt in range(len(self._urls)):
            url = self._urls[(start + attempt) % len(self._urls)]
            try:
                response = await self._http.request(method, url + path, **kwargs)
            except httpx.ConnectError:
                if attempt == len(self._urls) - 1:
                    raise
                continue
            response.raise_for_status()
            return response
        raise AssertionError("unreachable")

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """Send one user message; return Rasa's replies (possibly empty)."""
        try:
            response = await self._request(
                "POST",
                "/webhooks/rest/webhook",
                json={"sender": sender, "message": text, "metadata": metadata},
            )
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
            await self._request(
                "POST",
                f"/conversations/{quote(conversation_id, safe='')}/tracker/events",
                params=params,
                json=events,
            )
        except httpx.HTTPError as exc:
            raise RasaUnavailable(_describe(exc)) from exc

    async def status(self) -> dict[str, Any]:
        """Rasa's /status (needs the API token) from the next instance that answers:
        raises RasaUnavailable when none does."""
        params = {"token": self._token} if self._token else None
        try:
            response = await self._request("GET", "/status", params=params, timeout=3.0)
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaUnavailable(_describe(exc)) from exc
        return data if isinstance(data, dict) else {}
