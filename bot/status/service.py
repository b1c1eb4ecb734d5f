"""Look-ups as residents make them: validate, rate-limit, ask the provider, audit."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Literal

from sqlalchemy import func, select

from bot.audit import record
from bot.db import session_scope
from bot.db.base import utcnow
from bot.settings import Settings, get_settings, secret
from bot.status.codes import ApplicationCode, find_code
from bot.status.models import StatusLookup
from bot.status.providers import (
    ApplicationStatus,
    HttpProvider,
    ProviderUnavailable,
    SqlRegistry,
    StatusProvider,
)

logger = logging.getLogger(__name__)
Kind = Literal["found", "not_found", "invalid", "rate_limited", "unavailable"]


@dataclass(frozen=True)
class LookupOutcome:
    kind: Kind
    code: ApplicationCode | None = None
    application: ApplicationStatus | None = None


class StatusService:
    def __init__(
        self,
        provider: StatusProvider,
        lookups_per_hour: int = 10,
        lookups_per_address_per_hour: int = 60,
    ) -> None:
        self.provider = provider
        self.lookups_per_hour = lookups_per_hour
        self.lookups_per_address_per_hour = lookups_per_address_per_hour

    def _allow(self, keys: dict[str, int]) -> bool:
        """Count this look-up against every allowance (anti-enumeration): the resident's,
        and the web client's address (a browser chooses its own sender id)."""
        since = utcnow() - timedelta(hours=1)
        with session_scope() as session:
            for key, limit in keys.items():
                used = session.scalar(
                    select(func.count())
                    .select_from(StatusLookup)
                    .where(StatusLookup.sender == key, StatusLookup.at >= since)
                )
                if (used or 0) >= limit:
                    return False
            session.add_all(StatusLookup(sender=key) for key in keys)
        return True

    def lookup(self, sender: str, text: str, address: str | None = None) -> LookupOutcome:
        code = find_code(text)
        if code is None:
            return LookupOutcome("invalid")
        keys = {sender: self.lookups_per_hour}
        if address:
            keys[f"ip:{address}"] = self.lookups_per_address_per_hour
        if not self._allow(keys):
            self._audit(sender, "status.rate_limited", code)
            return LookupOutcome("rate_limited", code)
        try:
            application = self.provider.lookup(code)
        except ProviderUnavailable as exc:
            logger.warning("status provider unavailable: %s", exc)
            self._audit(sender, "status.unavailable", code)
            return LookupOutcome("unavailable", code)
        self._audit(sender, "status.lookup", code, "found" if application else "not found")
        return LookupOutcome("found" if application else "not_found", code, application)

    def _audit(self, sender: str, action: str, code: ApplicationCode, detail: str = "") -> None:
        with session_scope() as session:
            record(session, sender, action, code.masked, detail)


def provider_from(settings: Settings) -> StatusProvider:
    if settings.status_provider == "http":
        if not settings.status_http_url:
            raise ValueError("STATUS_PROVIDER=http needs STATUS_HTTP_URL")
        token = secret(settings.status_http_token) or None
        return HttpProvider(settings.status_http_url, token, settings.status_http_timeout_seconds)
    if settings.status_provider == "sql":
        return SqlRegistry()
    raise ValueError(f"unknown STATUS_PROVIDER {settings.status_provider!r}: use 'sql' or 'http'")


@lru_cache
def get_status_service() -> StatusService:
    settings = get_settings()
    return StatusService(
        provider_from(settings),
        settings.status_lookups_per_hour,
        settings.status_lookups_per_address_per_hour,
    )
