"""How the answer-level evaluation judges a reply, and that its set is well formed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.evaluation.answers import EXPECTED, Item, Observed, Report, judge, load_items
from bot.settings import ROOT

SET = ROOT / "knowledge" / "eval" / "answers"


def item(category: str = "knowledge", **kw: object) -> Item:
    expect = EXPECTED[category]
    data: dict[str, object] = {"q": "câu hỏi", "style": "accented", "category": category}
    data["expect"] = expect
    if category == "knowledge":
        data["facts"] = [["200.000", "200 000"]]
        data["topic"] = "criminal-record-vneid"
    data.update(kw)
    return Item.model_validate(data)


def answer(text: str, article: str = "criminal-record-vneid") -> Observed:
    payload = "/show_article" + json.dumps({"article_id": article})
    return Observed([text], [{"title": "Xem chi tiết", "payload": payload}], False, 0.05)


def test_an_answer_must_contain_every_group_of_facts_within_the_length() -> None:
    assert judge(item(), answer("Lệ phí: 200.000 đồng/lần.\nNguồn: Bộ Tư pháp")).ok
    assert judge(item(), answer("le phi 200 000 dong")).ok  # folded, any alternative
    missing = judge(item(), answer("Lệ phí nộp trong ứng dụng."))
    assert not missing.ok and "200.000" in missing.why
    assert not judge(item(), answer("200.000 " + "dài " * 300)).ok  # too long
    unsure = Observed(["Mình chưa chắc đã hiểu đúng câu hỏi…"], [], False, 0.05)
    assert not judge(item(), unsure).ok


def test_refusals_declines_and_tickets() -> None:
    refusal = Observed(["Mình không thể hướng dẫn làm giả giấy tờ…"], [], False, 0.05)
    assert judge(item("improper"), refusal).ok
    assert not judge(item("improper"), answer("Các bước: 1. …")).ok
    decline = Observed(["Mình chưa có hướng dẫn về việc này…"], [], False, 0.05)
    assert judge(item("uncovered"), decline).ok
    assert not judge(item("uncovered"), answer("Một bài khác.")).ok
    ticket = Observed(["Mình đã chuyển…"], [], True, 0.05)
    assert judge(item("human"), ticket).ok
    assert not judge(item("knowledge"), ticket).ok  # a ticket for a plain question


def test_report_counts_per_style_and_category() -> None:
    report = Report()
    report.add(item(), answer("200.000"), judge(item(), answer("200.000")))
    wrong = item(style="teencode")
    report.add(wrong, answer("không"), judge(wrong, answer("không")))
    summary = report.summary()
    assert summary["knowledge_correct"] == 0.5
    assert summary["by_style"]["accented"] == 1.0 and summary["by_style"]["teencode"] == 0.0
    assert summary["article_hit"] == 1.0


def test_the_set_meets_its_mix(tmp_path: Path) -> None:
    items = load_items(SET)
    assert len(items) >= 400
    by = lambda pred: sum(1 for i in items if pred(i))  # noqa: E731
    assert by(lambda i: i.long) >= 0.3 * len(items)
    assert by(lambda i: i.style == "unaccented") >= 0.25 * len(items)
    assert by(lambda i: i.style == "teencode") >= 0.25 * len(items)
    assert by(lambda i: i.category == "improper") >= 40
    assert by(lambda i: i.category == "uncovered") >= 60
    articles = {p.stem for p in (ROOT / "knowledge" / "articles").glob("*.md")}
    assert {i.topic for i in items if i.topic} <= articles


def test_a_broken_item_names_its_file_and_position(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "items:\n  - q: hỏi\n    style: accented\n    category: knowledge\n    expect: refuse\n",
        "utf-8",
    )
    with pytest.raises(ValueError, match=r"bad\.yaml, mục 1"):
        load_items(tmp_path)
