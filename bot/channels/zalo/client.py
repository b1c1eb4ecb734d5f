"""A small Zalo OA OpenAPI client on requests: send messages, refresh the token.

Base URLs are settings (tests use a local fake). Network errors and 5xx are retried with
backoff; 4xx and Zalo's own error codes are not, except an expired token, which is
refreshed once and the message sent again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from bot.channels.zalo.errors import (
    ZaloError,
    ZaloRefreshFailed,
    ZaloTokenExpired,
    ZaloUnavailable,
    error_for,
)
from bot.channels.zalo.tokens import TokenPair, TokenStore

logger = logging.getLogger(__name__)
MAX_TEXT = 2000
MAX_BUTTONS = 5
MAX_BUTTON_TITLE = 100


class _Retryable(Exception):
    pass


class ZaloClient:
    def __init__(
        self,
        app_id: str,
        secret_key: str,
        store: TokenStore,
        api_base: str = "https://openapi.zalo.me",
        oauth_base: str = "https://oauth.zaloapp.com",
        timeout: float = 10.0,
        attempts: int = 3,
        button_type: str = "oa.query.hide",
        reply_by_message_id: bool = True,
    ) -> None:
        self.app_id, self.secret_key, self.store = app_id, secret_key, store
        # A reply names the resident's message it answers (recipient.message_id): Zalo
        # counts it within the free replies to that message, not as a proactive message.
        self.reply_by_message_id = reply_by_message_id
        self.api_base, self.oauth_base = api_base.rstrip("/"), oauth_base.rstrip("/")
        self.timeout, self.button_type = timeout, button_type
        self.http = requests.Session()
        self._post = retry(
            retry=retry_if_exception_type(_Retryable),
            stop=stop_after_attempt(attempts),
            wait=wait_exponential(multiplier=0.2, max=3.0),
            reraise=True,
        )(self._post_once)

    def _post_once(self, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.http.post(url, timeout=self.timeout, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise _Retryable(str(exc)) from exc
        if response.status_code >= 500:
            raise _Retryable(f"HTTP {response.status_code}")
        try:
            body: dict[str, Any] = response.json()
        except ValueError as exc:
            raise ZaloError(-1, f"HTTP {response.status_code}, not JSON") from exc
        return body

    def _call(self, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            return self._post(url, **kwargs)
        except _Retryable as exc:
            raise ZaloUnavailable(-1, f"Zalo unreachable after retries: {exc}") from exc

    # -- tokens --------------------------------------------------------------------------
    def _exchange(self, refresh_token: str) -> TokenPair:
        body = self._call(
            f"{self.oauth_base}/v4/oa/access_token",
            headers={"secret_key": self.secret_key},
            data={
                "refresh_token": refresh_token,
                "app_id": self.app_id,
                "grant_type": "refresh_token",
            },
        )
        if "access_token" not in body or "refresh_token" not in body:
            raise ZaloRefreshFailed(
                int(body.get("error", -1) or -1),
                str(body.get("error_description") or body.get("message") or body),
            )
        return TokenPair(
            body["access_token"],
            body["refresh_token"],
            datetime.now(UTC) + timedelta(seconds=int(body.get("expires_in", 3600))),
        )

    def access_token(self) -> TokenPair:
        pair = self.store.load()
        if pair is None:
            raise ZaloRefreshFailed(-1, "no Zalo tokens stored: set ZALO_REFRESH_TOKEN")
        if not pair.fresh():
            logger.info("refreshing the Zalo OA access token before it expires")
            pair = self.store.refresh(pair, self._exchange)
        return pair

    # -- messages ------------------------------------------------------------------------
    def _send(
        self, message: dict[str, Any], user_id: str, reply_to: str | None = None
    ) -> dict[str, Any]:
        recipient = (
            {"message_id": reply_to}
            if reply_to and self.reply_by_message_id
            else {"user_id": user_id}
        )
        payload = {"recipient": recipient, "message": message}
        pair = self.access_token()
        for attempt in (1, 2):
            body = self._call(
                f"{self.api_base}/v3.0/oa/message/cs",
                headers={"access_token": pair.access_token},
                json=payload,
            )
            code = int(body.get("error", -1))
            if code == 0:
                return body
            error = error_for(code, str(body.get("message") or ""))
            if isinstance(error, ZaloTokenExpired) and attempt == 1:
                pair = self.store.refresh(pair, self._exchange)
                continue
            raise error
        raise AssertionError("unreachable")

    def send_text(self, user_id: str, text: str, reply_to: str | None = None) -> dict[str, Any]:
        """``reply_to``: the id of the resident's message this answers, if it does."""
        return self._send({"text": text[:MAX_TEXT]}, user_id, reply_to)

    def send_buttons(
        self,
        user_id: str,
        text: str,
        buttons: list[tuple[str, str]],
        reply_to: str | None = None,
    ) -> dict[str, Any]:
        """Text with quick-reply buttons (title, payload sent back as the user's text):
        OA API v3's button template (``oa.query.hide`` by default, ZALO_BUTTON_TYPE); the
        older list template is not supported on v3."""
        template = {
            "type": "template",
            "payload": {
                "buttons": [
                    {
                        "title": title[:MAX_BUTTON_TITLE],
                        "type": self.button_type,
                        "payload": payload,
                    }
                    for title, payload in buttons[:MAX_BUTTONS]
                ],
            },
        }
        return self._send({"text": text[:MAX_TEXT], "attachment": template}, user_id, reply_to)
