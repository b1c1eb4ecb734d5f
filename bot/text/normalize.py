"""The project's one Vietnamese text normaliser, used by NLU, indexing and search.

Standard library only: the Rasa venv (Python 3.10) imports it from bot/ without the
3.11 stack.

- ``normalize(text)``: the canonical accented form — NFC, one tone-mark placement,
  lower case, punctuation to spaces (dots/hyphens/slashes inside a token are kept so
  application codes, dates and URLs survive), chat abbreviations expanded.
- ``fold(text)``: ``normalize`` without diacritics ("kích hoạt" -> "kich hoat",
  đ -> d). Residents often type without accents; the folded form is the key on which
  accented and unaccented text meet.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from bot.text.abbreviations import ABBREVIATIONS

# Combining tone marks (after NFD). Other marks (circumflex, breve, horn) are part of
# the vowel letter and never move.
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
_VOWELS = frozenset("aăâeêioôơuưy")
# Vowels that carry the tone whenever they appear in the nucleus.
_MARKED_VOWELS = frozenset("ăâêôơư")
# Characters kept inside a token when they sit between two letters or digits.
_JOINERS = frozenset(".-/_@:")
_SYLLABLE = re.compile(r"^[a-zđăâêôơư\u0300-\u036f]+$")


def _is_word_char(ch: str) -> bool:
    # Combining marks count as word characters so that a mark never splits a word.
    return ch.isalnum() or unicodedata.category(ch).startswith("M")


def _clean_punctuation(text: str) -> str:
    """Replace punctuation and symbols with spaces, keeping in-token joiners."""
    out: list[str] = []
    n = len(text)
    for i, ch in enumerate(text):
        if _is_word_char(ch) or (
            ch in _JOINERS
            and 0 < i < n - 1
            and _is_word_char(text[i - 1])
            and _is_word_char(text[i + 1])
        ):
            out.append(ch)
        else:
            out.append(" ")
    return " ".join("".join(out).split())


def _tone_index(letters: str) -> int | None:
    """Index in ``letters`` (a toneless lower-case syllable) of the tone-bearing vowel.

    Open syllables with two vowels take the tone on the first one ("hòa", "thúy",
    "mái"); with a final consonant, on the second ("hoàng"). Marked vowels (ê, ơ, â…)
    always win, the last one for "ươ" ("người").
    """
    start = 0
    if letters.startswith("qu") or (
        letters.startswith("gi") and len(letters) > 2 and letters[2] in _VOWELS
    ):
        start = 2
    while start < len(letters) and letters[start] not in _VOWELS:
        start += 1
    if start >= len(letters):
        # "gì", "qu" alone: the i/u is the nucleus after all.
        for i in range(len(letters) - 1, -1, -1):
            if letters[i] in _VOWELS:
                return i
        return None
    end = start
    while end < len(letters) and letters[end] in _VOWELS:
        end += 1
    nucleus = range(start, end)
    marked = [i for i in nucleus if letters[i] in _MARKED_VOWELS]
    if marked:
        return marked[-1]
    size = end - start
    if size == 1:
        return start
    if size >= 3:
        return start + 1
    return start + 1 if end < len(letters) else start


def _place_tone(word: str) -> str:
    """Move the tone mark of one lower-case Vietnamese syllable to its canonical vowel."""
    decomposed = unicodedata.normalize("NFD", word)
    tones = [ch for ch in decomposed if ch in _TONES]
    if len(tones) != 1 or not _SYLLABLE.match(decomposed):
        return word
    # Base letters with their non-tone marks (â, ơ…), recomposed, one char per letter.
    letters = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONES))
    index = _tone_index(letters)
    if index is None:
        return word
    return unicodedata.normalize("NFC", letters[: index + 1] + tones[0] + letters[index + 1 :])


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.category(ch).startswith("M"))
    return unicodedata.normalize("NFC", bare.replace("đ", "d").replace("Đ", "D"))


def _expand(token: str) -> str:
    # Abbreviations are looked up by their folded spelling so that "đc" and "dc",
    # "sđt" and "sdt" behave the same way.
    return ABBREVIATIONS.get(_strip_marks(token), token)


# "mk" is "mật khẩu" ("quên mk") except where it can only be "mình" (the writer): first
# in the message, after "của/cho/giúp/với…", or before "muốn/hỏi/đang…".
_MK_MINH_AFTER = {"cua", "cho", "giup", "gium", "voi", "vs", "ho", "la", "thi", "ma", "va", "nha"}
_MK_MINH_BEFORE = {"muon", "mun", "hoi", "dang", "vua", "can", "moi", "cung", "dinh", "nghi"}


def _expand_all(words: list[str]) -> list[str]:
    out = []
    for i, word in enumerate(words):
        if _strip_marks(word) == "mk" and (
            i == 0
            or _strip_marks(words[i - 1]) in _MK_MINH_AFTER
            or (i + 1 < len(words) and _strip_marks(words[i + 1]) in _MK_MINH_BEFORE)
        ):
            out.append("mình")
        else:
            out.append(_expand(word))
    return out


# Cached: the index's tens of thousands of lines and words are normalised again whenever a
# searcher is built (a publish, a draft tried in the console) and residents ask the same
# questions; bounded so resident messages cannot grow it without end.
@lru_cache(maxsize=100_000)
def normalize(text: str) -> str:
    """Return the canonical accented form of ``text`` (idempotent, never raises)."""
    text = unicodedata.normalize("NFC", text).lower()
    text = unicodedata.normalize("NFC", _clean_punctuation(text))
    words = _expand_all([_place_tone(word) for word in text.split(" ") if word])
    return unicodedata.normalize("NFC", " ".join(words)).lower()


@lru_cache(maxsize=100_000)
def fold(text: str) -> str:
    """Return ``normalize(text)`` without diacritics."""
    return " ".join(_strip_marks(normalize(text)).split())


def has_diacritics(text: str) -> bool:
    """True when ``text`` carries Vietnamese diacritics (so dense search can use them)."""
    return _strip_marks(text) != text


def syllables(text: str) -> list[str]:
    """The folded syllables of ``text``: the BM25 vocabulary."""
    return fold(text).split()
