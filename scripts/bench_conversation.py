"""Conversation length: does the 50th message of a conversation cost more than the first?

    .venv/bin/python scripts/bench_conversation.py [--messages 60] [--residents 3]
                                                   [--gateway-url URL]

Each resident asks ``--messages`` different knowledge questions (from the answer
evaluation's items, so no reply comes from a cache the first messages filled), one after
another in one conversation. Prints the median latency of messages 1-10 and of each later
block of ten, and the ratio of messages 41-50 to 1-10 (issue 12's target: at most 1.3).
Without --gateway-url it starts a private stack. A benchmark: it asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.evaluation.answers import load_items
from bot.settings import ROOT, get_settings

BLOCK = 10


def converse(url: str, questions: list[str], pace: float = 0.0) -> list[float]:
    sender = f"length-{uuid.uuid4().hex[:12]}"
    seconds: list[float] = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for text in questions:
            started = time.perf_counter()
            response = client.post("/api/messages", json={"sender": sender, "text": text})
            seconds.append(time.perf_counter() - started)
            response.raise_for_status()
            time.sleep(pace)
    return seconds


def bench(url: str, args: argparse.Namespace) -> None:
    items = load_items(ROOT / "knowledge" / "eval" / "answers")
    pool = [i.q for i in items if i.category == "knowledge"]
    rng = random.Random(args.seed)
    converse(url, rng.sample(pool, 5))  # warm-up: models loaded, connections open
    blocks: list[list[float]] = [[] for _ in range(args.messages // BLOCK)]
    for _ in range(args.residents):
        latencies = converse(url, rng.sample(pool, args.messages), args.pace)
        for b in range(len(blocks)):
            blocks[b] += latencies[b * BLOCK : (b + 1) * BLOCK]
    medians = [statistics.median(b) * 1000 for b in blocks]
    for b, ms in enumerate(medians):
        print(f"messages {b * BLOCK + 1:3}-{(b + 1) * BLOCK:3}: median {ms:6.1f} ms")
    if len(medians) >= 5:
        print(f"messages 41-50 / 1-10: {medians[4] / medians[0]:.2f}x (target <= 1.3)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=60)
    parser.add_argument("--residents", type=int, default=3, help="one after another")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--gateway-url",
        help="a running gateway instead of a private stack (messages are then paced to its "
        "per-sender limit, WEB_MESSAGES_PER_SENDER_PER_MINUTE: 20 a minute by default)",
    )
    parser.add_argument("--pace", type=float, default=3.1, help="seconds between messages")
    args = parser.parse_args()
    if args.gateway_url:
        bench(args.gateway_url, args)
        return 0
    from bot.evaluation.stack import private_stack

    args.pace = 0.0  # the private stack lifts the per-sender limit
    with private_stack(get_settings(), {"WEB_MESSAGES_PER_SENDER_PER_MINUTE": "100000"}) as url:
        bench(url, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
