"""Look-ups: explanations, rate limit, audit with the code masked, HTTP provider."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import pybreaker
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import select

from bot.audit import AuditEvent
from bot.db import session_scope
from bot.status.codes import find_code
from bot.status.explain import status_message
from bot.status.providers import (
    ApplicationStatus,
    HttpProvider,
    ProviderUnavailable,
)
from bot.status.service import StatusService
from tests.fakes.servers import serve

APP = ApplicationStatus(
    "G22.123-241015-0012",
    "Đăng ký tạm trú",
    "Đang xử lý",
    date(2024, 10, 15),
    date(2024, 10, 20),
    "Công an phường",
    "",
)


class Fixed:
    def __init__(self, app: ApplicationStatus | None) -> None:
        self.app = app

    def lookup(self, code: Any) -> ApplicationStatus | None:
        return self.app


@pytest.mark.parametrize(
    ("status", "note", "fragment"),
    [
        ("Chờ bổ sung hồ sơ", "thiếu giấy xác nhận", "bổ sung giấy tờ (thiếu giấy xác nhận)"),
        ("Đã có kết quả", "", "mang giấy tiếp nhận"),
        ("Từ chối giải quyết", "", "không được giải quyết"),
        ("Đã trả kết quả", "", "đã trả kết quả"),
        ("Trạng thái lạ", "", "chưa có giải thích chính thức"),
        ("Không tiếp nhận", "", "không được giải quyết"),
        ("Chưa hoàn thành", "", "chưa có giải thích chính thức"),
        ("Đã bổ sung, đang xử lý", "", "đã được bổ sung"),
    ],
)
def test_explanations(status: str, note: str, fragment: str) -> None:
    app = ApplicationStatus(
        APP.code, APP.procedure, status, APP.received_at, APP.due_at, APP.office, note
    )
    assert fragment in status_message(app, today=date(2024, 10, 16))


def test_processing_and_overdue() -> None:
    assert "chưa cần làm gì" in status_message(APP, today=date(2024, 10, 16))
    assert "quá ngày hẹn trả" in status_message(APP, today=date(2024, 10, 30))


def test_rate_limit_and_masked_audit(migrated_db: None) -> None:
    service = StatusService(Fixed(APP), lookups_per_hour=3)
    sender = f"telegram:{time.time_ns()}"
    kinds = [service.lookup(sender, "mã G22.123-241015-0012").kind for _ in range(4)]
    assert kinds == ["found", "found", "found", "rate_limited"]
    assert service.lookup(sender, "hồ sơ của tôi").kind == "invalid"
    with session_scope() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action.like("status.%"))).all()
        assert events and all("0012" not in e.subject for e in events)


def test_not_found(migrated_db: None) -> None:
    outcome = StatusService(Fixed(None)).lookup(f"web:{time.time_ns()}", "G22.123-241015-0099")
    assert outcome.kind == "not_found"


class FakeProvince:
    def __init__(self) -> None:
        self.mode = "ok"
        self.calls = 0
        self.app = FastAPI()

        @self.app.get("/applications/{code}")
        async def get(code: str) -> Any:
            self.calls += 1
            if self.mode == "fail":
                return JSONResponse({"error": "down"}, status_code=503)
            if self.mode == "slow":
                import asyncio

                await asyncio.sleep(1.5)
            if code.endswith("0099"):
                return JSONResponse({"error": "not found"}, status_code=404)
            return {
                "code": code,
                "procedure": "Đăng ký tạm trú",
                "status": "Đang xử lý",
                "received_at": "2024-10-15",
                "due_at": "2024-10-20",
                "office": "CA phường",
            }


@pytest.fixture
def province() -> Iterator[tuple[FakeProvince, str]]:
    fake = FakeProvince()
    with serve(fake.app) as url:
        yield fake, url


def test_http_provider_found_and_not_found(province: tuple[FakeProvince, str]) -> None:
    _, url = province
    provider = HttpProvider(url)
    code, missing = find_code("G22.123-241015-0012"), find_code("G22.123-241015-0099")
    assert code and missing
    found = provider.lookup(code)
    assert found is not None and found.status == "Đang xử lý"
    assert provider.lookup(missing) is None


def test_http_provider_retries_then_opens_circuit_then_recovers(
    province: tuple[FakeProvince, str],
) -> None:
    fake, url = province
    breaker = pybreaker.CircuitBreaker(fail_max=2, reset_timeout=0.5)
    provider = HttpProvider(url, attempts=3, breaker=breaker)
    code = find_code("G22.123-241015-0012")
    assert code
    fake.mode = "fail"
    for _ in range(2):
        with pytest.raises(ProviderUnavailable):
            provider.lookup(code)
    assert fake.calls == 6  # 3 attempts each
    with pytest.raises(ProviderUnavailable, match="circuit open"):
        provider.lookup(code)
    assert fake.calls == 6  # the open circuit spares the failing service
    fake.mode = "ok"
    time.sleep(0.6)
    assert provider.lookup(code) is not None  # half-open trial succeeds, circuit closes


def test_http_provider_timeout(province: tuple[FakeProvince, str]) -> None:
    fake, url = province
    fake.mode = "slow"
    provider = HttpProvider(url, timeout=0.3, attempts=2)
    code = find_code("G22.123-241015-0012")
    assert code
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable):
        provider.lookup(code)
    assert time.monotonic() - started < 3


def test_unavailable_provider_outcome(
    province: tuple[FakeProvince, str], migrated_db: None
) -> None:
    fake, url = province
    fake.mode = "fail"
    service = StatusService(HttpProvider(url, attempts=1))
    assert service.lookup(f"zalo:{time.time_ns()}", "G22.123-241015-0012").kind == "unavailable"


def test_address_limit_stops_sender_hopping(migrated_db: None) -> None:
    service = StatusService(Fixed(APP), lookups_per_hour=10, lookups_per_address_per_hour=3)
    address = f"10.0.0.{time.time_ns() % 250}"
    kinds = [
        service.lookup(f"web:{i}-{time.time_ns()}", "G22.123-241015-0012", address).kind
        for i in range(4)
    ]
    assert kinds == ["found", "found", "found", "rate_limited"]
