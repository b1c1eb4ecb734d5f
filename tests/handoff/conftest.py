"""A fresh team per test (the test database is shared by the whole session)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bot.db import session_scope
from bot.handoff import service

_ids = itertools.count(1)


@dataclass(frozen=True)
class TeamFixture:
    ward: str
    team_id: int
    lan: int  # member ids
    minh: int
    admin: int


@pytest.fixture
def team(migrated_db: None) -> Iterator[TeamFixture]:
    n = next(_ids)
    ward = f"phuong-{n}"
    with session_scope() as session:
        t = service.add_team(session, ward, f"Tổ CNSCĐ số {n}", "T2-CN 00:00-23:59", "-100")
        lan = service.add_member(session, ward, "chị Lan", username=f"lan{n}", telegram=f"@lan{n}")
        minh = service.add_member(session, ward, "anh Minh", username=f"minh{n}")
        admin = service.add_member(session, ward, "Quản trị", username=f"admin{n}", role="admin")
        ids = TeamFixture(ward, t.id, lan.id, minh.id, admin.id)
    yield ids
