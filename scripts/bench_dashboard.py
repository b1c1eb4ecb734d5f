"""Dashboard benchmark: how long the leaders' figures take at a city's volume.

    .venv/bin/python scripts/bench_dashboard.py [--messages 1000000] [--postgres]

Fills a fresh database (a temporary SQLite file, or a new PostgreSQL database with
--postgres) with MESSAGES answered messages over 90 days across 30 wards and 3 channels,
with 20,000 unanswered questions, 20,000 feedback presses and 5,000 tickets, then times
the dashboard's figures for 30 days of all wards and of one ward, cold (first request:
the unanswered questions are embedded) and warm, and the HTTP page through the gateway.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KINDS = ["answered"] * 55 + ["unsure"] * 8 + ["not_covered"] * 4 + ["off_topic"] * 5
KINDS += ["improper"] + ["status"] * 8 + ["handoff"] * 3 + ["team"] * 4 + ["other"] * 12
TOPICS = ["vneid", "cu-tru", "can-cuoc", "ly-lich-tu-phap", "ho-tich", "bhxh", "giao-thong"]
QUESTIONS = [
    "em bị mất sim thì vneid làm sao",
    "vneid có chạy trên đồng hồ thông minh không",
    "cài vneid trên iphone 6 được không",
    "đăng ký nuôi ong mật ở phường cần gì",
    "ung dung vneid bi vang ra khi mo",
    "xin giấy phép karaoke ở đâu",
    "đổi tên con trên giấy khai sinh mất bao lâu",
    "làm lại bằng tốt nghiệp cấp 3 bị mất",
]


def _database(postgres: bool) -> str:
    if not postgres:
        folder = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
        os.environ["VAR_DIR"] = str(folder)
        return f"sqlite:///{folder / 'assistant.db'}"
    import psycopg

    name = f"bench_dashboard_{uuid.uuid4().hex[:8]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    os.environ["DATABASE_URL"] = url
    return url


def fill(messages: int) -> None:
    from sqlalchemy import insert

    from bot.conversation.outcomes import MessageOutcome
    from bot.db import session_scope
    from bot.db.base import utcnow
    from bot.handoff.models import Ticket
    from bot.knowledge.models import Feedback, UnansweredQuestion
    from bot.text import fold
    from bot.text.dates import VIETNAM

    rng = random.Random(7)
    now = utcnow()
    wards = [f"phuong-{i:02d}" for i in range(30)]
    started = time.perf_counter()
    chunk = 50_000
    for offset in range(0, messages, chunk):
        rows = []
        for _ in range(min(chunk, messages - offset)):
            at = now - timedelta(seconds=rng.randrange(90 * 86400))
            kind = rng.choice(KINDS)
            rows.append(
                {
                    "at": at,
                    "day": at.astimezone(VIETNAM).date(),
                    "channel": rng.choice(("web", "telegram", "zalo", "zalo")),
                    "ward": rng.choice(wards),
                    "resident": f"{rng.randrange(200_000):016x}",
                    "kind": kind,
                    "article_id": "vneid-forgot-password" if kind == "answered" else None,
                    "topic": rng.choice(TOPICS) if kind == "answered" else None,
                    "confidence": rng.random(),
                }
            )
        with session_scope() as session:
            session.execute(insert(MessageOutcome), rows)
    with session_scope() as session:
        session.execute(
            insert(UnansweredQuestion),
            [
                {
                    "at": now - timedelta(seconds=rng.randrange(90 * 86400)),
                    "channel": "zalo",
                    "question": (q := f"{rng.choice(QUESTIONS)} {rng.randrange(400)}"),
                    "folded": fold(q),
                    "confidence": 0.1,
                    "candidates": "vneid-change-phone",
                    "outcome": "unsure",
                    "resident": f"{rng.randrange(50_000):016x}",
                }
                for _ in range(20_000)
            ],
        )
        session.execute(
            insert(Feedback),
            [
                {
                    "at": now - timedelta(seconds=rng.randrange(90 * 86400)),
                    "channel": "web",
                    "article_id": rng.choice(["vneid-forgot-password", "error-nfc", "tam-tru"]),
                    "helpful": rng.random() < 0.8,
                    "question": "",
                    "resident": "",
                }
                for _ in range(20_000)
            ],
        )
        session.execute(
            insert(Ticket),
            [
                {
                    "ward": rng.choice(wards),
                    "channel": "zalo",
                    "user_id": f"u{i}",
                    "status": "closed",
                    "reason": "asked",
                    "question": "cần gặp người",
                    "created_at": (created := now - timedelta(seconds=rng.randrange(90 * 86400))),
                    "first_claimed_at": created + timedelta(minutes=rng.randrange(1, 60)),
                    "closed_at": created + timedelta(minutes=rng.randrange(60, 600)),
                    "closed_by": None,
                }
                for i in range(5_000)
            ],
        )
    print(f"filled {messages:,} messages in {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ["ASSISTANT_ENV_FILE"] = ""
    url = _database(args.postgres)
    os.environ["DATABASE_URL"] = url

    from bot.console.dashboard import Period, figures
    from bot.db import session_scope
    from bot.db.migrate import upgrade
    from bot.knowledge.service import embedder_from
    from bot.knowledge.workbench import Workbench
    from bot.settings import Settings
    from bot.text.dates import vietnam_today

    upgrade()
    fill(args.messages)
    settings = Settings(kb_index_dir=ROOT / "var" / "knowledge")
    workbench = Workbench(settings, lambda: embedder_from(settings))
    workbench.live()  # the model loaded, as in a gateway that served an editor before
    today = vietnam_today()
    for label, ward in (("all wards", None), ("one ward", "phuong-07")):
        period = Period(today - timedelta(days=29), today, ward)
        times = []
        for _ in range(4):
            started = time.perf_counter()
            with session_scope() as session:
                result = figures(session, period, workbench.groups)
            times.append(time.perf_counter() - started)
        print(
            f"{label:9}: 30 days, {result.headline['Tin nhắn']} messages: first "
            f"{times[0] * 1000:.0f} ms, then median {statistics.median(times[1:]) * 1000:.0f} ms"
        )
    print(f"database: {url.split('://')[0]}")
    _drop(url)


def _drop(url: str) -> None:
    """The benchmark's database goes away with it."""
    from bot.db.session import get_engine

    get_engine().dispose()
    if url.startswith("sqlite:///"):
        shutil.rmtree(Path(url.removeprefix("sqlite:///")).parent, ignore_errors=True)
        return
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
