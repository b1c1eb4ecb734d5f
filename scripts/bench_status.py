"""Status look-up benchmark: latency through the whole stack for a small and a large registry.

    .venv/bin/python scripts/bench_status.py [--sizes 1000 100000] [--lookups 200]

For each size: a fresh SQLite registry with that many invented applications, the real stack
on free ports, then look-ups one after another through the gateway ("tra hồ sơ <code>" ->
Rasa -> look-up action -> registry), each by a new resident (a conversation's first
message; the rate limit is lifted for the run). Prints p50/p95 per size; the target is
no growth with size and p95 under 100 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def fill(size: int) -> list[str]:
    from sqlalchemy import insert

    from bot.db.migrate import upgrade
    from bot.db.session import get_engine
    from bot.status.codes import lookup_key
    from bot.status.models import Application

    upgrade()
    start = date(2025, 1, 1)
    rows, codes = [], []
    for i in range(size):
        submitted = start + timedelta(days=i % 600)
        code = f"000.{i % 97:02d}.31.H26-{submitted:%y%m%d}-{i:06d}"
        codes.append(code)
        rows.append(
            {
                "code": code,
                "lookup_key": lookup_key(code),
                "procedure": "Đăng ký tạm trú",
                "status": random.choice(["Đang xử lý", "Đã có kết quả", "Chờ bổ sung hồ sơ"]),
                "received_at": submitted,
                "due_at": submitted + timedelta(days=7),
                "office": "Công an phường",
                "note": "",
            }
        )
    with get_engine().begin() as connection:
        for chunk in range(0, len(rows), 5000):
            connection.execute(insert(Application), rows[chunk : chunk + 5000])
    return codes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100000])
    parser.add_argument("--lookups", type=int, default=200)
    args = parser.parse_args()
    for size in args.sizes:
        # A child process per size: settings and engines are per process.
        if os.fork() == 0:
            os._exit(run(size, args.lookups))
        _, status = os.wait()
        if status:
            return 1
    return 0


def run(size: int, lookups: int) -> int:
    var = Path(tempfile.mkdtemp(prefix=f"bench-status-{size}-"))
    os.environ["VAR_DIR"] = str(var)
    os.environ["STATUS_LOOKUPS_PER_HOUR"] = "1000000"
    os.environ["KB_INDEX_DIR"] = str(Path(__file__).resolve().parent.parent / "var" / "knowledge")
    from bot.settings import Settings
    from bot.supervisor import Stack
    from tests.fakes.servers import free_port

    started = time.perf_counter()
    codes = fill(size)
    fill_s = time.perf_counter() - started
    settings = Settings(
        rasa_port=free_port(), action_server_port=free_port(), gateway_port=free_port()
    )
    stack = Stack(settings)
    stack.start()
    try:
        latencies = []
        with httpx.Client(base_url=settings.gateway_url, timeout=30) as client:
            sample = random.sample(codes, min(lookups + 10, len(codes)))

            for i, code in enumerate(sample):
                t0 = time.perf_counter()
                reply = client.post(
                    "/api/messages", json={"sender": uuid.uuid4().hex, "text": f"tra hồ sơ {code}"}
                )
                elapsed = (time.perf_counter() - t0) * 1000
                assert code in reply.json()["messages"][0]["text"], reply.text
                if i >= 10:  # warm-up
                    latencies.append(elapsed)
        latencies.sort()
        print(
            f"registry {size:7d} applications (filled in {fill_s:4.1f} s): "
            f"look-up through gateway+Rasa+actions p50={statistics.median(latencies):6.1f} ms "
            f"p95={latencies[int(len(latencies) * 0.95) - 1]:6.1f} ms (n={len(latencies)})",
            flush=True,
        )
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
