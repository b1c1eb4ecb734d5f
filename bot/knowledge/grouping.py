"""Residents' questions that went wrong, grouped by meaning for the editors' inbox.

The same need comes in many wordings ("quen mk vneid", "Quên mật khẩu VNeID phải làm
sao"): grouped by the cosine of their e5 query embeddings, greedily, the most asked
wording first, so each group opens with the wording residents use most. Each question is
embedded as the search reads it (accents restored, teencode expanded): raw, "quen mk
vneid" sits as close to "kich hoat vneid muc 2" (0.91) as to its own paraphrase. Counted by
distinct residents: one script sending the same text a thousand times is one resident.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from bot.knowledge.embeddings import Embedder, Vectors
from bot.text import fold

# e5-small on the search's reading: wordings of one question score 0.95-0.98; different
# needs about the same app up to 0.93 ("quên mật khẩu vneid" / "đổi số điện thoại vneid").
SAME_QUESTION = 0.94


@dataclass(frozen=True)
class Miss:
    """One question that went wrong (masked), from one of the sources below."""

    question: str
    source: str  # unsure | not_covered | refused | unhelpful | handoff
    channel: str
    resident: str  # digest; "" for rows recorded before residents were counted
    at: datetime
    article: str | None = None  # the article the resident found unhelpful / the best guess
    key: str = ""  # the question folded (``fold``), as stored; computed when empty

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", fold(self.question)[:500])


SOURCES = {
    "unsure": "Trợ lý chưa chắc",
    "not_covered": "Chưa có bài",
    "refused": "Bị từ chối là ngoài phạm vi",
    "unhelpful": "Người dân bấm “Chưa hữu ích”",
    "handoff": "Phải chuyển cho tổ hỗ trợ",
}


@dataclass
class MissGroup:
    question: str  # the wording asked most
    keys: list[str]  # every wording, folded (what an editor's decision is recorded by)
    wordings: list[str]  # other wordings, most asked first
    residents: int
    times: int
    sources: Counter[str] = field(default_factory=Counter)
    channels: set[str] = field(default_factory=set)
    articles: Counter[str] = field(default_factory=Counter)  # guesses and unhelpful ones
    last_at: datetime | None = None
    answered_by: str | None = None  # the current index now answers it confidently


class VectorCache:
    """Query vectors by text, bounded: the inbox page embeds only new questions."""

    def __init__(self, embedder: Embedder, size: int = 20_000) -> None:
        self.embedder, self.size = embedder, size
        self._vectors: dict[str, np.ndarray] = {}

    def get(self, texts: list[str]) -> Vectors:
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            for text, vector in zip(missing, self.embedder.queries(missing), strict=True):
                if len(self._vectors) >= self.size:
                    self._vectors.pop(next(iter(self._vectors)))
                self._vectors[text] = np.asarray(vector, np.float32)
        if not texts:
            return np.zeros((0, 1), np.float32)
        return np.stack([self._vectors[t] for t in texts]).astype(np.float32)


def group_misses(
    misses: list[Miss],
    vectors: VectorCache,
    reading: Callable[[str], str],
    threshold: float = SAME_QUESTION,
) -> list[MissGroup]:
    """``reading``: how the search reads a question (``Searcher.dense_query_text``)."""
    by_key: dict[str, list[Miss]] = {}
    for miss in misses:
        by_key.setdefault(miss.key, []).append(miss)

    def residents(rows: list[Miss]) -> int:
        return len({m.resident or f"row:{id(m)}" for m in rows})

    keys = sorted(by_key, key=lambda k: (-residents(by_key[k]), -len(by_key[k]), k))
    matrix = vectors.get([reading(by_key[k][0].question) for k in keys])
    heads: list[int] = []  # index in keys of each group's first wording
    members: list[list[str]] = []
    for i, key in enumerate(keys):
        if heads:
            scores = matrix[heads] @ matrix[i]
            best = int(np.argmax(scores))
            if scores[best] >= threshold:
                members[best].append(key)
                continue
        heads.append(i)
        members.append([key])
    groups: list[MissGroup] = []
    for wordings in members:
        rows = [m for key in wordings for m in by_key[key]]
        group = MissGroup(
            question=by_key[wordings[0]][0].question,
            keys=wordings,
            wordings=[by_key[k][0].question for k in wordings[1:]],
            residents=residents(rows),
            times=len(rows),
            sources=Counter(m.source for m in rows),
            channels={m.channel for m in rows},
            articles=Counter(m.article for m in rows if m.article),
            last_at=max(m.at for m in rows),
        )
        groups.append(group)
    return sorted(groups, key=lambda g: (-g.residents, -g.times))
