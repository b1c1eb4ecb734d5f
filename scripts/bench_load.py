"""Open-loop load benchmark: messages arrive at a fixed rate whether or not earlier ones
have been answered (as residents do at 7:30 in the morning), through the web chat API.

    .venv/bin/python scripts/bench_load.py [--rates 10,20,30,40] [--seconds 30]
                                           [--gateway-url URL --ward WARD]

The mix (from the answer-evaluation items in knowledge/eval/answers):
  60 % knowledge questions (accented, unaccented, teencode), 5 % long messages,
  15 % greetings, thanks and buttons, 10 % status look-ups with a code,
  10 % requests for a person and off-topic messages.
Half the questions (``--fresh``) get a resident's opener and ending ("ad ơi … với ạ"), so
they are new texts, as most residents' questions are: the query-embedding cache would
otherwise answer a repeated set of questions for free.
Each resident sends up to CONVERSATION_LENGTH messages, one at a time (a resident waits
for the reply before writing again); a new resident arrives when none is free.

Per rate it prints p50/p95/p99 latency, the achieved rate and the errors (HTTP errors,
timeouts, and the "try again later" apology, which means Rasa did not answer in time),
then the first rate at which p95 passes 300 ms or any error appears, and the CPU time each
of this machine's assistant processes spent per message at that rate (read from /proc:
where the cost is, and how many messages a second the cores can carry). Without
--gateway-url it starts a private stack (its own database, the demo applications).
This is a benchmark: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.evaluation.answers import Item, load_items
from bot.settings import ROOT, get_settings
from bot.texts import APOLOGY

P95_LIMIT_MS = 300.0
# The stack's processes, found by their command lines (``assistant run``, the units).
PROCESSES = {
    "gateway": "bot.gateway.app",
    "rasa": "bot.rasa_entry",
    "actions": "rasa_sdk",
}
CONVERSATION_LENGTH = 5
BUTTONS = ["/feedback_positive", "/feedback_negative", "quên mật khẩu VNeID", "/check_status"]
GREETINGS = ["xin chào", "chào bạn", "cảm ơn nhé", "ok cảm ơn", "alo", "hi ad"]
OPENERS = [
    "cho em hỏi",
    "ad ơi",
    "mn ơi cho hỏi",
    "bác hỏi chút",
    "xin hỏi",
    "chị ơi",
    "anh ơi cho hỏi",
    "mình muốn hỏi",
    "cháu ơi",
    "dạ cho hỏi",
    "chào bạn",
    "em chào ad",
]
ENDINGS = ["", " ạ", " với ạ", " nhé", " ạ?", " vậy", " thế ạ", " được không"]


@dataclass
class Mix:
    """Texts per kind of message, and each kind's share of the arrivals."""

    texts: dict[str, list[str]]
    fresh: float = 0.5  # share of questions made new texts
    shares: dict[str, float] = field(
        default_factory=lambda: {
            "knowledge": 0.60,
            "long": 0.05,
            "chat": 0.15,
            "status": 0.10,
            "human_or_off_topic": 0.10,
        }
    )

    @classmethod
    def from_items(cls, items: list[Item], fresh: float = 0.5) -> Mix:
        def of(*categories: str, long: bool | None = None) -> list[str]:
            return [
                i.q for i in items if i.category in categories and (long is None or i.long == long)
            ]

        chat = of("chat") + GREETINGS + BUTTONS
        return cls(
            {
                "knowledge": of("knowledge", long=False),
                "long": of("knowledge", long=True),
                "chat": chat,
                "status": of("status_code"),
                "human_or_off_topic": of("human", "out_of_scope"),
            },
            fresh,
        )

    def pick(self, rng: random.Random) -> tuple[str, str]:
        kind = rng.choices(list(self.shares), weights=list(self.shares.values()))[0]
        text = rng.choice(self.texts[kind])
        if kind in ("knowledge", "long") and rng.random() < self.fresh:
            text = f"{rng.choice(OPENERS)} {text.rstrip('?')}{rng.choice(ENDINGS)}"
        return kind, text


@dataclass
class Outcome:
    kind: str
    seconds: float
    error: str | None  # None when the resident got a real answer


class Residents:
    """Senders not waiting for a reply; each writes up to CONVERSATION_LENGTH messages."""

    def __init__(self) -> None:
        self.free: list[tuple[str, int]] = []

    def take(self) -> tuple[str, int]:
        return self.free.pop() if self.free else (f"load-{uuid.uuid4().hex[:16]}", 0)

    def give_back(self, sender: str, sent: int) -> None:
        if sent < CONVERSATION_LENGTH:
            self.free.append((sender, sent))


async def send(
    client: httpx.AsyncClient, body: dict[str, Any], kind: str, timeout: float
) -> Outcome:
    started = time.perf_counter()
    try:
        response = await client.post("/api/messages", json=body, timeout=timeout)
    except httpx.TimeoutException:
        return Outcome(kind, time.perf_counter() - started, "timeout")
    except httpx.HTTPError as exc:
        return Outcome(kind, time.perf_counter() - started, type(exc).__name__)
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        return Outcome(kind, seconds, f"HTTP {response.status_code}")
    texts = [m.get("text") or "" for m in response.json().get("messages", [])]
    if any(APOLOGY in t for t in texts):
        return Outcome(kind, seconds, "apology")
    return Outcome(kind, seconds, None)


