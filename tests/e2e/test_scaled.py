"""The production topology on this machine: two gateways, two Rasa instances and two
action servers on PostgreSQL (project database and Rasa's tracker store) with Redis as
Rasa's lock store — what `make run-scaled` starts.

20 residents chat at once, each message to the other gateway than the one before (as
behind a reverse proxy): every message is answered once and in order (read back from
Rasa's shared tracker), no outbox message is sent twice, and a handoff opened on one
gateway is answered by a member signed in on the other.

Skipped where PostgreSQL or Redis does not answer on 127.0.0.1 (both run on CI)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bot.console.security import hash_password
from bot.conversation.inbox import InboxMessage
from bot.conversation.outbox import OutboxMessage
from bot.db.session import make_engine
from bot.handoff import service
from bot.handoff.models import Ticket
from bot.settings import ROOT
from bot.supervisor import Stack, start_on_free_ports
from bot.texts import APOLOGY
from tests.console.conftest import PASSWORD, Console

pytestmark = pytest.mark.stack
ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
RESIDENTS = 20
MESSAGES = ["xin chào", "quen mat khau vneid thi lam sao", "lệ phí làm lại thẻ căn cước", "cảm ơn"]


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


@dataclass
class Scaled:
    stack: Stack
    gateways: list[str]
    rasa: list[str]
    database_url: str
    ward: str
    login: str

    def session(self) -> Session:
        return Session(make_engine(self.database_url))


@pytest.fixture(scope="module")
def scaled() -> Iterator[Scaled]:
    if not (_answers("127.0.0.1", 5432) and _answers("127.0.0.1", 6379)):
        pytest.skip("PostgreSQL and Redis on 127.0.0.1 are needed for the scaled topology")
    if not (ROOT / "models" / "assistant.tar.gz").exists():
        pytest.fail("no trained Rasa model: run `make setup` (make test does it first)")
    n = uuid.uuid4().hex[:10]
    base = ADMIN.rsplit("/", 1)[0]
    env = {
        "DATABASE_URL": f"{base}/assistant_scaled_{n}",
        "RASA_TRACKER_URL": f"{base.replace('+psycopg', '')}/assistant_scaled_rasa_{n}",
        "RASA_LOCK_STORE_URL": "redis://127.0.0.1:6379/1",
    }
    var = Path(tempfile.mkdtemp(prefix="scaled-"))
    child_env = {**os.environ, **env, "VAR_DIR": str(var)}
    assistant = [sys.executable, "-m", "bot.cli"]
    # What an operator types: create the databases, migrate.
    for action in ("create", "upgrade"):
        subprocess.run([*assistant, "db", action], env=child_env, check=True, cwd=ROOT)
    ward, login = f"scaled-{n}", f"thu-{n}"
    with Session(make_engine(env["DATABASE_URL"])) as session:
        service.add_team(session, ward, "Tổ thử nhiều máy", "T2-CN 00:00-23:59")
        service.add_member(
            session, ward, "chị Thu", username=login, password_hash=hash_password(PASSWORD)
        )
        session.commit()
    saved = dict(os.environ)
    os.environ.update(env)  # the stack's settings read them (start_on_free_ports)
    try:
        stack = start_on_free_ports(
            var,
            {"HANDOFF_DEFAULT_WARD": ward, "WEB_MESSAGES_PER_ADDRESS_PER_MINUTE": "100000"},
            rasa_timeout_seconds=30.0,
            replicas=2,
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)
    gateways = [s.ready_url.removesuffix("/healthz") for s in stack.services if "gateway" in s.name]
    rasa = [s.ready_url.split("/status")[0] for s in stack.services if s.name.startswith("rasa")]
    try:
        yield Scaled(stack, gateways, rasa, env["DATABASE_URL"], ward, login)
    finally:
        stack.stop()
        engine = make_engine(ADMIN)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for name in (f"assistant_scaled_{n}", f"assistant_scaled_rasa_{n}"):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def test_the_topology_is_two_of_each(scaled: Scaled) -> None:
    names = sorted(s.name for s in scaled.stack.services)
    assert names == ["actions-1", "actions-2", "gateway-1", "gateway-2", "rasa-1", "rasa-2"]


def test_twenty_residents_each_message_answered_once_and_in_order(scaled: Scaled) -> None:
    failures: list[str] = []
    senders = [f"scaled-{uuid.uuid4().hex[:12]}" for _ in range(RESIDENTS)]

    def resident(i: int, sender: str) -> None:
        clients = [httpx.Client(base_url=url, timeout=60) for url in scaled.gateways]
        try:
            for m, text_ in enumerate(MESSAGES):
                client = clients[(i + m) % 2]  # alternate gateways, as a proxy would
                response = client.post("/api/messages", json={"sender": sender, "text": text_})
                if response.status_code != 200:
                    failures.append(f"{sender} {text_!r}: HTTP {response.status_code}")
                    return
                texts = [x["text"] for x in response.json()["messages"]]
                if not texts or any(APOLOGY in t for t in texts):
                    failures.append(f"{sender} {text_!r}: {texts!r:.200}")
        finally:
            for c in clients:
                c.close()

    threads = [threading.Thread(target=resident, args=(i, s)) for i, s in enumerate(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures

    # Rasa's shared tracker: each resident's messages once each, in the order sent, each
    # followed by the assistant's reply before the next one.
    token = scaled.stack.token
    for n, sender in enumerate(senders):
        url = f"{scaled.rasa[n % 2]}/conversations/web:{sender}/tracker"
        events = httpx.get(url, params={"token": token}, timeout=30).json()["events"]
        said = [e["text"] for e in events if e["event"] == "user"]
        assert said == MESSAGES, (sender, said)
        kinds = [e["event"] for e in events if e["event"] in ("user", "bot")]
        for k, kind in enumerate(kinds):
            if kind == "user":
                assert "bot" in kinds[k + 1 : k + 2], (sender, kinds)

    with scaled.session() as session:
        done = session.scalar(
            select(func.count())
            .select_from(InboxMessage)
            .where(InboxMessage.user_id.in_(senders), InboxMessage.done_at.is_not(None))
        )
        assert done == RESIDENTS * len(MESSAGES)  # each taken in once (idempotent inbox)


def test_handoff_across_gateways_and_outbox_sends_once(scaled: Scaled) -> None:
    sender = f"scaled-{uuid.uuid4().hex[:12]}"
    one, two = (httpx.Client(base_url=url, timeout=60) for url in scaled.gateways)
    console = Console(scaled.gateways[1])
    try:
        reply = one.post("/api/messages", json={"sender": sender, "text": "cho tôi gặp cán bộ"})
        assert reply.json()["handoff"] is True
        with scaled.session() as session:
            ticket = session.scalar(select(Ticket).where(Ticket.user_id == sender))
            assert ticket is not None
            ticket_id = ticket.id

        assert console.login(scaled.login).status_code == 303
        assert console.act(ticket_id, "claim").status_code == 303
        assert console.act(ticket_id, "reply", "Chào bác, cháu là Thu ạ").status_code == 303

        # The resident's page polls both gateways (behind a proxy), acknowledging what
        # it showed: the member's reply is one message, shown once.
        received: list[str] = []
        last = 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any("cháu là Thu" in t for t in received):
            for client in (one, two):
                data: dict[str, Any] = client.get(
                    "/api/messages/pending", params={"sender": sender, "after": last}
                ).json()
                received += [m["text"] for m in data["messages"]]
                last = data["last"] or last
            time.sleep(0.3)
        time.sleep(1.0)  # one more round of polls: nothing comes again
        for client in (one, two):
            data = client.get("/api/messages/pending", params={"sender": sender, "after": last})
            received += [m["text"] for m in data.json()["messages"]]
        assert sum("cháu là Thu" in t for t in received) == 1, received
    finally:
        console.close()
        one.close()
        two.close()

    with scaled.session() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == sender)).all()
        texts = [r.text for r in rows]
        assert len(texts) == len(set(texts)), texts  # nothing queued twice
