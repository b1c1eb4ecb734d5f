"""``kb eval``: retrieval quality on knowledge/eval/questions.yaml, for every mode."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.knowledge.search import MODES, Mode, Searcher


@dataclass
class Question:
    text: str
    article: str | None
    style: str


@dataclass
class Scores:
    n: int = 0
    hit1: int = 0
    hit3: int = 0
    rr: float = 0.0
    answered_correct: int = 0  # top-1 right and confidence over the threshold

    def add(self, rank: int | None, accepted: bool) -> None:
        self.n += 1
        if rank is not None:
            self.rr += 1.0 / rank
            self.hit1 += rank == 1
            self.hit3 += rank <= 3
            self.answered_correct += rank == 1 and accepted

    def row(self) -> dict[str, float]:
        n = self.n or 1
        return {
            "n": self.n,
            "hit@1": self.hit1 / n,
            "hit@3": self.hit3 / n,
            "mrr": self.rr / n,
            "answered": self.answered_correct / n,
        }


@dataclass
class ModeReport:
    mode: Mode
    overall: Scores = field(default_factory=Scores)
    by_style: dict[str, Scores] = field(default_factory=lambda: defaultdict(Scores))
    oos_total: int = 0
    oos_rejected: int = 0
    misses: list[tuple[str, str | None, str]] = field(default_factory=list)

    @property
    def rejection(self) -> float:
        return self.oos_rejected / (self.oos_total or 1)


def load_questions(path: Path) -> list[Question]:
    data = yaml.safe_load(path.read_text("utf-8"))
    return [
        Question(str(q["q"]), q.get("article"), str(q.get("style", "?"))) for q in data["questions"]
    ]


def evaluate(searcher: Searcher, questions: list[Question]) -> dict[Mode, ModeReport]:
    unknown = {q.article for q in questions if q.article and q.article not in searcher.articles}
    if unknown:
        raise ValueError(f"eval questions name articles that do not exist: {sorted(unknown)}")
    reports = {mode: ModeReport(mode) for mode in MODES}
    vectors = searcher.embedder.queries([searcher.dense_query_text(q.text) for q in questions])
    for question, vector in zip(questions, vectors, strict=True):
        for mode in MODES:
            result = searcher.search(
                question.text, mode=mode, k=len(searcher.article_ids), query_vector=vector
            )
            accepted = searcher.confident(result, searcher.threshold(mode))
            report = reports[mode]
            if question.article is None:
                report.oos_total += 1
                report.oos_rejected += not accepted
                if accepted:
                    report.misses.append((question.text, None, result.hits[0].article_id))
                continue
            ids = [h.article_id for h in result.hits]
            rank = ids.index(question.article) + 1 if question.article in ids else None
            report.overall.add(rank, accepted)
            report.by_style[question.style].add(rank, accepted)
            if rank != 1:
                report.misses.append((question.text, question.article, ids[0]))
    return reports


def format_reports(reports: dict[Mode, ModeReport]) -> str:
    lines = [
        f"{'mode':7} {'style':11} {'n':>4} {'hit@1':>6} {'hit@3':>6} {'MRR':>6} {'answered':>8}"
    ]
    for mode, report in reports.items():
        rows = [("overall", report.overall), *sorted(report.by_style.items())]
        for style, scores in rows:
            r = scores.row()
            lines.append(
                f"{mode:7} {style:11} {r['n']:4.0f} {r['hit@1']:6.3f} {r['hit@3']:6.3f} "
                f"{r['mrr']:6.3f} {r['answered']:8.3f}"
            )
        lines.append(
            f"{mode:7} out-of-scope rejected {report.oos_rejected}/{report.oos_total} "
            f"= {report.rejection:.3f}"
        )
    return "\n".join(lines)
