"""Latency benchmark: N concurrent conversations through the gateway and through Rasa REST.

    .venv/bin/python scripts/bench_latency.py [--conversations 8] [--messages 25] [--text TEXT]

Starts the real stack on free ports (unless --gateway-url/--rasa-url point at a running
one), warms it up, then for each target prints p50/p95 latency and messages per second.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.settings import Settings
from bot.supervisor import Stack
from tests.fakes.servers import free_port


async def drive(url: str, body_for, conversations: int, messages: int) -> tuple[list[float], float]:
    latencies: list[float] = []
    async with httpx.AsyncClient(timeout=30) as client:

        async def conversation() -> None:
            sender = uuid.uuid4().hex
            for _ in range(messages):
                start = time.perf_counter()
                response = await client.post(url, json=body_for(sender))
                latencies.append(time.perf_counter() - start)
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(conversation() for _ in range(conversations)))
        elapsed = time.perf_counter() - started
    return latencies, elapsed


def report(name: str, latencies: list[float], elapsed: float) -> None:
    ms = sorted(x * 1000 for x in latencies)
    p95 = ms[max(0, int(len(ms) * 0.95) - 1)]
    print(
        f"{name:34} n={len(ms):5}  p50={statistics.median(ms):7.1f} ms  "
        f"p95={p95:7.1f} ms  {len(ms) / elapsed:7.1f} msg/s"
    )


async def bench(gateway_url: str, rasa_url: str, args: argparse.Namespace) -> None:
    text = args.text
    targets = [
        (
            "gateway  POST /api/messages",
            f"{gateway_url}/api/messages",
            lambda s: {"sender": s, "text": text},
        ),
        (
            "rasa     POST /webhooks/rest/webhook",
            f"{rasa_url}/webhooks/rest/webhook",
            lambda s: {"sender": f"bench:{s}", "message": text},
        ),
    ]
    for name, url, body in targets:
        await drive(url, body, 2, 5)  # warm-up
        latencies, elapsed = await drive(url, body, args.conversations, args.messages)
        report(name, latencies, elapsed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=8)
    parser.add_argument("--messages", type=int, default=25)
    parser.add_argument("--text", default="xin chào")
    parser.add_argument("--gateway-url")
    parser.add_argument("--rasa-url")
    args = parser.parse_args()
    print(
        f"{args.conversations} concurrent conversations x {args.messages} messages, "
        f"text {args.text!r}"
    )
    if args.gateway_url and args.rasa_url:
        asyncio.run(bench(args.gateway_url, args.rasa_url, args))
        return 0
    settings = Settings(
        var_dir=Path(tempfile.mkdtemp(prefix="bench-")),
        rasa_port=free_port(),
        action_server_port=free_port(),
        gateway_port=free_port(),
    )
    import os

    from bot.db.migrate import upgrade

    os.environ["VAR_DIR"] = str(settings.var_dir)
    # A benchmark sends faster than any resident may (20 a minute per sender, 120 per
    # address): the limits would answer 429 instead of measuring the path.
    os.environ["WEB_MESSAGES_PER_SENDER_PER_MINUTE"] = "100000"
    os.environ["WEB_MESSAGES_PER_ADDRESS_PER_MINUTE"] = "100000"
    upgrade()
    stack = Stack(settings)
    print("starting the stack…", flush=True)
    stack.start()
    try:
        asyncio.run(bench(settings.gateway_url, settings.rasa_url, args))
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
