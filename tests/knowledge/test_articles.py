"""Article parsing and the editors' lint."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.knowledge.articles import ArticleError, load_articles, parse_article
from bot.knowledge.lint import lint
from tests.knowledge.conftest import ARTICLES

GOOD = """---
id: sample-article
title: Bài mẫu để kiểm thử
questions: [câu một, cau hai, câu ba nha, cau bon, câu năm]
tags: [mau]
sources:
  - url: https://vneid.gov.vn
    title: Cổng VNeID
last_reviewed: 2026-11-01
owner: Tổ CNS
related: []
---
Câu trả lời ngắn.

## Các bước
1. Bước một.
2. Bước hai.

## Nếu không được
- Gọi 1900 0368.
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.md"
    path.write_text(text, "utf-8")
    return path


def test_every_shipped_article_is_valid() -> None:
    articles, errors = load_articles(ARTICLES)
    assert errors == []
    assert len(articles) >= 45
    for article in articles:
        assert len(article.meta.questions) >= 5, article.id
        assert article.meta.sources, article.id
        assert article.short_answer and article.if_fails, article.id


def test_shipped_articles_pass_lint() -> None:
    assert [str(p) for p in lint(ARTICLES) if p.level == "error"] == []


def test_parse_sections(tmp_path: Path) -> None:
    article = parse_article(write(tmp_path, "sample-article", GOOD))
    assert article.short_answer == "Câu trả lời ngắn."
    assert article.steps == ["Bước một.", "Bước hai."]
    assert article.if_fails == "- Gọi 1900 0368."


@pytest.mark.parametrize(
    ("change", "line", "fragment"),
    [
        (lambda t: t.replace("---\nid", "id", 1), 1, "thiếu phần đầu YAML"),
        (lambda t: t.replace("id: sample-article", "id: other"), 2, "trùng tên tệp"),
        (
            lambda t: t.replace("  - url: https://vneid.gov.vn\n    title: Cổng VNeID\n", ""),
            6,
            "sources",
        ),
        # The line of the source at fault, not of the ``sources:`` key.
        (lambda t: t.replace("url: https://vneid.gov.vn", "url: vneid"), 7, "mục thứ 1"),
        (lambda t: t.replace("Câu trả lời ngắn.\n", ""), 13, "câu trả lời ngắn"),
        (
            lambda t: t.replace("last_reviewed: 2026-11-01", "last_reviewed: hôm qua"),
            9,
            "last_reviewed",
        ),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, change, line: int, fragment: str) -> None:
    path = write(tmp_path, "sample-article", change(GOOD))
    with pytest.raises(ArticleError) as error:
        parse_article(path)
    assert error.value.line == line
    assert fragment in str(error.value)
    assert str(error.value).startswith(f"{path}:{line}:")


LISTED = GOOD.replace(
    "questions: [câu một, cau hai, câu ba nha, cau bon, câu năm]",
    "questions:\n  - câu một\n  - cau hai\n  - câu ba nha\n  - cau bon\n  - câu năm",
)


def test_a_list_item_indented_differently_is_refused_not_merged(tmp_path: Path) -> None:
    # YAML would read "  - cau bon" then "   - câu năm" as one question "cau bon - câu năm".
    path = write(tmp_path, "sample-article", LISTED.replace("  - câu năm", "   - câu năm"))
    with pytest.raises(ArticleError) as error:
        parse_article(path)
    assert error.value.line == 9 and error.value.field == "questions"
    assert "thụt lề 3 dấu cách, các dòng trên 2" in error.value.message


def test_errors_speak_vietnamese_with_one_based_items_on_their_line(tmp_path: Path) -> None:
    path = write(tmp_path, "sample-article", LISTED.replace("  - cau bon", "  - 2026"))
    with pytest.raises(ArticleError) as error:
        parse_article(path)
    assert error.value.line == 8  # the 4th question's own line
    assert error.value.message.startswith("câu hỏi (questions), mục thứ 4: phải là một dòng chữ")


def test_a_date_written_the_vietnamese_way_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, "sample-article", GOOD.replace("2026-11-01", "01/11/2026"))
    assert parse_article(path).meta.last_reviewed == date(2026, 11, 1)
    bad = write(tmp_path, "sample-article", GOOD.replace("2026-11-01", "31/02/2026"))
    with pytest.raises(ArticleError, match="ngày không hợp lệ"):
        parse_article(bad)


def test_lint_finds_duplicates_links_and_staleness(tmp_path: Path) -> None:
    write(
        tmp_path, "sample-article", GOOD.replace("1. Bước một.", "1. Xem [bài khác](missing.md).")
    )
    other = GOOD.replace("sample-article", "second-article").replace(
        "related: []", "related: [nowhere]"
    )
    write(tmp_path, "second-article", other.replace("2026-11-01", "2025-01-01"))
    problems = lint(tmp_path, stale_after_days=180, today=date(2026, 11, 23))
    messages = [f"{p.path.name}:{p.line}:{p.level}:{p.message}" for p in problems]
    assert any("missing.md" in m and m.startswith("sample-article.md:16:error") for m in messages)
    assert any("related: không có bài 'nowhere'" in m for m in messages)
    assert any("đã có trong bài sample-article" in m for m in messages)
    assert any("second-article.md:9:warning" in m and "chưa rà soát" in m for m in messages)
