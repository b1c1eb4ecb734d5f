"""Knowledge articles: one Markdown file each, YAML front matter, a fixed body layout.

    ---
    id, title, questions, tags, sources [{url, title}], last_reviewed, owner, related
    ---
    Short answer (2-3 sentences, before any heading).
    ## Các bước          numbered steps (optional)
    ## Nếu không được    what to do when it fails

knowledge/README.md is the editors' guide to this format.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.text import fold

STEPS_HEADING = "các bước"
FAILS_HEADING = "nếu không được"
_ID = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_HEADING = re.compile(r"^##\s+(.+?)\s*$")
_STEP = re.compile(r"^\s*\d+[.)]\s+(.*)$")
ARTICLE_LINK = re.compile(r"\]\(([a-z0-9-]+)\.md\)")


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str
    title: str = Field(min_length=3)

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+\.[^\s]+$", value):
            raise ValueError("phải là đường dẫn đầy đủ bắt đầu bằng https://")
        return value


class FrontMatter(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=_ID)
    title: str = Field(min_length=5)
    questions: list[str] = Field(min_length=5)
    tags: list[str] = Field(default_factory=list)
    sources: list[Source] = Field(min_length=1)
    last_reviewed: date
    owner: str = Field(min_length=2)
    related: list[str] = Field(default_factory=list)

    @field_validator("questions")
    @classmethod
    def _non_empty(cls, value: list[str]) -> list[str]:
        cleaned = [q.strip() for q in value]
        if any(not q for q in cleaned):
            raise ValueError("có câu hỏi để trống")
        return cleaned


@dataclass(frozen=True)
class Article:
    path: Path
    meta: FrontMatter
    short_answer: str
    steps: list[str]
    if_fails: str
    body: str
    body_line: int  # line number of the body's first line in the file
    sha256: str
    sections: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def title(self) -> str:
        return self.meta.title


@dataclass(frozen=True)
class Passage:
    """One line of an article an answer can open with: the short answer, a fact bullet,
    a step or a "Nếu không được" line, with its section heading."""

    heading: str  # lower-case section heading; "" for the short answer
    text: str
    kind: str  # lead | fact | step | fails


_BULLET = re.compile(r"^\s*[-*+]\s+")


def topic_text(title: str, tags: list[str]) -> str:
    """What an article is about, folded and padded with spaces: its title and its tags
    ("ho-kinh-doanh" -> "ho kinh doanh"). An area named only in its body does not count."""
    return " " + fold(" ".join([title, *tags]).replace("-", " ")) + " "


def without_step_number(line: str) -> str:
    """ "2. Bấm …" -> "Bấm …" (the 2 is not a fact of the line)."""
    match = _STEP.match(line)
    return match.group(1).strip() if match else line


def passage_fact_text(passage: Passage | dict[str, str]) -> str:
    """What a passage states, folded, for matching the kind of fact asked: its heading and
    its text without a step number."""
    heading, text = (
        (passage.heading, passage.text)
        if isinstance(passage, Passage)
        else (passage["heading"], passage["text"])
    )
    return fold(f"{heading} {without_step_number(text)}")


def article_passages(article: Article) -> list[Passage]:
    """The short answer first, then every non-empty line of every section, in order."""
    passages = [Passage("", article.short_answer, "lead")]
    for heading, text in article.sections.items():
        for line in text.splitlines():
            line = line.strip()
            if not line:
                continue
            if heading == FAILS_HEADING:
                kind = "fails"
            elif _STEP.match(line):
                kind = "step"
            else:
                kind = "fact"
            passages.append(Passage(heading, _BULLET.sub("", line), kind))
    return passages


class ArticleError(ValueError):
    """An article that cannot be used; ``str()`` names the file and line."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message


def _line_of(text: str, needle: str, default: int = 1) -> int:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else default


def parse_article(path: Path) -> Article:
    raw = path.read_bytes()
    text = raw.decode("utf-8", errors="strict").replace("\r\n", "\n")
    if not text.startswith("---\n"):
        raise ArticleError(path, 1, "thiếu phần đầu YAML: tệp phải bắt đầu bằng dòng '---'")
    end = text.find("\n---\n", 4)
    if end < 0:
        raise ArticleError(path, 1, "phần đầu YAML chưa đóng: thêm một dòng '---' sau nó")
    try:
        data = yaml.safe_load(text[4:end])
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        raise ArticleError(path, line, f"YAML không hợp lệ: {exc}") from exc
    if not isinstance(data, dict):
        raise ArticleError(path, 2, "phần đầu YAML phải là các dòng 'khóa: giá trị'")
    try:
        meta = FrontMatter.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = str(first["loc"][0]) if first["loc"] else ""
        where = ".".join(str(p) for p in first["loc"])
        raise ArticleError(
            path, _line_of(text, f"\n{key}:", 1) + 1 if key else 1, f"{where}: {first['msg']}"
        ) from exc
    if meta.id != path.stem:
        raise ArticleError(
            path, _line_of(text, "\nid:") + 1, f"id '{meta.id}' phải trùng tên tệp '{path.stem}'"
        )
    body = text[end + 5 :].strip("\n")
    body_line = text.count("\n", 0, end + 5) + 1
    short, sections = _split_sections(body)
    if not short:
        raise ArticleError(
            path, body_line, "thiếu câu trả lời ngắn ở đầu nội dung (trước mọi tiêu đề ##)"
        )
    steps = [
        m.group(1).strip()
        for line in sections.get(STEPS_HEADING, "").splitlines()
        if (m := _STEP.match(line))
    ]
    return Article(
        path=path,
        meta=meta,
        short_answer=short,
        steps=steps,
        if_fails=sections.get(FAILS_HEADING, ""),
        body=body,
        body_line=body_line,
        sha256=hashlib.sha256(raw).hexdigest(),
        sections=sections,
    )


def _split_sections(body: str) -> tuple[str, dict[str, str]]:
    """The text before the first '## ' heading, and each section by lower-case heading."""
    short: list[str] = []
    sections: dict[str, list[str]] = {}
    current: list[str] = short
    for line in body.splitlines():
        heading = _HEADING.match(line)
        if heading:
            current = sections.setdefault(heading.group(1).strip().lower(), [])
        else:
            current.append(line)
    return "\n".join(short).strip(), {k: "\n".join(v).strip() for k, v in sections.items()}


def load_articles(directory: Path) -> tuple[list[Article], list[ArticleError]]:
    """Every article in ``directory``; broken ones are returned as errors, not raised."""
    articles: list[Article] = []
    errors: list[ArticleError] = []
    for path in sorted(directory.glob("*.md")):
        try:
            articles.append(parse_article(path))
        except ArticleError as exc:
            errors.append(exc)
        except UnicodeDecodeError as exc:
            errors.append(ArticleError(path, 1, f"tệp không phải UTF-8: {exc}"))
    return articles, errors
