"""A private running stack for the answer evaluation: its own database (with a ward team
and the demo applications, so hand-overs and status look-ups take their real paths), the
published knowledge index and the trained Rasa model, on free ports."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.settings import ROOT, Settings
from bot.supervisor import Stack, StartupError

EVAL_WARD = "danh-gia"
DEMO_APPLICATIONS = ROOT / "bot" / "status" / "samples" / "applications-demo.csv"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def seed() -> None:
    """The evaluation ward's team (open round the clock) and the demo applications."""
    from bot.db import session_scope
    from bot.db.migrate import upgrade
    from bot.handoff import service
    from bot.handoff.models import Team
    from bot.status.importer import import_file

    upgrade()
    with session_scope() as session:
        if session.query(Team).filter_by(ward=EVAL_WARD).first() is None:
            service.add_team(session, EVAL_WARD, "Tổ đánh giá", "T2-CN 00:00-23:59")
            service.add_member(session, EVAL_WARD, "Người đánh giá", username="danh-gia")
        import_file(session, DEMO_APPLICATIONS)


@contextmanager
def running_stack(var_dir: Path) -> Iterator[str]:
    """Start the three processes on free ports under ``var_dir``; yield the gateway URL.
    The caller's environment must already point VAR_DIR/DATABASE_URL where ``seed`` wrote.
    """
    for attempt in (1, 2):  # a free port can be taken before the child binds it
        settings = Settings(
            var_dir=var_dir,
            rasa_port=free_port(),
            action_server_port=free_port(),
            gateway_port=free_port(),
            rasa_timeout_seconds=15.0,
        )
        stack = Stack(settings)
        stack.env.update({"HANDOFF_DEFAULT_WARD": EVAL_WARD, "STATUS_LOOKUPS_PER_HOUR": "100000"})
        try:
            stack.start()
            break
        except StartupError:
            if attempt == 2:
                raise
    try:
        yield settings.gateway_url
    finally:
        stack.stop()
