"""Where statuses come from: one interface, chosen by settings (STATUS_PROVIDER).

- ``sql`` (default): the ward office's own registry in the project database, loaded with
  ``status import`` from one-stop office exports.
- ``http``: a provincial system through the JSON contract in docs/status-provider.openapi.yaml,
  with timeouts, retries with backoff and a circuit breaker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

import httpx
import pybreaker
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
        breaker: pybreaker.CircuitBreaker | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=base_url, timeout=timeout, headers=headers)
        # Open after 5 failed look-ups in a row (each already retried); one trial call
        # after 30 s (half-open).
        self.breaker = breaker or pybreaker.CircuitBreaker(fail_max=5, reset_timeout=30)
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
        try:
            response = self.breaker.call(self._get, f"/applications/{code.code}")
        except pybreaker.CircuitBreakerError as exc:
            # Open, or opened by this very failure: the service is spared for a while.
            raise ProviderUnavailable(f"circuit open: {exc}") from exc
        except (httpx.HTTPError, ValueError) as exc:
            raise ProviderUnavailable(f"{type(exc).__name__}: {exc}") from exc
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
