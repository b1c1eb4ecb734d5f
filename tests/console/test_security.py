"""Console hardening that needs no browser: the insecure-cookie warning."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from starlette.requests import Request

from bot.console import pages
from bot.settings import Settings


def test_https_without_secure_cookies_is_warned_once(caplog: pytest.LogCaptureFixture) -> None:
    app = SimpleNamespace(state=SimpleNamespace(settings=Settings(console_secure_cookies=False)))
    scope = {
        "type": "http",
        "scheme": "https",
        "path": "/console",
        "headers": [],
        "app": app,
        "server": ("gw", 443),
        "query_string": b"",
    }
    pages._warned.clear()
    with caplog.at_level("WARNING", logger="bot.console.pages"):
        pages._warn_insecure_cookies(Request(scope))
        pages._warn_insecure_cookies(Request(scope))
    warnings = [r for r in caplog.records if "CONSOLE_SECURE_COOKIES" in r.getMessage()]
    assert len(warnings) == 1
