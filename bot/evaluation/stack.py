"""A private running stack for the answer evaluation: its own database (with a ward team
and the demo applications, so hand-overs and status look-ups take their real paths), the
published knowledge index and the trained Rasa model, on free ports."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.settings import ROOT, Settings
from bot.supervisor import start_on_free_ports

EVAL_WARD = "danh-gia"
DEMO_APPLICATIONS = ROOT / "bot" / "status" / "samples" / "applications-demo.csv"


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
def running_stack(var_dir: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """The three processes under ``var_dir``; yields the gateway URL. The caller's
    environment must already point VAR_DIR/DATABASE_URL where ``seed`` wrote."""
    stack = start_on_free_ports(
        var_dir,
        {
            "HANDOFF_DEFAULT_WARD": EVAL_WARD,
            # Every question comes from one address: the look-up limits would refuse them.
            "STATUS_LOOKUPS_PER_HOUR": "100000",
            "STATUS_LOOKUPS_PER_ADDRESS_PER_HOUR": "100000",
            "WEB_MESSAGES_PER_ADDRESS_PER_MINUTE": "100000",
            **(env or {}),
        },
        rasa_timeout_seconds=15.0,
    )
    try:
        yield stack.settings.gateway_url
    finally:
        stack.stop()


@contextmanager
def private_stack(settings: Settings, env: dict[str, str] | None = None) -> Iterator[str]:
    """A stack with its own fresh database (seeded), the published index and the trained
    Rasa model; yields the gateway URL. Points this process's settings at that database."""
    from bot.db.session import get_engine
    from bot.settings import get_settings

    var = Path(tempfile.mkdtemp(prefix="private-stack-"))
    os.environ.update(
        {
            "VAR_DIR": str(var),
            "DATABASE_URL": f"sqlite:///{var / 'assistant.db'}",
            "KB_INDEX_DIR": str(settings.kb_index_path),
            "KB_EMBEDDING_MODEL": settings.kb_embedding_model,
        }
    )
    get_settings.cache_clear()
    get_engine.cache_clear()
    seed()
    with running_stack(var, env) as url:
        yield url
