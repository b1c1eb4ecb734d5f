"""Answer-level evaluation: does the *reply* a resident gets say what was asked?

Items (``knowledge/eval/answers/*.yaml``) are questions with what a good reply must do:
contain the facts asked for (each group of alternatives, matched on folded text) within
a chat-size length, refuse an improper request, say plainly that a topic is not covered,
ask for an application code, look one up, hand over to a person, or just chat. Every
question goes through the running stack (gateway -> Rasa -> actions) in a fresh
conversation; ``judge`` decides each reply, ``Report`` sums up per category and style.
"""

from __future__ import annotations

import json
import re
import statistics
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.text import fold
from bot.texts import DECLINE_MARK

Category = Literal[
    "knowledge",
    "improper",
    "uncovered",
    "out_of_scope",
    "status_code",
    "status_own",
    "human",
    "chat",
]
Expect = Literal[
    "answer", "refuse", "decline", "out_of_scope", "status", "ask_code", "ticket", "chat"
]
EXPECTED: dict[str, str] = {
    "knowledge": "answer",
    "improper": "refuse",
    "uncovered": "decline",
    "out_of_scope": "out_of_scope",
    "status_code": "status",
    "status_own": "ask_code",
    "human": "ticket",
    "chat": "chat",
}
MAX_PROSE = 1000  # characters of an answer before its source line ("about 900" + slack)

# What each kind of reply says (folded), from the texts in domain.yml and bot/knowledge.
REFUSAL = "minh khong the"
DECLINE = fold(DECLINE_MARK)
OFF_TOPIC = "nam ngoai pham vi"
ASK_CODE = "ma ho so"
STATUS = ("trang thai", "khong tim thay ho so", "chua tim thay ho so")
SOURCE = re.compile(r"\n*Nguồn:.*", re.DOTALL)


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    q: str = Field(min_length=2)
    style: Literal["accented", "unaccented", "teencode"]
    long: bool = False
    category: Category
    expect: Expect
    topic: str | None = None
    facts: list[list[str]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Item:
        if EXPECTED[self.category] != self.expect:
            raise ValueError(f"category {self.category} expects {EXPECTED[self.category]}")
        if self.category == "knowledge" and (not self.facts or not all(self.facts)):
            raise ValueError("a knowledge item needs at least one group of facts")
        return self


def load_items(directory: Path) -> list[Item]:
    items: list[Item] = []
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text("utf-8")) or {}
        for i, raw in enumerate(data.get("items", []), 1):
            try:
                items.append(Item.model_validate(raw))
            except ValueError as exc:
                raise ValueError(f"{path.name}, mục {i}: {exc}") from exc
    return items


@dataclass
class Observed:
    """What the resident got back."""

    texts: list[str]
    buttons: list[dict[str, Any]]
    handoff: bool
    seconds: float
    status: int = 200

    @property
    def text(self) -> str:
        return "\n\n".join(self.texts)

    @property
    def article(self) -> str | None:
        """The article answered, from its "Xem chi tiết" button."""
        for button in self.buttons:
            payload = str(button.get("payload") or "")
            if payload.startswith("/show_article"):
                try:
                    return str(json.loads(payload[len("/show_article") :])["article_id"])
                except (ValueError, KeyError):
                    return None
        return None


@dataclass
class Verdict:
    ok: bool
    why: str = ""


def _has(folded: str, alternatives: Iterable[str]) -> bool:
    return any(fold(a) in folded for a in alternatives)


def judge(item: Item, got: Observed) -> Verdict:
    if got.status != 200:
        return Verdict(False, f"HTTP {got.status}")
    folded = fold(got.text)
    if got.handoff and item.expect != "ticket":
        return Verdict(False, "opened a ticket")
    answered = got.article is not None
    if item.expect == "answer":
        if not answered:
            return Verdict(False, "no answer (" + got.text[:60].replace("\n", " ") + "…)")
        missing = [group[0] for group in item.facts if not _has(folded, group)]
        if missing:
            return Verdict(False, f"missing {missing} (article {got.article})")
        prose = len(SOURCE.sub("", got.texts[0] if got.texts else ""))
        prose += sum(len(SOURCE.sub("", t)) for t in got.texts[1:])
        if prose > MAX_PROSE:
            return Verdict(False, f"too long: {prose} characters")
        return Verdict(True)
    if item.expect == "refuse":
        return Verdict(REFUSAL in folded and not answered, "not refused" if answered else "")
    if item.expect == "decline":
        if answered:
            return Verdict(False, f"answered with {got.article}")
        return Verdict(DECLINE in folded, "not declined")
    if item.expect == "out_of_scope":
        if answered:
            return Verdict(False, f"answered with {got.article}")
        return Verdict(OFF_TOPIC in folded or DECLINE in folded, "not refused")
    if item.expect == "status":
        return Verdict(any(s in folded for s in STATUS), "no status")
    if item.expect == "ask_code":
        return Verdict(ASK_CODE in folded and not answered, "did not ask for the code")
    if item.expect == "ticket":
        return Verdict(got.handoff, "no ticket")
    return Verdict(not answered and REFUSAL not in folded, "not small talk")  # chat


