"""Hybrid retrieval: BM25 over folded syllables and bigrams + dense e5 vectors, fused.

- Both sides go through the one normaliser (bot.text), so accents, teencode and
  abbreviations meet.
- A query typed without diacritics gets them restored from the knowledge base's own
  vocabulary before the dense search (dense models are weak on unaccented text).
- Reciprocal-rank fusion of the two article rankings; a logistic calibration over a few
  signals gives the probability that the top article is right (``confidence``).
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import faiss
import numpy as np
from rank_bm25 import BM25Okapi
from scipy import sparse

from bot.knowledge.articles import passage_fact_text, topic_text
from bot.knowledge.embeddings import Embedder, Vectors
from bot.knowledge.restore import DiacriticRestorer
from bot.nlu.arbitration import in_domain, procedure_areas
from bot.text import fold, has_diacritics, normalize

Mode = Literal["hybrid", "bm25", "dense"]
MODES: tuple[Mode, ...] = ("hybrid", "bm25", "dense")
RRF_K = 5.0
LINE_WEIGHT = 0.5  # of an article's best line in its dense score
# Apps residents confuse; a question naming one is not about an article whose title
# names only another ("lấy lại mật khẩu VssID" is not VNeID's password article).
APPS = ("vneid", "vssid", "ihanoi", "etax", "facebook", "zalo", "gmail", "tiktok", "shopee")
# A question naming an area of procedure its best article is not about ("làm sổ đỏ lần
# đầu" -> the article on certifying contracts) is not answered unless this sure.
AREA_OVERRIDE = 0.8
# The tag of articles whose procedure applies whatever the area (chứng thực, tố cáo…).
ANY_AREA = "moi linh vuc"
ANY_AREA_PROCEDURE = re.compile(r"\b(?:chung thuc|sao y|to cao|khieu nai|phan anh|kien nghi)\b")
# Off-topic messages ("giá vàng hôm nay") are answered only when the search is this sure.
OFF_TOPIC_OVERRIDE = 0.6
DENSE_MAX_SYLLABLES = 32
FEATURES = (
    "dense_top",
    "dense_question",
    "dense_gap",
    "coverage",
    "bigram_coverage",
    "missing_idf",
    "agreement",
    "fused_gap",
    "bm25_gap",
    "coverage_gap",
    "question_coverage",
)
# dense_gap and fused_gap are still reported (kb search) but not calibrated on: they
# collapse to zero between near-twin articles and made the model punish right answers.
# question_coverage is a rule, not a weight (``confident``): leaving each question out
# of the index, as calibration must, hides what it measures.
CALIBRATED = tuple(f for f in FEATURES if f not in {"dense_gap", "fused_gap", "question_coverage"})
QUERY_CACHE = 4096  # query embeddings kept (384 floats each: about 6 MB)
SHORT_QUERY = 8  # syllables: a short message wholly inside one listed question is answered


def bm25_tokens(text: str) -> list[str]:
    """Folded syllables plus syllable bigrams ("dang_ky"): Vietnamese words are mostly
    two syllables, so bigrams recover word-level matches."""
    syllables = fold(text).split()
    return syllables + [f"{a}_{b}" for a, b in itertools.pairwise(syllables)]


def accented_tokens(text: str) -> list[str]:
    """Syllables and bigrams with their tone marks: "khai tử" is not "khai tự" or "khái
    tu", which folding makes one word."""
    syllables = normalize(text).split()
    return syllables + [f"{a}_{b}" for a, b in itertools.pairwise(syllables)]


ACCENT_WEIGHT = 0.25  # of the accented BM25 in an article's BM25 score


QUESTION_SENTENCES = 2
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")


def question_part(query: str) -> str | None:
    """A long message's last sentences, where residents ask after telling their story
    ("Hôm đi chợ bác bị móc túi… Giờ làm lại thẻ thì phải đóng bao nhiêu tiền?"); None
    when the message is no longer than that."""
    sentences = [s for s in _SENTENCE_END.split(query.strip()) if s]
    if len(sentences) <= QUESTION_SENTENCES:
        return None
    return " ".join(sentences[-QUESTION_SENTENCES:])


READING_MIN_SYLLABLES = 4


