"""``kb lint``: problems an editor should fix, each with file and line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.knowledge.articles import ARTICLE_LINK, Article, ArticleError, load_articles
from bot.text import fold
from bot.text.dates import vietnam_today


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    level: str  # error | warning
    message: str
    field: str = ""  # the editor form's field at fault

    @property
    def article_id(self) -> str:
        return self.path.stem

    def __str__(self) -> str:
        label = "LỖI" if self.level == "error" else "CẢNH BÁO"
        return f"{self.path}:{self.line}: {label}: {self.message}"


def _line(article: Article, needle: str) -> int:
    index = article.source.find(needle)
    return article.source.count("\n", 0, index) + 1 if index >= 0 else 1


def lint(directory: Path, stale_after_days: int = 180, today: date | None = None) -> list[Problem]:
    """The files of ``directory`` (``kb lint``)."""
    return lint_articles(*load_articles(directory), stale_after_days, today)


def lint_articles(
    articles: list[Article],
    errors: list[ArticleError],
    stale_after_days: int = 180,
    today: date | None = None,
) -> list[Problem]:
    """Every article checked on its own and against the others (ids, questions, links)."""
    problems = [Problem(e.path, e.line, "error", e.message, e.field) for e in errors]
    ids = {a.id for a in articles} | {e.path.stem for e in errors}
    today = today or vietnam_today()
    seen: dict[str, Article] = {}
    for article in articles:
        age = (today - article.meta.last_reviewed).days
        if article.meta.last_reviewed > today:
            problems.append(
                Problem(
                    article.path,
                    _line(article, "last_reviewed:"),
                    "error",
                    "last_reviewed nằm ở tương lai",
                    "last_reviewed",
                )
            )
        elif age > stale_after_days:
            problems.append(
                Problem(
                    article.path,
                    _line(article, "last_reviewed:"),
                    "warning",
                    f"đã {age} ngày chưa rà soát (quá {stale_after_days} ngày): kiểm tra lại nội "
                    "dung với nguồn chính thức rồi cập nhật last_reviewed",
                    "last_reviewed",
                )
            )
        for question in article.meta.questions:
            key = fold(question)
            other = seen.get(key)
            if other is not None and other.id != article.id:
                problems.append(
                    Problem(
                        article.path,
                        _line(article, question),
                        "error",
                        f"câu hỏi '{question}' đã có trong bài {other.id}: "
                        "mỗi câu chỉ thuộc một bài",
                        "questions",
                    )
                )
            seen.setdefault(key, article)
        for related in article.meta.related:
            if related not in ids:
                problems.append(
                    Problem(
                        article.path,
                        _line(article, "related:"),
                        "error",
                        f"related: không có bài '{related}'",
                        "related",
                    )
                )
        for match in ARTICLE_LINK.finditer(article.body):
            if match.group(1) not in ids:
                problems.append(
                    Problem(
                        article.path,
                        article.body_line + article.body.count("\n", 0, match.start()),
                        "error",
                        f"liên kết tới bài không tồn tại: {match.group(1)}.md",
                        "body",
                    )
                )
        if not article.if_fails:
            problems.append(
                Problem(
                    article.path,
                    article.body_line,
                    "warning",
                    "thiếu mục '## Nếu không được' (làm gì khi không thành công)",
                    "if_fails",
                )
            )
        if len(article.short_answer) > 500:
            problems.append(
                Problem(
                    article.path,
                    article.body_line,
                    "warning",
                    f"câu trả lời ngắn dài {len(article.short_answer)} ký tự "
                    "(nên dưới 500): người dân đọc trên điện thoại",
                    "short_answer",
                )
            )
    return sorted(problems, key=lambda p: (str(p.path), p.line))