@dataclass
class Tally:
    n: int = 0
    ok: int = 0

    @property
    def rate(self) -> float:
        return self.ok / self.n if self.n else 0.0


@dataclass
class Report:
    results: list[tuple[Item, Observed, Verdict]] = field(default_factory=list)

    def add(self, item: Item, got: Observed, verdict: Verdict) -> None:
        self.results.append((item, got, verdict))

    def tally(self, keep: Callable[[Item], bool]) -> Tally:
        tally = Tally()
        for item, _, verdict in self.results:
            if keep(item):
                tally.n += 1
                tally.ok += verdict.ok
        return tally

    @property
    def knowledge(self) -> Tally:
        return self.tally(lambda i: i.category == "knowledge")

    def knowledge_style(self, style: str) -> Tally:
        return self.tally(lambda i: i.category == "knowledge" and i.style == style)

    def category(self, name: str) -> Tally:
        return self.tally(lambda i: i.category == name)

    @property
    def plain_tickets(self) -> int:
        return sum(got.handoff for item, got, _ in self.results if item.expect != "ticket")

    @property
    def article_hit(self) -> Tally:
        """Diagnostic: the answered article is the labelled one (knowledge items)."""
        tally = Tally()
        for item, got, _ in self.results:
            if item.category == "knowledge" and item.topic:
                tally.n += 1
                tally.ok += got.article == item.topic
        return tally

    def latencies(self, category: str = "knowledge") -> list[float]:
        return sorted(got.seconds for item, got, _ in self.results if item.category == category)

    def summary(self) -> dict[str, Any]:
        lat = self.latencies()

        def pct(p: float) -> float:
            return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else 0.0

        return {
            "items": len(self.results),
            "knowledge_correct": self.knowledge.rate,
            "by_style": {
                s: self.knowledge_style(s).rate for s in ("accented", "unaccented", "teencode")
            },
            "long_correct": self.tally(lambda i: i.category == "knowledge" and i.long).rate,
            "by_category": {c: self.category(c).rate for c in EXPECTED},
            "plain_tickets": self.plain_tickets,
            "article_hit": self.article_hit.rate,
            "knowledge_p50_ms": statistics.median(lat) * 1000 if lat else 0.0,
            "knowledge_p95_ms": pct(0.95),
        }

    def print(self, failures: int = 40) -> None:
        s = self.summary()
        print(f"Answer-level evaluation: {s['items']} questions through the running stack")
        k = self.knowledge
        print(f"  knowledge answers correct   {k.rate:.3f}  ({k.ok}/{k.n})")
        for style in ("accented", "unaccented", "teencode"):
            t = self.knowledge_style(style)
            print(f"    {style:12}              {t.rate:.3f}  ({t.ok}/{t.n})")
        t = self.tally(lambda i: i.category == "knowledge" and i.long)
        print(f"    long questions            {t.rate:.3f}  ({t.ok}/{t.n})")
        for name in EXPECTED:
            if name == "knowledge":
                continue
            t = self.category(name)
            print(f"  {name:27} {t.rate:.3f}  ({t.ok}/{t.n})")
        print(f"  tickets for plain questions {self.plain_tickets}")
        hit = self.article_hit
        print(f"  diagnostic: answered article = labelled {hit.rate:.3f} ({hit.ok}/{hit.n})")
        print(
            f"  knowledge latency through the gateway: p50 {s['knowledge_p50_ms']:.0f} ms, "
            f"p95 {s['knowledge_p95_ms']:.0f} ms"
        )
        failed = [(i, g, v) for i, g, v in self.results if not v.ok]
        if failed and failures:
            print(f"\nFailures ({len(failed)}; first {min(failures, len(failed))}):")
            for item, _, verdict in failed[:failures]:
                print(f"  [{item.category}/{item.style}] {item.q[:110]}")
                print(f"      -> {verdict.why}")


def ask(client: httpx.Client, text: str, ward: str | None = None) -> Observed:
    """One question from a new resident, through the web chat API."""
    body: dict[str, Any] = {"sender": f"eval-{uuid.uuid4().hex[:16]}", "text": text}
    if ward:
        body["ward"] = ward
    started = time.perf_counter()
    response = client.post("/api/messages", json=body)
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        return Observed([], [], False, seconds, response.status_code)
    data = response.json()
    messages = data.get("messages", [])
    return Observed(
        [str(m.get("text") or "") for m in messages],
        [b for m in messages for b in (m.get("buttons") or [])],
        bool(data.get("handoff")),
        seconds,
    )


def evaluate(base_url: str, items: list[Item], ward: str | None = None) -> Report:
    report = Report()
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for item in items:
            got = ask(client, item.q, ward)
            report.add(item, got, judge(item, got))
    return report
