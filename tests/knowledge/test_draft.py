"""The web editor's form and the Markdown files say the same thing."""

from __future__ import annotations

from pathlib import Path

from bot.knowledge.articles import load_articles, parse_text
from bot.knowledge.draft import ArticleDraft, from_article, to_markdown
from tests.knowledge.conftest import ARTICLES


def test_every_shipped_article_survives_the_form_unchanged() -> None:
    articles, errors = load_articles(ARTICLES)
    assert errors == []
    for article in articles:
        again = parse_text(to_markdown(from_article(article)), article.path)
        assert again.meta == article.meta, article.id
        assert again.short_answer == article.short_answer, article.id
        assert again.sections == article.sections, article.id


def test_plain_lines_become_numbered_steps_and_bullets() -> None:
    draft = ArticleDraft(
        id="bai-thu",
        title="Bài thử của biên tập viên",
        questions=["một", "hai", "ba", "bốn", "năm"],
        short_answer="Trả lời ngắn: được.",
        steps="Mở ứng dụng\nBấm Đăng nhập",
        if_fails="Gọi 1900 0368\nĐến công an phường",
        sources=[("Cổng VNeID", "https://vneid.gov.vn")],
        owner="Tổ CNS",
        last_reviewed="01/12/2026",
    )
    article = parse_text(to_markdown(draft), Path("bai-thu.md"))
    assert article.steps == ["Mở ứng dụng", "Bấm Đăng nhập"]
    assert article.if_fails == "- Gọi 1900 0368\n- Đến công an phường"
    assert article.meta.last_reviewed.isoformat() == "2026-12-01"
    # A title with a colon or quotes is still one YAML string.
    draft.title = 'Lệ phí: "miễn phí" cho người: trên 60 tuổi'
    assert parse_text(to_markdown(draft), Path("bai-thu.md")).title == draft.title