def question_readings(query: str) -> list[str]:
    """A message of several sentences read by its question alone: its last sentence and
    its last two. Residents tell their story first ("Hôm đi chợ bác bị móc túi mất cả ví
    lẫn thẻ căn cước. Giờ làm lại thẻ thì phải đóng bao nhiêu tiền?"); the story's words
    lower every score of the whole message. Readings too short to stand alone are left out."""
    whole = query.strip()
    sentences = [s for s in _SENTENCE_END.split(whole) if s]
    if len(sentences) < 2:
        return []
    readings = dict.fromkeys([sentences[-1], " ".join(sentences[-2:])])
    return [r for r in readings if r != whole and len(r.split()) >= READING_MIN_SYLLABLES]


def query_tokens(query: str) -> list[str]:
    """A message's BM25 tokens, its question part counted twice: the story's words
    otherwise pull towards other articles."""
    tokens = bm25_tokens(query)
    asked = question_part(query)
    return tokens + bm25_tokens(asked) if asked else tokens


@dataclass
class Hit:
    article_id: str
    title: str
    score: float
    bm25_rank: int
    dense_rank: int
    bm25: float
    dense: float

    @property
    def found_by(self) -> str:
        signals = [
            name
            for name, rank in (("bm25", self.bm25_rank), ("dense", self.dense_rank))
            if rank <= 3
        ]
        return "+".join(signals) or "fusion"


@dataclass(frozen=True)
class PassageSignal:
    article: str
    passage: int  # index in the article's passages
    dense: float  # cosine with the query
    words: float  # the query's words in the line, weighted by how rare they are in its article
    folded: str | None = None  # what the line states, folded (None: fold when needed)


@dataclass
class SearchResult:
    query: str
    dense_query: str
    mode: Mode
    hits: list[Hit]
    confidence: float
    features: dict[str, float] = field(default_factory=dict)
    vector: Vectors | None = None  # the query's embedding (None in BM25-only mode)
    reading: str | None = None  # the part of the message searched, when not all of it

    @property
    def top(self) -> Hit | None:
        return self.hits[0] if self.hits else None


class Bm25Matrix:
    """rank-bm25's Okapi BM25, with every document-term weight precomputed in a sparse
    matrix: a query then costs a column sum, not a Python loop over the documents
    (8 ms -> well under 1 ms for a long question over ~600 units)."""

    def __init__(self, documents: list[list[str]]) -> None:
        model = BM25Okapi(documents)
        self.idf: dict[str, float] = model.idf
        self.vocabulary = {term: i for i, term in enumerate(sorted(model.idf))}
        rows, cols, weights = [], [], []
        for doc, (freqs, length) in enumerate(zip(model.doc_freqs, model.doc_len, strict=True)):
            norm = model.k1 * (1 - model.b + model.b * length / model.avgdl)
            for term, tf in freqs.items():
                rows.append(doc)
                cols.append(self.vocabulary[term])
                weights.append(model.idf[term] * tf * (model.k1 + 1) / (tf + norm))
        self.matrix = sparse.csc_matrix(
            (weights, (rows, cols)), shape=(len(documents), len(self.vocabulary))
        )

    def scores(self, tokens: list[str]) -> np.ndarray:
        ids = [self.vocabulary[t] for t in tokens if t in self.vocabulary]
        if not ids:
            return np.zeros(self.matrix.shape[0])
        return np.asarray(self.matrix[:, ids].sum(axis=1)).ravel()


