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
from functools import lru_cache
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
    source: str = ""  # the whole Markdown text

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
    """An article that cannot be used; ``str()`` names the file and line, ``field`` the
    form field at fault (the console shows the message under it)."""

    def __init__(self, path: Path, line: int, message: str, field: str = "") -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message, self.field = path, line, message, field


def _line_of(text: str, needle: str, default: int = 1) -> int:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else default


FIELD_NAMES = {
    "id": "mã bài (id)",
    "title": "tiêu đề (title)",
    "questions": "câu hỏi (questions)",
    "tags": "chủ đề (tags)",
    "sources": "nguồn (sources)",
    "last_reviewed": "ngày rà soát (last_reviewed)",
    "owner": "người phụ trách (owner)",
    "related": "bài liên quan (related)",
}
_DATE_VN = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


def _item_line(text: str, key: str, index: int) -> int:
    """The line of the ``index``-th list item under ``key:`` in the front matter."""
    start = _line_of(text, f"\n{key}:", 0) + 1
    if start <= 1:
        return 1
    lines = text.split("\n")
    seen = -1
    for number in range(start, len(lines)):
        line = lines[number]
        if line and not line[0].isspace() and not line.startswith("-"):
            break  # the next key
        if re.match(r"^\s*-\s", line):
            seen += 1
            if seen == index:
                return number + 1
    return start


def _explain(error: dict[str, object]) -> str:
    """A pydantic error in the editors' words."""
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    assert isinstance(context, dict)
    if kind == "missing":
        return "thiếu mục này"
    if kind == "extra_forbidden":
        return "không có mục này trong mẫu bài (gõ nhầm tên?)"
    if kind in {"string_type", "str_type"}:
        return "phải là một dòng chữ (nếu dòng có dấu hai chấm, đặt cả dòng trong ngoặc kép)"
    if kind in {"list_type"}:
        return "phải là danh sách, mỗi mục một dòng bắt đầu bằng '- '"
    if kind == "too_short":
        least = context.get("min_length", "")
        if isinstance(error.get("input"), list):
            return f"cần ít nhất {least} mục"
        return f"quá ngắn (ít nhất {least} ký tự)"
    if kind.startswith("date"):
        return "ngày không hợp lệ: viết 2026-12-01 hoặc 01/12/2026"
    if kind == "string_pattern_mismatch":
        return "chỉ gồm chữ thường không dấu, số và dấu gạch ngang, ví dụ vneid-quen-mat-khau"
    if kind == "value_error":
        return str(error.get("msg", "")).removeprefix("Value error, ")
    return str(error.get("msg", "giá trị không hợp lệ"))


def _validation_error(path: Path, text: str, exc: ValidationError) -> ArticleError:
    first = exc.errors()[0]
    loc = [str(p) for p in first["loc"]]
    key = loc[0] if loc else ""
    where = FIELD_NAMES.get(key, key)
    line = _line_of(text, f"\n{key}:", 1) + 1 if key else 1
    if len(loc) > 1 and loc[1].isdigit():
        index = int(loc[1])
        line = _item_line(text, key, index)
        where = f"{where}, mục thứ {index + 1}"
    return ArticleError(path, line, f"{where}: {_explain(dict(first))}", key)


def _indentation_trap(path: Path, text: str, end: int) -> None:
    """A list item indented differently from the one above it is silently merged into it
    by YAML ("  - a" then "   - b" is one item "a - b"): refuse it instead."""
    indent: int | None = None
    for number, line in enumerate(text[:end].split("\n"), start=1):
        if line and not line[0].isspace() and not line.startswith("-"):
            indent = None  # a new key
            continue
        match = re.match(r"^(\s*)-\s", line)
        if match is None:
            continue
        if indent is None:
            indent = len(match.group(1))
        elif len(match.group(1)) != indent:
            raise ArticleError(
                path,
                number,
                f"dòng này thụt lề {len(match.group(1))} dấu cách, các dòng trên {indent}: "
                "YAML sẽ gộp nó vào mục phía trên. Thụt lề đều nhau.",
                _key_above(text, number),
            )


def _key_above(text: str, line: int) -> str:
    for candidate in reversed(text.split("\n")[: line - 1]):
        match = re.match(r"^([a-z_]+):", candidate)
        if match:
            return match.group(1)
    return ""


def parse_article(path: Path) -> Article:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise ArticleError(path, 1, f"tệp không phải UTF-8: {exc}") from exc
    return parse_text(text, path)


# libyaml's loader when installed (ten times faster: the console checks a draft against
# every published article).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=512)
def parse_text(text: str, path: Path) -> Article:
    """An article from its Markdown text; ``path`` names it in messages (its stem is the
    id the text must declare). Cached by text: the published articles are parsed again
    for every draft checked. Callers do not change the article they get."""
    text = text.replace("\r\n", "\n")
    if not text.startswith("---\n"):
        raise ArticleError(path, 1, "thiếu phần đầu YAML: tệp phải bắt đầu bằng dòng '---'")
    end = text.find("\n---\n", 4)
    if end < 0:
        raise ArticleError(path, 1, "phần đầu YAML chưa đóng: thêm một dòng '---' sau nó")
    _indentation_trap(path, text, end)
    try:
        data = yaml.load(text[4:end], Loader=_YAML_LOADER)  # a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        problem = getattr(exc, "problem", None) or "sai cú pháp"
        raise ArticleError(
            path,
            line,
            f"phần đầu YAML sai cú pháp ({problem}): kiểm tra dấu hai chấm, ngoặc kép và "
            "thụt lề ở dòng này",
            _key_above(text, line + 1),
        ) from exc
    if not isinstance(data, dict):
        raise ArticleError(path, 2, "phần đầu YAML phải là các dòng 'khóa: giá trị'")
    reviewed = data.get("last_reviewed")
    if isinstance(reviewed, str) and (match := _DATE_VN.match(reviewed)):
        day, month, year = (int(g) for g in match.groups())
        data["last_reviewed"] = f"{year:04d}-{month:02d}-{day:02d}"  # 01/12/2026 as written
    try:
        meta = FrontMatter.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(path, text, exc) from exc
    if meta.id != path.stem:
        raise ArticleError(
            path,
            _line_of(text, "\nid:") + 1,
            f"id '{meta.id}' phải trùng tên tệp '{path.stem}'",
            "id",
        )
    body = text[end + 5 :].strip("\n")
    body_line = text.count("\n", 0, end + 5) + 1
    short, sections = _split_sections(body)
    if not short:
        raise ArticleError(
            path,
            body_line,
            "thiếu câu trả lời ngắn ở đầu nội dung (trước mọi tiêu đề ##)",
            "short_answer",
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
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        sections=sections,
        source=text,
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
    return articles, errors
