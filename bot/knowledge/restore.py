"""Put diacritics back on an unaccented query, from the knowledge base's own vocabulary.

Dense models lose most of their strength on text typed without accents. For each folded
syllable we know the accented forms the articles use; a Viterbi pass over syllable
bigram counts picks the likeliest sequence ("lam muc 2 xong thi biet ket qua bang cach
nao" -> "làm mức 2 xong thì biết kết quả bằng cách nào").
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable

from bot.text import fold, has_diacritics, normalize

_START = "<s>"


class DiacriticRestorer:
    def __init__(self, texts: Iterable[str]) -> None:
        self.unigrams: Counter[str] = Counter()
        self.bigrams: Counter[tuple[str, str]] = Counter()
        self.forms: dict[str, set[str]] = defaultdict(set)
        for text in texts:
            if not has_diacritics(text):
                continue  # unaccented examples would teach "thi" for "thì"
            words = normalize(text).split()
            self.unigrams.update(words)
            self.bigrams.update(zip([_START, *words], words, strict=False))
            for word in words:
                self.forms[fold(word)].add(word)
        self.total = sum(self.unigrams.values()) or 1
        self.vocabulary = len(self.unigrams) or 1

    def _logp(self, previous: str, word: str) -> float:
        # Interpolated bigram/unigram with add-one unigram smoothing.
        unigram = (self.unigrams[word] + 1) / (self.total + self.vocabulary)
        seen = self.unigrams[previous] if previous != _START else 0
        bigram = self.bigrams[(previous, word)] / seen if seen else 0.0
        return math.log(0.7 * bigram + 0.3 * unigram)

    def restore(self, text: str) -> str:
        """Restore diacritics of the unaccented syllables of ``normalize(text)``."""
        words = normalize(text).split()
        if not words:
            return ""
        # Syllables already accented (typed so, or expanded abbreviations) stay as they are.
        lattice = [sorted(self.forms.get(w) or {w}) if fold(w) == w else [w] for w in words]
        best: dict[str, tuple[float, list[str]]] = {_START: (0.0, [])}
        for candidates in lattice:
            step: dict[str, tuple[float, list[str]]] = {}
            for word in candidates:
                score, path = max(
                    ((s + self._logp(prev, word), p) for prev, (s, p) in best.items()),
                    key=lambda item: item[0],
                )
                step[word] = (score, [*path, word])
            best = step
        return " ".join(max(best.values(), key=lambda item: item[0])[1])