def _ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of each entry, best (highest) first."""
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores), dtype=np.int64)
    ranks[order] = np.arange(1, len(scores) + 1)
    return ranks


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, x))))


class Searcher:
    """An immutable loaded build; the service swaps whole Searchers on reload."""

    def __init__(self, build_dir: Path, embedder: Embedder) -> None:
        meta = json.loads((build_dir / "meta.json").read_text("utf-8"))
        if meta.get("model") != embedder.name:
            raise ValueError(
                f"index {build_dir} was built with {meta.get('model')!r} but the embedder is "
                f"{embedder.name!r}: run `kb build` again"
            )
        self.build_dir = build_dir
        self.embedder = embedder
        self.meta = meta
        self.articles: dict[str, dict[str, Any]] = {a["id"]: a for a in meta["articles"]}
        self.article_ids: list[str] = [a["id"] for a in meta["articles"]]
        position = {aid: i for i, aid in enumerate(self.article_ids)}
        # Passage units (an article's lines) only choose the line an answer opens with;
        # articles are ranked on the other units, which the faiss index holds.
        all_units: list[dict[str, Any]] = meta["units"]
        self.units: list[dict[str, Any]] = [u for u in all_units if u["kind"] != "passage"]
        passage_rows = [i for i, u in enumerate(all_units) if u["kind"] == "passage"]
        self.passage_units = [all_units[i] for i in passage_rows]
        self.passage_vectors = (
            np.asarray(np.load(build_dir / "vectors.npy", mmap_mode="r")[passage_rows], np.float32)
            if passage_rows
            else np.zeros((0, 1), np.float32)
        )
        # What each article is about, folded: its title and its tags. An area of
        # procedure named in passing (the short answer of the ID-card article mentions
        # "sát hạch", the tax-code one "hộ kinh doanh") does not count.
        self.article_text: dict[str, str] = {
            a["id"]: topic_text(a["title"], a.get("tags", [])) for a in meta["articles"]
        }
        self.title_apps = [
            {app for app in APPS if app in fold(self.articles[a]["title"]).split()}
            for a in self.article_ids
        ]
        self.passage_article = np.array(
            [position[u["article"]] for u in self.passage_units], dtype=np.int64
        )
        # Folded once here, not for every question ("does this line state a fee?").
        self.passage_folded = [
            passage_fact_text(self.articles[u["article"]]["passages"][u["passage"]])
            for u in self.passage_units
        ]
        self.passage_terms = [frozenset(bm25_tokens(text)) for text in self.passage_folded]
        grouped: dict[str, list[int]] = {}
        for row, unit in enumerate(self.passage_units):
            grouped.setdefault(unit["article"], []).append(row)
        self.article_passages = {k: np.array(v) for k, v in grouped.items()}
        self.unit_article = np.array([position[u["article"]] for u in self.units], dtype=np.int64)
        self.index = faiss.read_index(str(build_dir / "index.faiss"))
        self.is_question = np.array([u["kind"] in {"question", "title"} for u in self.units])
        unit_tokens = [bm25_tokens(u["text"]) for u in self.units]
        self.unit_terms = [set(tokens) for tokens in unit_tokens]
        self.article_units: list[list[int]] = [[] for _ in self.article_ids]
        # Article-level BM25 over the article's own text; residents' alternative
        # questions count through the best single unit instead, so that calibration can
        # leave a question out without it leaking back in through the article.
        article_tokens: list[list[str]] = [[] for _ in self.article_ids]
        for i, tokens in enumerate(unit_tokens):
            self.article_units[self.unit_article[i]].append(i)
            if self.units[i]["kind"] != "question":
                article_tokens[self.unit_article[i]].extend(tokens)
        self.bm25 = Bm25Matrix(article_tokens)
        self.bm25_units = Bm25Matrix(unit_tokens)
        # The same over accented text: a question typed with accents, or restored from
        # unaccented text, matches its exact words more sharply.
        unit_accented = [accented_tokens(u["text"]) for u in self.units]
        article_accented: list[list[str]] = [[] for _ in self.article_ids]
        for i, tokens in enumerate(unit_accented):
            if self.units[i]["kind"] != "question":
                article_accented[self.unit_article[i]].extend(tokens)
        self.bm25_accented = Bm25Matrix(article_accented)
        self.bm25_units_accented = Bm25Matrix(unit_accented)
        self.restorer = DiacriticRestorer(u["text"] for u in self.units)
        self.calibration: dict[str, Any] = meta.get("calibration") or {}
        # Query embeddings by normalised text: button payloads and the questions many
        # residents ask ("quên mật khẩu vneid") are embedded once (about 15 ms each).
        self._embed = functools.lru_cache(maxsize=QUERY_CACHE)(self._embed_uncached)
        # The query with its accents (typed, or restored): read by the dense search and by
        # the accented BM25 of the same message, restored once.
        self._accented = functools.lru_cache(maxsize=QUERY_CACHE)(self._accented_uncached)

    # -- signals -------------------------------------------------------------------------
    def _accented_uncached(self, text: str) -> str:
        return normalize(text) if has_diacritics(text) else self.restorer.restore(text)

    def dense_query_text(self, query: str) -> str:
        text = self._accented(query)
        # Embedding time grows with length; a rambling message's last syllables hold
        # its question ("... giờ phải làm sao"), and BM25 still reads every word.
        return " ".join(text.split()[-DENSE_MAX_SYLLABLES:])

    def accented_query_tokens(self, query: str) -> list[str]:
        """The query's accented tokens (restored when typed without accents), its
        question part counted twice as in ``query_tokens``."""
        tokens = accented_tokens(self._accented(query))
        asked = question_part(query)
        return tokens + accented_tokens(self._accented(asked)) if asked else tokens

    def embed_query(self, query: str) -> Vectors:
        return self._embed(self.dense_query_text(query))

    def _embed_uncached(self, dense_text: str) -> Vectors:
        vector = self.embedder.queries([dense_text])
        vector.setflags(write=False)  # shared by every caller of the cache
        return vector

    def _dense_scores(self, vector: Vectors, exclude: set[int]) -> tuple[np.ndarray, np.ndarray]:
        """Per article: the best unit's cosine, and the best title/question's cosine
        (question-to-question similarity is the sharper in-scope signal)."""
        sims = np.full(len(self.units), -1.0)
        scores, rows = self.index.search(vector.reshape(1, -1), self.index.ntotal)
        valid = rows[0] >= 0
        sims[rows[0][valid]] = scores[0][valid]
        if exclude:
            sims[list(exclude)] = -1.0
        best = np.full(len(self.article_ids), -1.0)
        np.maximum.at(best, self.unit_article, sims)
        best_question = np.full(len(self.article_ids), -1.0)
        np.maximum.at(best_question, self.unit_article, np.where(self.is_question, sims, -1.0))
        if len(self.passage_units):
            # The article's single best line counts too: residents ask for one fact, and a
            # line states it more sharply than a section chunk does.
            lines = self.passage_vectors @ np.asarray(vector, np.float32).ravel()
            best_line = np.full(len(self.article_ids), -1.0)
            np.maximum.at(best_line, self.passage_article, lines)
            best = best + LINE_WEIGHT * best_line
        return best, best_question

    def _bm25_scores(
        self, tokens: list[str], exclude: set[int], accented: list[str] | None = None
    ) -> np.ndarray:
        # Article-level BM25 (title, questions and body together) plus the best single
        # unit, so a resident's phrasing that matches one alternative question counts;
        # the same over accented words, weighted less (restored accents can be wrong).
        def score(articles: Bm25Matrix, units: Bm25Matrix, query: list[str]) -> np.ndarray:
            article = articles.scores(query)
            unit = units.scores(query)
            if exclude:
                unit[list(exclude)] = 0.0
            best_unit = np.zeros(len(self.article_ids))
            np.maximum.at(best_unit, self.unit_article, unit)
            return article + best_unit

        total = score(self.bm25, self.bm25_units, tokens)
        if accented:
            total += ACCENT_WEIGHT * score(self.bm25_accented, self.bm25_units_accented, accented)
        return total

    def _coverage(
        self, tokens: list[str], article: int, exclude: set[int]
    ) -> tuple[float, float, float]:
        """IDF-weighted share of the query's syllables, and of its bigrams, found in the
        article; and the rarest query syllable the article lacks (0-1). Out-of-scope
        questions that merely share common syllables ("sổ đỏ" vs "số điện thoại") fail
        on bigrams and on their one rare, missing word."""
        unseen = math.log(len(self.article_ids) + 1.0)
        terms: set[str] = set().union(
            *(self.unit_terms[i] for i in self.article_units[article] if i not in exclude)
        )

        def share(items: list[str]) -> float:
            if not items:
                return 0.0
            weights = [max(self.bm25.idf.get(t, unseen), 0.0) for t in items]
            found = sum(w for t, w in zip(items, weights, strict=True) if t in terms)
            return float(found / (sum(weights) or 1.0))

        syllables = [t for t in tokens if "_" not in t]
        bigrams = [t for t in tokens if "_" in t]
        missing = [self.bm25.idf.get(t, unseen) for t in syllables if t not in terms]
        return share(syllables), share(bigrams), max(missing, default=0.0) / unseen

    def _question_coverage(self, tokens: list[str], article: int, exclude: set[int]) -> float:
        """The IDF-weighted share of the query's syllables and bigrams that one single
        alternative question (or the title) of the article holds: "quên mật khẩu vneid"
        is all inside "Quên mật khẩu VNeID thì lấy lại bằng cách nào?", while a question
        no article covers only gathers its words from many places."""
        unseen = math.log(len(self.article_ids) + 1.0)
        weights = {t: max(self.bm25.idf.get(t, unseen), 0.0) for t in tokens}
        total = sum(weights.values()) or 1.0
        best = 0.0
        for i in self.article_units[article]:
            if i in exclude or not self.is_question[i]:
                continue
            terms = self.unit_terms[i]
            best = max(best, sum(w for t, w in weights.items() if t in terms) / total)
        return float(best)

    # -- search --------------------------------------------------------------------------
    def search(
        self,
        query: str,
        mode: Mode = "hybrid",
        k: int = 5,
        exclude_units: set[int] | None = None,
        query_vector: Vectors | None = None,
        exclude_articles: set[str] | None = None,
    ) -> SearchResult:
        exclude = exclude_units or set()
        tokens = query_tokens(query)
        dense_text = self.dense_query_text(query)
        vector: Vectors | None = None
        if mode == "bm25":
            dense = dense_question = np.zeros(len(self.article_ids))
        else:
            vector = query_vector if query_vector is not None else self._embed(dense_text)
            dense, dense_question = self._dense_scores(vector, exclude)
        bm25 = (
            self._bm25_scores(tokens, exclude, self.accented_query_tokens(query))
            if mode != "dense"
            else np.zeros(len(dense))
        )
        bm25_rank, dense_rank = _ranks(bm25), _ranks(dense)
        if mode == "hybrid":
            fused = 1.0 / (RRF_K + bm25_rank) + 1.0 / (RRF_K + dense_rank)
            # Ties are common with two rankings (each list's #1 scores the same): break
            # them by the raw scores, each scaled to its best.
            fused += 1e-3 * (bm25 / (bm25.max() or 1.0) + dense / (abs(dense.max()) or 1.0))
            if not tokens or bm25.max() <= 0:
                fused = 1.0 / (RRF_K + dense_rank)
        else:
            fused = bm25 if mode == "bm25" else dense
        named = {app for app in APPS if app in tokens}
        if named:
            fused = np.where(self.title_apps_differ(named), fused - 1.0, fused)
        for article_id in exclude_articles or ():
            fused[self.article_ids.index(article_id)] = -np.inf
        # Features read the whole ranking (the runner-up included) whatever ``k`` is, so
        # that calibration (k=1) sees what serving sees.
        ranking = np.argsort(-fused, kind="stable")
        order = ranking[:k]
        hits = [
            Hit(
                article_id=self.article_ids[i],
                title=self.articles[self.article_ids[i]]["title"],
                score=float(fused[i]),
                bm25_rank=int(bm25_rank[i]),
                dense_rank=int(dense_rank[i]),
                bm25=float(bm25[i]),
                dense=float(dense[i]),
            )
            for i in order
        ]
        features = self._features(tokens, fused, bm25, dense, ranking[:2], exclude)
        features["dense_question"] = float(dense_question[order[0]])
        return SearchResult(
            query=query,
            dense_query=dense_text,
            mode=mode,
            hits=hits,
            confidence=self._confidence(mode, features),
            features=features,
            vector=vector,
        )

    def title_apps_differ(self, named: set[str]) -> np.ndarray:
        """Per article: its title names an app, and none of the ``named`` ones."""
        return np.array([bool(apps) and not (apps & named) for apps in self.title_apps])

    def on_topic(self, article_id: str, question: str) -> bool:
        """Every area of procedure the question names (bot.nlu.arbitration) is one the
        article is about (its title or one of its tags names it). An article tagged
        ``moi-linh-vuc`` applies to papers and officials of any area when the question
        asks for that procedure (certifying a copy of a diploma, denouncing a land
        official): the area named is its subject, not a procedure it lacks. Asking for a
        new copy of a lost diploma names no such procedure: no guide."""
        text = self.article_text.get(article_id)
        if text is None:
            return True
        if f" {ANY_AREA} " in text and ANY_AREA_PROCEDURE.search(fold(question)):
            return True
        return all(f" {area} " in text for area in procedure_areas(question))

    def confident(self, result: SearchResult, threshold: float) -> bool:
        """Whether to answer with the top article: over the threshold (or a short message
        wholly inside one of its listed questions), in the domain and on its topic."""
        if result.top is None:
            return False
        if result.confidence < threshold and not (
            result.features.get("question_coverage", 0.0) >= 1.0
            and len(fold(result.query).split()) <= SHORT_QUERY
        ):
            return False
        # Off-topic messages ("giá vàng hôm nay") and questions about an area of procedure
        # the article is not about are answered only when the search is very sure.
        if result.confidence < OFF_TOPIC_OVERRIDE and not in_domain(result.query):
            return False
        return result.confidence >= AREA_OVERRIDE or self.on_topic(
            result.top.article_id, result.query
        )

    def passage_signals(self, result: SearchResult, article_ids: list[str]) -> list[PassageSignal]:
        """How well each line of the given articles matches the query: cosine with the
        query's embedding, and the query's words it holds, each weighted by its rarity
        among the article's lines. Every line of the licence-renewal article is about the
        licence; one says "ảnh chân dung", and that one answers a question on the photo."""
        query = set(bm25_tokens(result.query))
        vector = None if result.vector is None else np.asarray(result.vector, np.float32).ravel()
        signals: list[PassageSignal] = []
        for article in article_ids:
            rows = list(self.article_passages.get(article, []))
            if not rows:
                continue
            dense = (
                self.passage_vectors[rows] @ vector if vector is not None else np.zeros(len(rows))
            )
            terms = [self.passage_terms[row] for row in rows]
            counts = {t: sum(t in line for line in terms) for t in query}
            # A word in every line tells none apart.
            rarity = {
                t: math.log((len(rows) + 1) / (n + 0.5))
                for t, n in counts.items()
                if 0 < n < len(rows)
            }
            for row, cosine, line in zip(rows, dense, terms, strict=True):
                signals.append(
                    PassageSignal(
                        article,
                        int(self.passage_units[row]["passage"]),
                        float(cosine),
                        sum(rarity.get(t, 0.0) for t in line & query),
                        self.passage_folded[row],
                    )
                )
        return signals

    def _features(
        self,
        tokens: list[str],
        fused: np.ndarray,
        bm25: np.ndarray,
        dense: np.ndarray,
        order: np.ndarray,
        exclude: set[int],
    ) -> dict[str, float]:
        top = int(order[0])
        others = np.delete(np.arange(len(fused)), top)
        dense_gap = float(dense[top] - dense[others].max()) if len(others) else 0.0
        second = float(fused[order[1]]) if len(order) > 1 else 0.0
        bm25_gap = (
            float((bm25[top] - bm25[others].max()) / (bm25.max() or 1.0)) if len(others) else 0.0
        )
        coverage, bigram_coverage, missing_idf = self._coverage(tokens, top, exclude)
        # Near-twin articles (VNeID's and VssID's password) leave every score gap near
        # zero; the words the runner-up lacks ("vneid") still tell them apart.
        runner_up = int(order[1]) if len(order) > 1 else top
        other, other_bigrams, _ = self._coverage(tokens, runner_up, exclude)
        return {
            "question_coverage": self._question_coverage(tokens, top, exclude),
            "coverage_gap": (coverage - other) + (bigram_coverage - other_bigrams),
            "dense_top": float(dense[top]),
            "dense_gap": dense_gap,
            "coverage": coverage,
            "bigram_coverage": bigram_coverage,
            "missing_idf": missing_idf,
            "agreement": float(_ranks(bm25)[top] == 1 and _ranks(dense)[top] == 1),
            "fused_gap": float((fused[top] - second) / (abs(fused[top]) or 1.0)),
            "bm25_gap": bm25_gap,
        }

    def _confidence(self, mode: Mode, features: dict[str, float]) -> float:
        model = self.calibration.get(mode)
        if not model:
            return 1.0  # uncalibrated index (tests building tiny indexes): trust the top hit
        z = model["intercept"] + sum(
            w * features[name] for name, w in zip(model["features"], model["weights"], strict=True)
        )
        return _sigmoid(z)

    def threshold(self, mode: Mode = "hybrid") -> float:
        model = self.calibration.get(mode) or {}
        return float(model.get("threshold", 0.5))
