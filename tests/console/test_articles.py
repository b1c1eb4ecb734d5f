"""The editors' pages over real HTTP against the real gateway: roles, checks on the field
at fault, "Thử câu hỏi", drafts, publishing (the index is rebuilt and the next question
uses it), a concurrent save refused, versions and rollback."""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path
from typing import Any

from bot.db import session_scope
from bot.knowledge import store
from bot.knowledge.articles import parse_text
from bot.knowledge.draft import from_article
from bot.knowledge.models import ArticleRecord
from bot.knowledge.service import KnowledgeBase
from tests.console.conftest import TeamFixture, add_editor, csrf_of, signed_in

ARTICLE = "vneid-forgot-password"


def form_of(html: str) -> dict[str, str]:
    """The editor form's fields as the browser would post them."""
    fields: dict[str, str] = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html):
        fields[name] = value
    for name, value in re.findall(
        r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S
    ):
        fields[name] = value
    return {k: html_lib.unescape(v) for k, v in fields.items()}


def published_short_answer(index_dir: Path, embedder: Any) -> str:
    searcher = KnowledgeBase(index_dir, embedder).searcher()
    return str(searcher.articles[ARTICLE]["short_answer"])


def test_only_editors_and_admins_open_the_articles(editor_gateway: str, team: TeamFixture) -> None:
    member = signed_in(editor_gateway, team.lan)
    refused = member.http.get("/console/articles")
    assert refused.status_code == 403 and "biên tập" in refused.text
    admin = signed_in(editor_gateway, team.boss)
    listing = admin.http.get("/console/articles", params={"q": "quen mat khau"})
    assert listing.status_code == 200
    assert f'href="/console/articles/{ARTICLE}"' in listing.text
    assert "/console/articles/cancuoc-law-2024" not in listing.text  # filtered out
    editor = signed_in(editor_gateway, add_editor(team, "bien-tap"))
    assert editor.http.get(f"/console/articles/{ARTICLE}").status_code == 200


def test_problems_are_shown_on_the_field_at_fault(editor_gateway: str, team: TeamFixture) -> None:
    editor = signed_in(editor_gateway, add_editor(team, "kiem-tra"))
    page = editor.http.get(f"/console/articles/{ARTICLE}")
    fields = form_of(page.text)
    fields.update(
        action="xem",
        questions="chỉ một câu\nhai câu",
        source_url_0="vneid.gov.vn",
        last_reviewed="01/12/2026",
    )
    checked = editor.http.post(f"/console/articles/{ARTICLE}", data=fields)
    assert checked.status_code == 200
    text = checked.text
    assert "câu hỏi (questions): cần ít nhất 5 mục" in text
    questions_at = text.index('id="questions"')
    assert text.index("cần ít nhất 5 mục") > questions_at  # under its field
    assert text.index("cần ít nhất 5 mục") < text.index('id="short_answer"')
    # The live preview as the editor types: the article as residents see it, and problems.
    live = editor.http.post(
        f"/console/articles/{ARTICLE}/preview",
        data={**form_of(page.text), "short_answer": "Câu trả lời đang gõ dở."},
        headers={"Accept": "application/json"},
    )
    assert live.status_code == 200
    shown = live.json()
    assert shown["messages"][0]["text"].startswith("Câu trả lời đang gõ dở.")
    assert shown["messages"][-1]["buttons"]  # "Hữu ích" / "Chưa hữu ích", as residents see
    assert all(p["level"] == "warning" for p in shown["problems"])


def test_publish_conflict_and_rollback(
    editor_gateway: str, team: TeamFixture, index_dir: Path, embedder: Any
) -> None:
    lan = signed_in(editor_gateway, add_editor(team, "lan-bt"))
    minh = signed_in(editor_gateway, add_editor(team, "minh-bt"))
    before = published_short_answer(index_dir, embedder)
    page_lan = form_of(lan.http.get(f"/console/articles/{ARTICLE}").text)
    page_minh = form_of(minh.http.get(f"/console/articles/{ARTICLE}").text)
    new_answer = "Quên mật khẩu VNeID: bấm Quên mật khẩu ngay trên ứng dụng, mất chừng 5 phút."
    # "Thử câu hỏi" against the draft, before anything is saved.
    tried = lan.http.post(
        f"/console/articles/{ARTICLE}",
        data={**page_lan, "short_answer": new_answer, "action": "xem", "question": "quen mk vneid"},
    )
    assert tried.status_code == 200
    assert "Thử: “quen mk vneid”" in tried.text and "mất chừng 5 phút" in tried.text
    published = lan.http.post(
        f"/console/articles/{ARTICLE}",
        data={**page_lan, "short_answer": new_answer, "action": "xuat-ban", "note": "rút gọn"},
    )
    shown = lan.follow(published)
    assert "Đã xuất bản bản số" in shown.text and "câu hỏi tiếp theo" in shown.text
    assert published_short_answer(index_dir, embedder) == new_answer
    # Anh Minh opened the article before chị Lan published: his save is refused.
    late = minh.http.post(
        f"/console/articles/{ARTICLE}",
        data={**page_minh, "short_answer": "Bản của anh Minh.", "action": "luu"},
    )
    assert late.status_code == 409 and "vừa được" in late.text
    assert "Bản của anh Minh." in late.text  # what he typed is still in the form
    with session_scope() as session:
        record = session.get(ArticleRecord, ARTICLE)
        assert record is not None and record.draft is None
        number, revision = record.published, record.revision
    # The diff of the new version, then one click back to the version before.
    diff = lan.http.get(f"/console/articles/{ARTICLE}/versions/{number}")
    assert diff.status_code == 200 and "+" + new_answer in diff.text.replace("&#34;", '"')
    rolled = lan.http.post(
        f"/console/articles/{ARTICLE}/rollback",
        data={"csrf": csrf_of(shown.text), "number": str(number - 1), "revision": str(revision)},
    )
    assert "Đã khôi phục bản số" in lan.follow(rolled).text
    assert published_short_answer(index_dir, embedder) == before
    with session_scope() as session:
        text = store.published_texts(session)[ARTICLE]
    assert from_article(parse_text(text, store.article_path(ARTICLE))).short_answer == before


def test_the_list_counts_answers_and_sorts_by_most_asked(
    editor_gateway: str, team: TeamFixture
) -> None:
    from tests.console.test_dashboard import record

    for i in range(40):  # more than any other test records for one article
        record(team.ward, "answered", resident=f"q{i}", article="error-nfc", topic="vneid")
    editor = signed_in(editor_gateway, add_editor(team, "dem-cau"))
    page = editor.http.get("/console/articles", params={"loc": "hoi-nhieu"})
    first_row = page.text.split("<tbody>")[1].split("</tr>")[0]
    assert 'href="/console/articles/error-nfc"' in first_row
    assert '<td data-label="Trả lời trong 30 ngày">40</td>' in first_row
