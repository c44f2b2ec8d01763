"""Ranked repo map: the definitions that matter most, as an outline that fits a token budget.

Files are nodes; file A links to file B when A references a name that B defines (weighted by
sqrt(occurrences), shared among the files that define the name). Personalized PageRank over that
graph (personalization: focus files, e.g. the ones being edited) ranks files; each file's rank
flows along its edges to the definitions it references, which ranks definitions. The outline
lists the best definitions, grouped per file, as many as fit the budget (~4 characters a token).
"""

from __future__ import annotations

from typing import Any

import math
from collections.abc import Iterable, Mapping

from .symbols import FileTags

DAMPING = 0.85
ITERATIONS = 40
CHARS_PER_TOKEN = 4


def rank_definitions(
    tags: Mapping[str, FileTags], focus_files: Iterable[str] = (), focus_names: Iterable[str] = ()
) -> list[tuple[float, str, int]]:
    """[(score, path, index into tags[path].defs)], best first."""
    import numpy as np

    paths = sorted(tags)
    if not paths:
        return []
    pos = {p: i for i, p in enumerate(paths)}
    defined_in: dict[str, list[str]] = {}
    for p in paths:
        for d in tags[p].defs:
            defined_in.setdefault(d.name, []).append(p)
    names = set(focus_names)

    src: list[int] = []
    dst: list[int] = []
    weight: list[float] = []
    edge_name: list[str] = []
    for p in paths:
        for name, count in tags[p].refs.items():
            owners = defined_in.get(name)
            if not owners or len(owners) > 20:  # `get`, `run`, `__init__`: defined everywhere, says nothing
                continue
            w = math.sqrt(count) / len(owners)
            if name.startswith("_"):
                w *= 0.1
            if name in names:
                w *= 10.0
            for q in owners:
                if q != p:
                    src.append(pos[p])
                    dst.append(pos[q])
                    weight.append(w)
                    edge_name.append(name)

    n = len(paths)
    pers = np.zeros(n)
    for p in focus_files:
        if p in pos:
            pers[pos[p]] = 1.0
    pers = pers / pers.sum() if pers.sum() > 0 else np.full(n, 1.0 / n)
    src_a = np.asarray(src, dtype=np.int64)
    dst_a = np.asarray(dst, dtype=np.int64)
    w_a = np.asarray(weight, dtype=np.float64)
    out_w = np.bincount(src_a, weights=w_a, minlength=n) if len(src_a) else np.zeros(n)
    share: Any = w_a / out_w[src_a] if len(src_a) else w_a
    rank = pers.copy()
    for _ in range(ITERATIONS):
        flow = np.bincount(dst_a, weights=rank[src_a] * share, minlength=n) if len(src_a) else np.zeros(n)
        dangling = rank[out_w == 0].sum()
        rank = (1.0 - DAMPING) * pers + DAMPING * (flow + dangling * pers)

    # Definitions: what flows along edges named after them, plus a small share of their file's rank
    # so that unreferenced definitions of important files still order sensibly.
    def_score: dict[tuple[str, str], float] = {}
    for i in range(len(src)):
        key = (paths[dst[i]], edge_name[i])
        def_score[key] = def_score.get(key, 0.0) + rank[src[i]] * share[i]
    ranked: list[tuple[float, str, int]] = []
    for p in paths:
        defs = tags[p].defs
        for j, dfn in enumerate(defs):
            score = def_score.get((p, dfn.name), 0.0) + 0.01 * rank[pos[p]] / max(1, len(defs))
            if dfn.name in names:
                score *= 10.0
            ranked.append((float(score), p, j))
    ranked.sort(key=lambda t: (-t[0], t[1], t[2]))
    return ranked


def render(tags: Mapping[str, FileTags], ranked: list[tuple[float, str, int]], token_budget: int) -> str:
    """The largest prefix of `ranked` whose outline fits the budget (binary search on the prefix)."""
    budget_chars = max(0, token_budget) * CHARS_PER_TOKEN

    def outline(count: int) -> str:
        chosen: dict[str, list[int]] = {}
        for _, p, j in ranked[:count]:
            chosen.setdefault(p, []).append(j)
        parts: list[str] = []
        for p in sorted(chosen):
            defs = sorted((tags[p].defs[j] for j in chosen[p]), key=lambda d: d.line)
            parts.append(p + ":\n" + "".join(f"  {d.line:>5}: {d.signature}\n" for d in defs))
        return "".join(parts)

    lo, hi = 0, len(ranked)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(outline(mid)) <= budget_chars:
            lo = mid
        else:
            hi = mid - 1
    return outline(lo)
