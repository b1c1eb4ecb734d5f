"""Channel benchmark: what Telegram and Zalo add to a message, with the real stack running.

    .venv/bin/python scripts/bench_channels.py [--messages 50]

Starts Rasa, the action server and the gateway with Telegram (webhook mode) and Zalo
enabled against local fakes of their APIs, then sends the same greeting N times, one after
another, through: the web JSON API (baseline), the Telegram webhook, the Zalo webhook. For
a webhook, latency runs from the POST until the fake platform receives the answer. The
channel's cost is its p50 minus the web p50 (target: under 10 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.channels.zalo.webhook import signature  # noqa: E402
from tests.channels.fake_telegram import FakeTelegram  # noqa: E402
from tests.channels.fake_zalo import FakeZalo  # noqa: E402
from tests.fakes.servers import free_port, serve  # noqa: E402

SECRET, APP_ID, OA_SECRET = "bench_secret", "app-1", "oa-secret"


def timed(n: int, once: Callable[[int], None]) -> tuple[list[float], float]:
    for i in range(3):
        once(-1 - i)  # warm-up
    latencies = []
    started = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        once(i)
        latencies.append((time.perf_counter() - t0) * 1000)
    return sorted(latencies), time.perf_counter() - started


def wait(predicate: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("no answer within 30 s")
        time.sleep(0.001)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50)
    args = parser.parse_args()
    telegram, zalo = FakeTelegram(), FakeZalo()
    with serve(telegram.app) as telegram_url, serve(zalo.app) as zalo_url:
        os.environ.update(
            {
                "VAR_DIR": tempfile.mkdtemp(prefix="bench-channels-"),
                "KB_INDEX_DIR": str(ROOT / "var" / "knowledge"),
                "TELEGRAM_BOT_TOKEN": telegram.token,
                "TELEGRAM_API_BASE": telegram_url,
                "TELEGRAM_WEBHOOK_BASE_URL": "https://bench.example.vn",
                "TELEGRAM_WEBHOOK_SECRET": SECRET,
                "ZALO_APP_ID": APP_ID,
                "ZALO_OA_SECRET_KEY": OA_SECRET,
                "ZALO_APP_SECRET": "app-secret",
                "ZALO_ACCESS_TOKEN": "access-0",
                "ZALO_REFRESH_TOKEN": "refresh-0",
                "ZALO_API_BASE": zalo_url,
                "ZALO_OAUTH_BASE": zalo_url,
            }
        )
        from bot.db.migrate import upgrade
        from bot.settings import Settings
        from bot.supervisor import Stack

        upgrade()
        settings = Settings(
            rasa_port=free_port(), action_server_port=free_port(), gateway_port=free_port()
        )
        stack = Stack(settings)
        stack.start()
        try:
            http = httpx.Client(base_url=settings.gateway_url, timeout=30)

            def web(i: int) -> None:
                http.post("/api/messages", json={"sender": uuid.uuid4().hex, "text": "xin chào"})

            def via_telegram(i: int) -> None:
                chat = 10**9 + i + 1000
                update = telegram.message(chat, "xin chào")
                telegram.updates.remove(update)
                http.post(
                    "/webhooks/telegram",
                    json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                )
                wait(lambda: len(telegram.to(chat)) >= 1)

            def via_zalo(i: int) -> None:
                user, msg_id = uuid.uuid4().hex, uuid.uuid4().hex
                event = {
                    "event_name": "user_send_text",
                    "app_id": APP_ID,
                    "sender": {"id": user},
                    "recipient": {"id": "oa"},
                    "message": {"text": "xin chào", "msg_id": msg_id},
                    "timestamp": str(int(time.time() * 1000)),
                }
                body = json.dumps(event).encode()
                mac = signature(APP_ID, body, event["timestamp"], OA_SECRET)
                http.post("/webhooks/zalo", content=body, headers={"X-ZEvent-Signature": mac})
                # The answer names the message it replies to (recipient.message_id).
                wait(lambda: any(m["recipient"].get("message_id") == msg_id for m in zalo.sent))

            rows = []
            for name, once in (
                ("web /api/messages", web),
                ("telegram webhook", via_telegram),
                ("zalo webhook", via_zalo),
            ):
                latencies, elapsed = timed(args.messages, once)
                rows.append(
                    (
                        name,
                        statistics.median(latencies),
                        latencies[int(len(latencies) * 0.95) - 1],
                        args.messages / elapsed,
                    )
                )
            base = rows[0][1]
            print(f"{args.messages} greetings, one after another, real stack, fake platforms")
            for name, p50, p95, rate in rows:
                extra = "" if name.startswith("web") else f"  channel adds {p50 - base:+5.1f} ms"
                print(f"{name:20} p50={p50:6.1f} ms  p95={p95:6.1f} ms  {rate:5.1f} msg/s{extra}")
        finally:
            stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
