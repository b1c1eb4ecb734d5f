"""The answer-level evaluation through the running stack (gateway -> Rasa -> actions),
with floors: what residents get, judged by the facts each reply must contain.

`kb answer-eval` prints the same figures with the failures; README has the latest run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.evaluation.answers import Report, evaluate, load_items
from bot.evaluation.stack import EVAL_WARD, running_stack, seed
from bot.settings import ROOT

# Floors a little under the figures measured when they were set (README, "Quality").
FLOORS = {
    "knowledge": 0.89,
    "accented": 0.89,
    "unaccented": 0.92,
    "teencode": 0.85,
    "improper": 0.95,
    "uncovered": 0.95,
    "out_of_scope": 0.93,
    "status_code": 1.0,
    "status_own": 0.9,
    "human": 0.9,
    "chat": 1.0,
}


@pytest.fixture(scope="module")
def report(var_dir: Path, migrated_db: None) -> Report:
    if not (ROOT / "models" / "assistant.tar.gz").exists():
        pytest.fail("no trained Rasa model: run `make setup` (make test does it first)")
    seed()
    items = load_items(ROOT / "knowledge" / "eval" / "answers")
    with running_stack(var_dir) as url:
        result = evaluate(url, items, EVAL_WARD)
    result.print(failures=60)
    return result


def test_knowledge_answers_contain_what_was_asked(report: Report) -> None:
    assert report.knowledge.rate >= FLOORS["knowledge"]
    for style in ("accented", "unaccented", "teencode"):
        assert report.knowledge_style(style).rate >= FLOORS[style], style


@pytest.mark.parametrize(
    "category",
    ["improper", "uncovered", "out_of_scope", "status_code", "status_own", "human", "chat"],
)
def test_each_kind_of_message_gets_its_reply(report: Report, category: str) -> None:
    assert report.category(category).rate >= FLOORS[category]


def test_no_ticket_for_a_plain_question_and_no_server_error(report: Report) -> None:
    assert report.plain_tickets == 0
    assert all(got.status == 200 for _, got, _ in report.results)
