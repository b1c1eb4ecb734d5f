"""Where statuses come from: one interface, chosen by settings (STATUS_PROVIDER).

- ``sql`` (default): the ward office's own registry in the project database, loaded with
  ``status import`` from one-stop office exports.
- ``http``: a provincial system through the JSON contract in docs/status-provider.openapi.yaml,
  with timeouts, retries with backoff and a circuit breaker.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import httpx
from sqlalchemy import select
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

from bot.db import session_scope
from bot.status.codes import ApplicationCode
from bot.status.models import Application


@dataclass(frozen=True)
class ApplicationStatus:
    code: str
    procedure: str
    status: str
    received_at: date
    due_at: date | None
    office: str
    note: str


class ProviderUnavailable(Exception):
    """The look-up service cannot answer now (down, slow, circuit open)."""


class StatusProvider(Protocol):
    def lookup(self, code: ApplicationCode) -> ApplicationStatus | None: ...


class SqlRegistry:
    def lookup(self, code: ApplicationCode) -> ApplicationStatus | None:
        with session_scope() as session:
            row = session.scalar(
                select(Application).where(Application.lookup_key == code.lookup_key)
            )
            if row is None:
                return None
            return ApplicationStatus(
                row.code,
                row.procedure,
                row.status,
                row.received_at,
                row.due_at,
                row.office,
                row.note,
            )


class CircuitBreaker:
    """Open after ``threshold`` consecutive failures; let one call try after ``cooldown``."""

    def __init__(self, threshold: int = 5, cooldown: float = 30.0) -> None:
        self.threshold, self.cooldown = threshold, cooldown
        self.failures = 0
        self.opened_at: float | None = None
        self._lock = threading.Lock()

    def allow(self) -> bool:
        with self._lock:
            if self.opened_at is None:
                return True
            return time.monotonic() - self.opened_at >= self.cooldown  # half-open

    def success(self) -> None:
        with self._lock:
            self.failures, self.opened_at = 0, None

    def failure(self) -> None:
        with self._lock:
            self.failures += 1
            if self.failures >= self.threshold:
                self.opened_at = time.monotonic()


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code >= 500
    return isinstance(exc, httpx.TransportError)


class HttpProvider:
    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        timeout: float = 3.0,
        attempts: int = 3,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=base_url, timeout=timeout, headers=headers)
        self.breaker = breaker or CircuitBreaker()
        self._get = retry(
            retry=retry_if_exception(_retryable),
            stop=stop_after_attempt(attempts),
            wait=wait_exponential(multiplier=0.2, max=2.0),
            reraise=True,
        )(self._get_once)

    def _get_once(self, path: str) -> httpx.Response:
        response = self._http.get(path)
        if response.status_code != 404:
            response.raise_for_status()
        return response

    def lookup(self, code: ApplicationCode) -> ApplicationStatus | None:
        if not self.breaker.allow():
            raise ProviderUnavailable("circuit open")
        try:
            response = self._get(f"/applications/{code.code}")
        except (httpx.HTTPError, ValueError) as exc:
            self.breaker.failure()
            raise ProviderUnavailable(f"{type(exc).__name__}: {exc}") from exc
        self.breaker.success()
        if response.status_code == 404:
            return None
        try:
            body = response.json()
            return ApplicationStatus(
                code=str(body["code"]),
                procedure=str(body["procedure"]),
                status=str(body["status"]),
                received_at=date.fromisoformat(body["received_at"]),
                due_at=date.fromisoformat(body["due_at"]) if body.get("due_at") else None,
                office=str(body.get("office") or ""),
                note=str(body.get("note") or ""),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ProviderUnavailable(f"unexpected answer from the status service: {exc}") from exc
