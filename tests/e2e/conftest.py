"""The real stack (Rasa + action server + gateway) on free ports, for end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from bot.settings import ROOT
from bot.supervisor import Stack, start_on_free_ports


@pytest.fixture(scope="module")
def stack(var_dir: Path, migrated_db: None) -> Iterator[Stack]:
    if not (ROOT / "models" / "assistant.tar.gz").exists():
        pytest.fail("no trained Rasa model: run `make setup` (make test does it first)")
    running = start_on_free_ports(var_dir)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def gateway(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.settings.gateway_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def responses() -> dict[str, Any]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text("utf-8"))
    return {name: variants[0] for name, variants in domain["responses"].items()}
