"""Hybrid ranking: fusion of lexical (BM25), vector and symbol-name result lists, and the filters
every list applies (language, path glob, kind).

Two fusions: CombSUM (the default) averages min-max normalised scores, so a list that is sure of its
top hit weighs more than one whose top scores are close, each list weighted by its confidence for this
query (`confidence`); RRF (Cormack et al. 2009) fuses by rank only:
score(d) = sum_l 1 / (RRF_K + rank_l(d)). The symbol-name list joins only for queries that name code
(see `names_code`).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, field_validator

if TYPE_CHECKING:
    from .chunker import Chunk

MODES = ("hybrid", "vector", "lexical")
FUSIONS = ("combsum", "rrf")
# CombSUM is the default: chosen on the requests query set, then confirmed on a held-out django set
# written blind (MRR over BM25 alone: +0.113 vs RRF's +0.033; docs/benchmarks.md). RRF stays selectable.
DEFAULT_FUSION = "combsum"
RRF_K = 60
MIN_DEPTH = 50  # each list contributes at least this many candidates


class SearchFilters(BaseModel):
    """All given filters must hold. `path` is a glob on the workspace-relative path where `*` also
    crosses `/` (`src/*.py` matches src/a/b.py); `**/` may lead. Lists mean any of."""

    language: list[str] | None = None  # python, javascript, typescript, tsx, go, rust, java, c, cpp, md ...
    path: str | None = None
    kind: list[str] | None = None  # function, method, class, module, text, struct, ...

    @field_validator("language", "kind", mode="before")
    @classmethod
    def _listify(cls, v: object) -> object:
        return [v] if isinstance(v, str) else v

    def empty(self) -> bool:
        return not (self.language or self.path or self.kind)

    def compile(self, chunk_of: Callable[[int], Chunk]) -> Callable[[int], bool]:
        langs = {x.lower() for x in self.language} if self.language else None
        kinds = {x.lower() for x in self.kind} if self.kind else None
        pattern = self.path
        globs = [pattern, pattern[3:]] if pattern and pattern.startswith("**/") else [pattern] if pattern else []

        def allow(cid: int) -> bool:
            try:
                c = chunk_of(cid)
            except KeyError:
                return False
            if langs is not None and c.language not in langs:
                return False
            if kinds is not None and c.kind not in kinds:
                return False
            return not globs or any(fnmatch.fnmatchcase(c.path, g) for g in globs)

        return allow


_IDENTIFIER = re.compile(r"\w_\w|[a-z][A-Z]|[A-Z]{2,}[a-z]|\w\.\w|\w\(|::")


def names_code(query: str) -> bool:
    """Whether the query names code (snake_case, camelCase, a.b, call(), a::b, or one bare word).
    Only then does the symbol-name list join the fusion: measured on natural-language queries it
    only added noise (benchmarks/index_bench.py, docs/benchmarks.md)."""
    return bool(_IDENTIFIER.search(query)) or len(query.split()) == 1


def fuse(lists: Sequence[Sequence[tuple[int, float]]], weights: Sequence[float] | None = None,
         k: int = RRF_K) -> list[tuple[int, float]]:
    """Reciprocal rank fusion of ranked (id, score) lists -> [(id, fused score)], best first."""
    scores: dict[int, float] = {}
    for li, ranked in enumerate(lists):
        w = weights[li] if weights else 1.0
        for rank, (cid, _) in enumerate(ranked, start=1):
            scores[cid] = scores.get(cid, 0.0) + w / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def _normalised(ranked: Sequence[tuple[int, float]]) -> list[tuple[int, float]]:
    """Min-max: the list's best score -> 1, its worst -> 0 (a single score, or all equal -> 1)."""
    values = [s for _, s in ranked]
    lo, hi = min(values), max(values)
    return [(cid, (s - lo) / (hi - lo) if hi > lo else 1.0) for cid, s in ranked]


def confidence(ranked: Sequence[tuple[int, float]]) -> float:
    """How sure a ranked list is of its top for this query: 1 - the mean of its min-max normalised
    scores. A list that separates a few hits from the rest (BM25 on rare words) has most normalised
    scores near 0: confidence near 1. A list whose scores are nearly flat (a sentence model embedding
    code it reads poorly: every chunk 0.3-0.4 cosine) has them spread up to 1 after min-max, which
    would otherwise give its noise the same say as a sure list: confidence lower. No parameter."""
    return _confidence(_normalised(ranked)) if ranked else 1.0


def _confidence(norm: Sequence[tuple[int, float]]) -> float:
    return 1.0 - sum(n for _, n in norm) / len(norm) if len(norm) >= 2 else 1.0


def combsum(lists: Sequence[Sequence[tuple[int, float]]], adaptive: bool = True) -> list[tuple[int, float]]:
    """CombSUM (Fox & Shaw 1994) of min-max normalised scores: each list maps its best score to 1 and
    its worst to 0; a document's fused score is the weighted mean over lists (0 where a list lacks it),
    each list weighted by its `confidence` for this query (`adaptive=False`, or no list sure of anything:
    equal weights, the fusion before issue 17 goal 2). Unlike RRF it keeps how far apart the scores are,
    not only their order."""
    scores: dict[int, float] = {}
    normed = [_normalised(ranked) for ranked in lists if ranked]
    weights = [_confidence(norm) for norm in normed] if adaptive else []
    if not sum(weights):  # every list flat (all scores equal): no list is surer than another
        weights = [1.0] * len(normed)
    total = sum(weights) or 1.0
    for norm, weight in zip(normed, weights, strict=True):
        for cid, n in norm:
            scores[cid] = scores.get(cid, 0.0) + weight * n / total
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
