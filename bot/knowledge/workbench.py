"""What the console's editor pages ask of the knowledge base: the checks on a draft, a
question tried against the draft before publishing, and publishing itself.

The embedding model is loaded on first use (the gateway only needs it when an editor
works). A draft is tried on a private copy of the live index with the draft article in
place: only its changed lines are embedded, the live calibration is kept, nothing the
residents use is touched.
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from bot.knowledge.answer import Message
from bot.knowledge.articles import Article
from bot.knowledge.calibration import QueryCache
from bot.knowledge.embeddings import Embedder, Vectors
from bot.knowledge.grouping import Miss, MissGroup, VectorCache, group_misses
from bot.knowledge.index import BuildStats, build_index, current_build
from bot.knowledge.lint import Problem, lint_articles
from bot.knowledge.publishing import Recalibration, build_published
from bot.knowledge.responder import Outcome, Responder
from bot.knowledge.search import Searcher
from bot.knowledge.service import KnowledgeBase
from bot.knowledge.store import article_path, parse_all, published_texts
from bot.settings import Settings

OUTCOMES = {
    Outcome.ANSWER: "Trả lời",
    Outcome.UNSURE: "Chưa chắc: gợi ý các bài gần nhất và mời gặp người hỗ trợ",
    Outcome.NOT_COVERED: "Chưa có hướng dẫn: nói rõ và chỉ nơi hỏi",
    Outcome.OFF_TOPIC: "Ngoài phạm vi dịch vụ công: từ chối lịch sự",
}


@dataclass(frozen=True)
class Trial:
    """A question tried against a draft."""

    question: str
    outcome: str  # the Vietnamese label
    answered_by: str | None  # article id
    confidence: float
    threshold: float
    messages: list[Message]
    top: list[tuple[str, str, float]]  # (article id, title, fused score)


class Workbench:
    def __init__(self, settings: Settings, load_embedder: Callable[[], Embedder]) -> None:
        self.settings = settings
        self._load_embedder = load_embedder
        self._embedder: Embedder | None = None
        self._live: KnowledgeBase | None = None
        self._vectors: VectorCache | None = None
        self._queries: QueryCache | None = None  # read once, grown in memory, never saved
        self._lock = threading.Lock()
        self.recalibration = Recalibration(settings, self.embedder)

    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = self._load_embedder()
                self._live = KnowledgeBase(self.settings.kb_index_path, self._embedder)
                self._vectors = VectorCache(self._embedder)
            return self._embedder

    def query_vectors(self, texts: list[str]) -> Vectors:
        """Query vectors, from the calibration's cache beside the index where it has them
        (every alternative question of the last build), embedded otherwise."""
        embedder = self.embedder()
        with self._lock:
            if self._queries is None:
                self._queries = QueryCache(
                    self.settings.kb_index_path / "query-cache.npz", embedder
                )
            return self._queries.get(texts)

    def live(self) -> Searcher:
        """The index residents are answered from (reloaded after every publish)."""
        self.embedder()
        assert self._live is not None
        return self._live.searcher()

    # -- the inbox of questions that went wrong -------------------------------------------
    def groups(self, misses: list[Miss]) -> list[MissGroup]:
        """Grouped by meaning; a group the live index now answers confidently names the
        article that answers it."""
        searcher = self.live()
        assert self._vectors is not None
        groups = group_misses(misses, self._vectors, searcher.dense_query_text)
        for group in groups:
            group.answered_by = self.answers(group.question)[0]
        return groups

    def responder(self, searcher: Searcher) -> Responder:
        """As the action server answers (the same settings)."""
        return Responder(
            searcher, self.settings.kb_confidence_threshold, self.settings.kb_not_covered_below
        )

    def answers(self, question: str) -> tuple[str | None, float]:
        """The article the live index answers ``question`` with (None: not confident)."""
        reply = self.responder(self.live()).decide(question)
        confidence = reply.result.confidence if reply.result is not None else 0.0
        return reply.article_id, confidence

    # -- checks ---------------------------------------------------------------------------
    def with_draft(
        self, session: Session, article_id: str, text: str
    ) -> tuple[list[Article], list[Problem]]:
        """Every published article with the draft in its place, and the draft's problems
        (checked against the others: duplicate questions, links, related)."""
        texts = published_texts(session)
        texts[article_id] = text
        articles, errors = parse_all(texts)
        problems = [
            p
            for p in lint_articles(articles, errors, self.settings.kb_stale_after_days)
            if p.path == article_path(article_id)
        ]
        return articles, problems

    def closeness(self, searcher: Searcher, article_id: str) -> list[Problem]:
        """Alternative questions the search would give to another article: each one
        searched with itself left out, as the calibration does (and with its vectors:
        only a new question is embedded)."""
        problems: list[Problem] = []
        own = [
            (i, unit)
            for i, unit in enumerate(searcher.units)
            if unit["article"] == article_id and unit["kind"] == "question"
        ]
        vectors = self.query_vectors([searcher.dense_query_text(u["text"]) for _, u in own])
        for (i, unit), vector in zip(own, vectors, strict=True):
            top = searcher.search(unit["text"], k=1, exclude_units={i}, query_vector=vector).top
            if top is not None and top.article_id != article_id:
                problems.append(
                    Problem(
                        article_path(article_id),
                        0,
                        "warning",
                        f"câu hỏi “{unit['text']}” gần với bài “{top.title}” ({top.article_id}) "
                        "hơn bài này: viết rõ hơn, hoặc chuyển nó sang bài kia",
                        "questions",
                    )
                )
        return problems

    # -- trying a draft -------------------------------------------------------------------
    def draft_searcher(self, articles: list[Article], workdir: Path) -> Searcher:
        live = current_build(self.settings.kb_index_path)
        calibration = (
            json.loads((live / "meta.json").read_text("utf-8")).get("calibration")
            if live is not None
            else None
        )
        embedder = self.embedder()
        stats = build_index(
            articles,
            embedder,
            workdir,
            calibrate=(lambda _staging: calibration) if calibration else None,
            reuse_from=self.settings.kb_index_path,
        )
        return Searcher(stats.directory, embedder)

    def check_and_try(
        self, session: Session, article_id: str, text: str, question: str = ""
    ) -> tuple[list[Problem], Trial | None]:
        """The draft's problems; when it has no errors, also the questions closer to
        another article and, given a question, the reply it would get."""
        articles, problems = self.with_draft(session, article_id, text)
        if any(p.level == "error" for p in problems):
            return problems, None
        with tempfile.TemporaryDirectory(prefix="kb-draft-") as workdir:
            searcher = self.draft_searcher(articles, Path(workdir))
            problems += self.closeness(searcher, article_id)
            trial = self._try(searcher, question) if question.strip() else None
        return problems, trial

    def _try(self, searcher: Searcher, question: str) -> Trial:
        responder = self.responder(searcher)
        reply = responder.decide(question)
        result = reply.result
        top = [(h.article_id, h.title, h.score) for h in (result.hits[:3] if result else [])]
        return Trial(
            question=question,
            outcome=OUTCOMES[reply.outcome],
            answered_by=reply.article_id,
            confidence=result.confidence if result else 0.0,
            threshold=responder.threshold,
            messages=reply.messages,
            top=top,
        )

    # -- publishing -----------------------------------------------------------------------
    def publish_index(self) -> BuildStats:
        """Build and switch the index to what the database now publishes, keeping the
        current calibration (about a second); the full build follows in the background."""
        stats = build_published(self.settings, self.embedder(), keep_calibration=True)
        if self.settings.kb_recalibrate_after_publish:
            self.recalibration.request()
        return stats