async def run_rate(
    url: str, mix: Mix, rate: float, seconds: float, ward: str | None, rng: random.Random
) -> tuple[list[Outcome], float]:
    residents = Residents()
    outcomes: list[Outcome] = []
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=url, limits=limits) as client:

        async def one(kind: str, text: str) -> None:
            sender, sent = residents.take()
            body: dict[str, Any] = {"sender": sender, "text": text}
            if ward:
                body["ward"] = ward
            outcomes.append(await send(client, body, kind, timeout=30.0))
            residents.give_back(sender, sent + 1)

        total = int(rate * seconds)
        started = time.perf_counter()
        tasks = []
        for n in range(total):
            # Fixed arrival times: a slow answer never delays the next arrival.
            delay = started + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(*mix.pick(rng))))
        sending = time.perf_counter() - started
        await asyncio.gather(*tasks)
    return outcomes, total / max(sending, 1e-9)


def cpu_seconds() -> dict[str, float]:
    """CPU time (user + system) so far of each kind of assistant process on this machine,
    summed over its replicas; empty where /proc is not available."""
    totals: dict[str, float] = {}
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        for name, marker in PROCESSES.items():
            if f"-m {marker} " in f"{command} ":
                # utime and stime are the 14th and 15th fields of /proc/<pid>/stat.
                totals[name] = totals.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return totals


def cpu_report(before: dict[str, float], after: dict[str, float], messages: int) -> None:
    used = {k: (after[k] - before.get(k, 0.0)) * 1000 / max(messages, 1) for k in after}
    if not used:
        return
    total = sum(used.values())
    cores = os.cpu_count() or 1
    parts = ", ".join(f"{k} {v:.1f}" for k, v in used.items())
    print(
        f"        CPU per message (ms): {parts}; total {total:.1f} "
        f"({cores} cores carry at most ~{cores * 1000 / total:.0f} msg/s)",
        flush=True,
    )


def percentile(sorted_ms: list[float], p: float) -> float:
    if not sorted_ms:
        return float("nan")
    return sorted_ms[min(len(sorted_ms) - 1, max(0, round(p / 100 * len(sorted_ms)) - 1))]


def report(rate: float, outcomes: list[Outcome], achieved: float) -> tuple[float, int]:
    ms = sorted(o.seconds * 1000 for o in outcomes)
    errors = Counter(o.error for o in outcomes if o.error)
    p95 = percentile(ms, 95)
    kinds = Counter(o.kind for o in outcomes)
    print(
        f"{rate:6.1f} msg/s (sent at {achieved:5.1f})  n={len(ms):5}  "
        f"p50={percentile(ms, 50):7.1f}  p95={p95:7.1f}  p99={percentile(ms, 99):7.1f} ms  "
        f"errors={sum(errors.values())} {dict(errors) if errors else ''}",
        flush=True,
    )
    knowledge = sorted(o.seconds * 1000 for o in outcomes if o.kind == "knowledge")
    print(
        f"        knowledge p50={percentile(knowledge, 50):7.1f}  "
        f"p95={percentile(knowledge, 95):7.1f} ms   mix {dict(kinds)}",
        flush=True,
    )
    return p95, sum(errors.values())


async def bench(url: str, args: argparse.Namespace, ward: str | None) -> None:
    mix = Mix.from_items(load_items(ROOT / "knowledge" / "eval" / "answers"), args.fresh)
    rng = random.Random(args.seed)
    # Warm-up: every text once would take minutes; a few seconds at a low rate loads
    # the models and the caches of the processes (not of every question).
    await run_rate(url, mix, 4.0, 5.0, ward, rng)
    passed: float | None = None
    for rate in args.rates:
        before = cpu_seconds()
        outcomes, achieved = await run_rate(url, mix, rate, args.seconds, ward, rng)
        p95, errors = report(rate, outcomes, achieved)
        cpu_report(before, cpu_seconds(), len(outcomes))
        if passed is None and (p95 > P95_LIMIT_MS or errors):
            passed = rate
        await asyncio.sleep(args.pause)  # let the stack drain before the next rate
    if passed is None:
        print(f"p95 stayed under {P95_LIMIT_MS:.0f} ms with no errors up to {args.rates[-1]} msg/s")
    else:
        print(f"p95 passes {P95_LIMIT_MS:.0f} ms (or errors appear) at {passed} msg/s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rates", type=lambda s: [float(x) for x in s.split(",")], default=[10, 20, 30, 40]
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="per rate")
    parser.add_argument("--pause", type=float, default=5.0, help="between rates")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fresh", type=float, default=0.5, help="share of new question texts")
    parser.add_argument("--gateway-url", help="a running gateway instead of a private stack")
    parser.add_argument("--ward", help="with --gateway-url: the ward whose team takes hand-overs")
    args = parser.parse_args()
    print(
        f"open loop, {args.seconds:.0f} s per rate, rates {args.rates}, "
        f"{args.fresh:.0%} of questions new texts",
        flush=True,
    )
    if args.gateway_url:
        asyncio.run(bench(args.gateway_url, args, args.ward))
        return 0
    from bot.evaluation.stack import EVAL_WARD, private_stack

    print("starting a private stack…", flush=True)
    with private_stack(get_settings()) as url:
        asyncio.run(bench(url, args, EVAL_WARD))
    return 0


if __name__ == "__main__":
    sys.exit(main())
