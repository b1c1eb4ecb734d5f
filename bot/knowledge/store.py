"""The published articles, in the database: the source of truth the index is built from.

- ``knowledge/articles/*.md`` ship with each release, reviewed in git. ``sync_files``
  (run by ``kb build``, so by every ``make setup`` and deploy) imports a new file, and a
  changed file unless an editor has changed that article on the web since its last
  import: then the file is reported, never applied over the editor's work
  (``kb import --force ID`` takes it).
- The web editor saves drafts and publishes versions here. Every published version is
  kept with who, when and why; a rollback publishes an old version's text again.
- ``export`` writes the published articles back as Markdown files (to review in git).

Every change to an article goes through one conditional UPDATE on its ``revision``: of two
editors who opened the same revision, the second save is refused, never merged silently.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.db.base import utcnow
from bot.knowledge.articles import Article, ArticleError, parse_article, parse_text
from bot.knowledge.models import ArticleRecord, ArticleVersion

FILE_AUTHOR = "knowledge/ (kho mã)"
STALE_EDIT = (
    "Bài này vừa được {who} sửa sau khi bạn mở nó. Để không ghi đè lên thay đổi của họ, "
    "bản của bạn chưa được lưu: mở lại bài (nội dung bạn gõ vẫn còn ở dưới) rồi sửa lại."
)


class EditConflict(Exception):
    """The article changed since the editor opened it (or the id is taken)."""


def text_sha(text: str) -> str:
    return hashlib.sha256(text.replace("\r\n", "\n").encode("utf-8")).hexdigest()


def article_path(article_id: str) -> Path:
    """The name an article goes by in messages and exports."""
    return Path(f"{article_id}.md")


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # edited on the web; the file differs
    errors: list[ArticleError] = field(default_factory=list)


def _version(session: Session, article_id: str, number: int) -> ArticleVersion | None:
    return session.scalar(
        select(ArticleVersion).where(
            ArticleVersion.article_id == article_id, ArticleVersion.number == number
        )
    )


def _add_version(
    session: Session, record: ArticleRecord, text: str, author: str, origin: str, note: str
) -> ArticleVersion:
    last = session.scalar(
        select(func.max(ArticleVersion.number)).where(ArticleVersion.article_id == record.id)
    )
    version = ArticleVersion(
        article_id=record.id,
        number=(last or 0) + 1,
        text=text.replace("\r\n", "\n"),
        author=author,
        origin=origin,
        note=note[:500],
        at=utcnow(),
    )
    session.add(version)
    record.published = version.number
    record.updated_at = version.at
    return version


def sync_files(session: Session, directory: Path, force: set[str] | None = None) -> SyncReport:
    """Import the shipped files: new ones, and changed ones whose article nobody edited on
    the web since (or named in ``force``)."""
    report = SyncReport()
    force = force or set()
    for path in sorted(directory.glob("*.md")):
        try:
            article = parse_article(path)
        except ArticleError as exc:
            report.errors.append(exc)
            continue
        text, sha = article.source, text_sha(article.source)
        record = session.get(ArticleRecord, article.id)
        if record is None:
            record = ArticleRecord(id=article.id, published=0, revision=1, file_sha=sha)
            session.add(record)
            session.flush()
            _add_version(session, record, text, FILE_AUTHOR, "file", "nhập từ knowledge/")
            report.added.append(article.id)
            continue
        if record.file_sha == sha:
            continue
        current = _version(session, record.id, record.published)
        if current is not None and text_sha(current.text) == sha:
            record.file_sha = sha  # the web already has this text
        elif current is None or current.origin == "file" or article.id in force:
            _add_version(session, record, text, FILE_AUTHOR, "file", "cập nhật từ knowledge/")
            record.file_sha = sha
            record.revision += 1
            report.updated.append(article.id)
        else:
            report.kept.append(article.id)
    return report


def published_texts(session: Session) -> dict[str, str]:
    rows = session.execute(
        select(ArticleVersion.article_id, ArticleVersion.text)
        .join(
            ArticleRecord,
            (ArticleRecord.id == ArticleVersion.article_id)
            & (ArticleRecord.published == ArticleVersion.number),
        )
        .order_by(ArticleVersion.article_id)
    )
    return {article_id: text for article_id, text in rows}


def parse_all(texts: dict[str, str]) -> tuple[list[Article], list[ArticleError]]:
    articles: list[Article] = []
    errors: list[ArticleError] = []
    for article_id, text in sorted(texts.items()):
        try:
            articles.append(parse_text(text, article_path(article_id)))
        except ArticleError as exc:
            errors.append(exc)
    return articles, errors


def published_mark(session: Session) -> int:
    """Grows with every publish anywhere (the newest version's row id): an index built at
    this mark holds everything published until then."""
    return int(session.scalar(select(func.max(ArticleVersion.id))) or 0)


def published_articles(session: Session) -> tuple[list[Article], list[ArticleError]]:
    return parse_all(published_texts(session))


def _claim(session: Session, article_id: str, revision: int, who: str) -> ArticleRecord:
    """Bump the article's revision if it is still the one the editor opened."""
    done = session.execute(
        update(ArticleRecord)
        .where(ArticleRecord.id == article_id, ArticleRecord.revision == revision)
        .values(revision=revision + 1, updated_at=utcnow())
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        record = session.get(ArticleRecord, article_id)
        if record is None:
            raise EditConflict(f"Không có bài '{article_id}'.")
        raise EditConflict(STALE_EDIT.format(who=record.draft_by or "người khác"))
    record = session.get(ArticleRecord, article_id)
    assert record is not None
    session.refresh(record)
    return record


def create(session: Session, article_id: str, who: str) -> ArticleRecord:
    """A new, unpublished article (its first publish makes version 1)."""
    if session.get(ArticleRecord, article_id) is not None:
        raise EditConflict(f"Đã có bài mã '{article_id}': chọn mã khác.")
    record = ArticleRecord(
        id=article_id, published=0, revision=1, draft_by=who, updated_at=utcnow()
    )
    session.add(record)
    session.flush()
    return record


def save_draft(session: Session, article_id: str, text: str, revision: int, who: str) -> int:
    """Keep an unpublished draft; the new revision."""
    record = _claim(session, article_id, revision, who)
    record.draft, record.draft_by, record.draft_at = text.replace("\r\n", "\n"), who, utcnow()
    return record.revision


def publish(
    session: Session,
    article_id: str,
    text: str,
    revision: int,
    who: str,
    note: str = "",
    origin: str = "web",
) -> ArticleVersion:
    record = _claim(session, article_id, revision, who)
    version = _add_version(session, record, text, who, origin, note)
    record.draft, record.draft_by, record.draft_at = None, who, None
    return version


def rollback(
    session: Session, article_id: str, number: int, revision: int, who: str
) -> ArticleVersion:
    old = _version(session, article_id, number)
    if old is None:
        raise EditConflict(f"Bài '{article_id}' không có bản số {number}.")
    return publish(
        session, article_id, old.text, revision, who, f"khôi phục bản {number}", "rollback"
    )


def versions(session: Session, article_id: str) -> list[ArticleVersion]:
    return list(
        session.scalars(
            select(ArticleVersion)
            .where(ArticleVersion.article_id == article_id)
            .order_by(ArticleVersion.number.desc())
        )
    )


def export(session: Session, directory: Path) -> int:
    """Write every published article as ``<id>.md``; how many were written."""
    directory.mkdir(parents=True, exist_ok=True)
    texts = published_texts(session)
    for article_id, text in texts.items():
        (directory / f"{article_id}.md").write_text(text.rstrip("\n") + "\n", "utf-8")
    return len(texts)
