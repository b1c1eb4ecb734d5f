"""An article as the web editor's form holds it, and back to the Markdown the index reads.

The form has a field per part (title, questions one per line, short answer, steps one per
line, other sections, "Nếu không được", sources as title + URL, related, owner, last
reviewed), so editors never meet YAML; ``to_markdown`` writes the same format as the
files in knowledge/articles, so files and web edits stay interchangeable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from bot.knowledge.articles import FAILS_HEADING, STEPS_HEADING, Article

_NUMBER = re.compile(r"^\s*\d+[.)]\s+")
_BULLET = re.compile(r"^\s*[-*+]\s+")


@dataclass
class ArticleDraft:
    id: str
    title: str = ""
    questions: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    short_answer: str = ""
    steps: str = ""  # one step per line; numbered on save when no line has a number
    other_sections: str = ""  # "## Heading" blocks other than steps and if-fails, as written
    if_fails: str = ""  # one line each; bulleted on save when no line has a bullet
    sources: list[tuple[str, str]] = field(default_factory=list)  # (title, url)
    related: list[str] = field(default_factory=list)
    owner: str = ""
    last_reviewed: str = ""  # as typed: 2026-12-01 or 01/12/2026


def lines_of(text: str) -> list[str]:
    return [line.rstrip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]


def _marked(text: str, marker: re.Pattern[str], mark: str) -> str:
    """The lines as written when any carries its marker ("1." for steps, "-" for
    bullets), or when there is one line: the editor chose the layout (groups, sub-notes,
    a paragraph). Otherwise every line gets one, so lines typed one per line make a list."""
    text = text.replace("\r\n", "\n").strip("\n")
    lines = lines_of(text)
    if len(lines) < 2 or any(marker.match(line) for line in lines):
        return "\n".join(line.rstrip() for line in text.split("\n"))
    return "\n".join(mark.format(n=n, line=line.strip()) for n, line in enumerate(lines, 1))


def from_article(article: Article) -> ArticleDraft:
    meta = article.meta
    others = [
        f"## {heading[:1].upper()}{heading[1:]}\n{text}"
        for heading, text in article.sections.items()
        if heading not in {STEPS_HEADING, FAILS_HEADING}
    ]
    return ArticleDraft(
        id=meta.id,
        title=meta.title,
        questions=list(meta.questions),
        tags=list(meta.tags),
        short_answer=article.short_answer,
        steps=article.sections.get(STEPS_HEADING, ""),
        other_sections="\n\n".join(others),
        if_fails=article.if_fails,
        sources=[(s.title, s.url) for s in meta.sources],
        related=list(meta.related),
        owner=meta.owner,
        last_reviewed=meta.last_reviewed.isoformat(),
    )


def _front_matter(draft: ArticleDraft) -> str:
    data: dict[str, object] = {
        "id": draft.id,
        "title": draft.title,
        "questions": draft.questions,
        "tags": draft.tags,
        "sources": [{"url": url, "title": title} for title, url in draft.sources],
        "last_reviewed": draft.last_reviewed,
        "owner": draft.owner,
        "related": draft.related,
    }
    dumped = yaml.safe_dump(
        data, allow_unicode=True, sort_keys=False, width=10_000, default_flow_style=False
    )
    # A typed date stays a date for the parser (yaml quotes "2026-12-01" given as text).
    return re.sub(r"^last_reviewed: '(.*)'$", r"last_reviewed: \1", dumped, flags=re.M)


def to_markdown(draft: ArticleDraft) -> str:
    body = [draft.short_answer.strip()]
    if draft.steps.strip():
        body.append("## Các bước\n" + _marked(draft.steps, _NUMBER, "{n}. {line}"))
    if draft.other_sections.strip():
        body.append(draft.other_sections.replace("\r\n", "\n").strip())
    if draft.if_fails.strip():
        body.append("## Nếu không được\n" + _marked(draft.if_fails, _BULLET, "- {line}"))
    return f"---\n{_front_matter(draft)}---\n" + "\n\n".join(body) + "\n"
