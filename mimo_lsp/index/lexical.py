"""BM25 over chunks, updated in place: adding or removing one file's chunks costs what those chunks cost.

A static BM25 library (bm25s) would rebuild its matrices on every save; an inverted index of
dicts keeps an edit within milliseconds, which the 200 ms save-to-searchable budget needs.
Identifiers are split the way people type queries: `parseHeaderLinks` / `parse_header_links`
-> parse, header, links (+ the whole identifier), lower-cased, English stopwords dropped, Snowball
stemmed; in documents a common abbreviation also gives the words it stands for (`cfg` -> configuration,
abbreviations.py). A document may be weighted fields (records.lexical_fields: name, prose, code), BM25F-style.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from .abbreviations import ABBREVIATIONS

K1 = 1.2
B = 0.75

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
# English function words (a subset of Snowball's English list). Code keywords stay: `return`, `none`,
# `raise`, `self` are words queries use too, and dropping them measured worse (docs/benchmarks.md).
STOPWORDS = frozenset(
    "a an and are as at be by can do does for from has have how i if in into is it its of on or so such"
    " that the their then there these this those to was we what when where which while who why will with"
    " you your all any each every other some only own same than too very just also not no nor but about"
    " after before again further once here both few more most off out over under up down above below"
    " between through during until against".split()
)


_stemmers = threading.local()  # a Snowball stemmer object keeps state while it works: one per thread


def stem(token: str) -> str:
    """Snowball English (Porter2), applied to queries and documents alike: piped / pipes -> pipe,
    parsing / parsed -> pars, proxies -> proxi. (Replaced a hand-made suffix stripper that cut
    `piped` to `pip` and `string` to `str`.)"""
    stemmer = getattr(_stemmers, "english", None)
    if stemmer is None:
        import snowballstemmer

        stemmer = _stemmers.english = snowballstemmer.stemmer("english")
    return str(stemmer.stemWord(token))


_stem_cache: dict[str, str] = {}
_expansions: dict[str, tuple[str, ...]] = {}  # abbreviation -> its expansion, tokenised (filled on first use)


def split_words(text: str) -> list[str]:
    """'Config.load_JSONFile' -> ['config', 'load', 'json', 'file'] (no stemming: for display / embedding)."""
    return [p.lower() for word in _WORD.findall(text) for p in _CAMEL.findall(word) if len(p) > 1]


def tokenize(text: str, expand: bool = False) -> list[str]:
    """Index terms of a text. `expand` (documents): an abbreviation part (`repr`, `kwargs`) is followed
    by the terms of the words it stands for, so a query saying them finds it."""
    out: list[str] = []
    cache = _stem_cache
    for word in _WORD.findall(text):
        parts = _CAMEL.findall(word) if not word.isdigit() else [word]
        lowered = [p.lower() for p in parts]
        if len(lowered) > 1:
            out.append(word.lower().strip("_"))
        for p in lowered:
            if len(p) < 2 or p in STOPWORDS:
                continue
            s = cache.get(p)
            if s is None:
                s = cache[p] = stem(p)
            out.append(s)
            if expand and p in ABBREVIATIONS:
                out.extend(_expansion(p))
    return out


def _expansion(abbreviation: str) -> tuple[str, ...]:
    terms = _expansions.get(abbreviation)
    if terms is None:
        terms = _expansions[abbreviation] = tuple(tokenize(ABBREVIATIONS[abbreviation]))
    return terms


class LexicalIndex:
    """Okapi BM25 over documents keyed by integer id (the chunk id)."""

    def __init__(self) -> None:
        self.postings: dict[str, dict[int, float]] = {}
        self.doc_terms: dict[int, tuple[str, ...]] = {}  # unique terms of each doc, for removal
        self.doc_len: dict[int, float] = {}
        self.total_len = 0.0

    def __len__(self) -> int:
        return len(self.doc_len)

    def add(self, doc_id: int, text: str | Sequence[tuple[str, float]]) -> None:
        """Index a document: one text, or weighted fields [(text, weight), ...] whose term counts add up
        weighted (BM25F's simplification: a name word counts as `weight` body words, in tf and length)."""
        if doc_id in self.doc_len:
            self.remove(doc_id)
        counts: dict[str, float] = {}
        for field_text, weight in ((text, 1.0),) if isinstance(text, str) else text:
            for term in tokenize(field_text, expand=True):
                counts[term] = counts.get(term, 0.0) + weight
        postings = self.postings
        for term, tf in counts.items():
            plist = postings.get(term)
            if plist is None:
                postings[term] = {doc_id: tf}
            else:
                plist[doc_id] = tf
        n = sum(counts.values())
        self.doc_terms[doc_id] = tuple(counts)
        self.doc_len[doc_id] = n
        self.total_len += n

    def remove(self, doc_id: int) -> None:
        terms = self.doc_terms.pop(doc_id, None)
        if terms is None:
            return
        for term in terms:
            plist = self.postings.get(term)
            if plist is not None:
                plist.pop(doc_id, None)
                if not plist:
                    del self.postings[term]
        self.total_len -= self.doc_len.pop(doc_id)

    def search(self, query: str, k: int, allow: Callable[[int], bool] | None = None) -> list[tuple[int, float]]:
        """Top-k (doc id, BM25 score), best first."""
        return self.search_terms(tokenize(query), k, allow)

    def search_terms(
        self, terms: Iterable[str], k: int, allow: Callable[[int], bool] | None = None
    ) -> list[tuple[int, float]]:
        n_docs = len(self.doc_len)
        if n_docs == 0 or k <= 0:
            return []
        avg = self.total_len / n_docs or 1.0
        doc_len = self.doc_len
        scores: dict[int, float] = {}
        for term, qtf in Counter(terms).items():
            plist = self.postings.get(term)
            if not plist:
                continue
            df = len(plist)
            idf = math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
            base, per_len, gain = K1 * (1.0 - B), K1 * B / avg, qtf * idf * (K1 + 1.0)
            for doc, tf in plist.items():
                scores[doc] = scores.get(doc, 0.0) + gain * tf / (tf + base + per_len * doc_len[doc])
        if allow is not None:
            scores = {d: s for d, s in scores.items() if allow(d)}
        best = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        return best[:k]
