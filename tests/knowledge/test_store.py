"""The published articles in the database: file imports, drafts, publishing, versions,
rollback, and the refusal of a concurrent edit."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete

from bot.db import session_scope
from bot.knowledge import store
from bot.knowledge.models import ArticleRecord, ArticleVersion

ARTICLE = """---
id: {id}
title: Quên mật khẩu thử nghiệm {tag}
questions: [câu một {tag}, câu hai {tag}, câu ba {tag}, câu bốn {tag}, câu năm {tag}]
tags: [thu]
sources:
  - url: https://vneid.gov.vn
    title: Cổng VNeID
last_reviewed: 2026-11-01
owner: Tổ CNS
related: []
---
Câu trả lời ngắn của bài thử.

## Nếu không được
- Gọi 1900 0368.
"""


@pytest.fixture
def shipped(tmp_path: Path, migrated_db: None) -> Iterator[tuple[Path, str]]:
    """One shipped article of its own (questions no other article has): (folder, id).
    Removed afterwards: the database is shared with tests that publish every article."""
    tag = secrets.token_hex(4)
    article_id = f"thu-{tag}"
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / f"{article_id}.md").write_text(ARTICLE.format(id=article_id, tag=tag), "utf-8")
    yield folder, article_id
    with session_scope() as session:
        session.execute(delete(ArticleVersion).where(ArticleVersion.article_id == article_id))
        session.execute(delete(ArticleRecord).where(ArticleRecord.id == article_id))


def _published(article_id: str) -> str:
    with session_scope() as session:
        return store.published_texts(session)[article_id]


def _revision(article_id: str) -> int:
    with session_scope() as session:
        record = session.get(ArticleRecord, article_id)
        assert record is not None
        return record.revision


def test_files_are_imported_once_and_updated_until_an_editor_changes_them(
    shipped: tuple[Path, str],
) -> None:
    folder, article_id = shipped
    path = folder / f"{article_id}.md"
    with session_scope() as session:
        assert store.sync_files(session, folder).added == [article_id]
    with session_scope() as session:
        again = store.sync_files(session, folder)
        assert (again.added, again.updated, again.kept) == ([], [], [])
    # A release changes the file: taken, the editor never touched the article.
    path.write_text(path.read_text("utf-8").replace("Quên mật khẩu", "Quên MẬT KHẨU", 1))
    with session_scope() as session:
        assert store.sync_files(session, folder).updated == [article_id]
    assert "Quên MẬT KHẨU" in _published(article_id)
    # An editor publishes on the web; the next release's file does not overwrite it.
    web = _published(article_id).replace("Quên MẬT KHẨU", "Bản của biên tập viên")
    with session_scope() as session:
        store.publish(session, article_id, web, _revision(article_id), "chị Lan", "sửa tiêu đề")
    path.write_text(path.read_text("utf-8") + "\nThêm một dòng.\n")
    with session_scope() as session:
        assert store.sync_files(session, folder).kept == [article_id]
    assert "Bản của biên tập viên" in _published(article_id)
    with session_scope() as session:  # kb import --force
        assert store.sync_files(session, folder, {article_id}).updated == [article_id]
    assert "Thêm một dòng." in _published(article_id)


def test_versions_rollback_and_a_stale_save_refused(shipped: tuple[Path, str]) -> None:
    folder, article_id = shipped
    with session_scope() as session:
        store.sync_files(session, folder)
    first = _published(article_id)
    opened = _revision(article_id)  # two editors open the same revision
    with session_scope() as session:
        store.save_draft(session, article_id, first + "\nNháp.", opened, "chị Lan")
    with session_scope() as session, pytest.raises(store.EditConflict, match="chị Lan"):
        store.publish(session, article_id, first + "\nCủa anh Minh.", opened, "anh Minh")
    with session_scope() as session:
        record = session.get(ArticleRecord, article_id)
        assert record is not None and record.draft is not None and record.published == 1
        version = store.publish(session, article_id, first + "\nMới.", record.revision, "chị Lan")
        assert version.number == 2
    assert _published(article_id).endswith("Mới.")
    with session_scope() as session:
        back = store.rollback(session, article_id, 1, _revision(article_id), "chị Lan")
        assert (back.number, back.origin, back.note) == (3, "rollback", "khôi phục bản 1")
    assert _published(article_id) == first
    with session_scope() as session:
        numbers = [(v.number, v.author) for v in store.versions(session, article_id)]
    assert numbers == [(3, "chị Lan"), (2, "chị Lan"), (1, store.FILE_AUTHOR)]


def test_export_writes_what_import_reads(shipped: tuple[Path, str], tmp_path: Path) -> None:
    folder, article_id = shipped
    with session_scope() as session:
        store.sync_files(session, folder)
        store.export(session, tmp_path / "out")
    exported = tmp_path / "out" / f"{article_id}.md"
    assert (
        exported.read_text("utf-8").strip()
        == (folder / f"{article_id}.md").read_text("utf-8").strip()
    )
    shutil.rmtree(tmp_path / "out")
