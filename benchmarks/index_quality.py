"""Retrieval quality of the workspace index (index_bench.py part 3), with an independent anchor.

Each query names the file + symbol that answers it; a hit counts when path and symbol match exactly
(the first chunk of that symbol in the top 10 gives the rank). MRR@10 and recall@10 for the index's
three modes (`lexical`, `vector`, `hybrid` with either fusion) and for **plain BM25**: Okapi BM25 written
here in numpy, sharing no code with mimo_lsp.index's ranking, over the same AST chunks (the chunk's text
only), tokenised by splitting identifiers at `_` and camelCase humps, lower-cased, nothing else (no
stemming, no stopwords, no whole identifiers); k1 = 1.5, b = 0.75, idf = ln(1 + (N - df + 0.5) / (df + 0.5)).
It is what a reasonable person would build in an afternoon: the index has to beat it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import numpy as np

PLAIN_K1 = 1.5
PLAIN_B = 0.75
_IDENT = re.compile(r"[A-Za-z0-9_]+")
_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
# label -> (mode, fusion); the mode name is also the key in the JSON's "mrr" table
RANKINGS = (("lexical", "rrf", "lexical mode (BM25, index)"), ("vector", "rrf", "vector mode"),
            ("hybrid", "rrf", "hybrid, RRF"), ("hybrid", "combsum", "hybrid, CombSUM (default)"))
PLAIN = "plain BM25 (anchor)"


def plain_tokens(text: str) -> list[str]:
    """'parseHeader_links2' -> ['parse', 'header', 'links', '2']."""
    return [p.lower() for word in _IDENT.findall(text) for p in _PART.findall(word)]


class PlainBM25:
    """Okapi BM25 over a fixed list of documents (sparse term-frequency matrix, scipy)."""

    def __init__(self, docs: list[str], k1: float = PLAIN_K1, b: float = PLAIN_B) -> None:
        from scipy import sparse

        counts = [Counter(plain_tokens(d)) for d in docs]
        self.vocab = {t: i for i, t in enumerate(sorted({t for c in counts for t in c}))}
        rows = np.array([r for r, c in enumerate(counts) for _ in c], dtype=np.int64)
        cols = np.array([self.vocab[t] for c in counts for t in c], dtype=np.int64)
        tf = np.array([n for c in counts for n in c.values()], dtype=np.float64)
        length = np.array([sum(c.values()) for c in counts], dtype=np.float64)
        norm = k1 * (1.0 - b + b * length / max(float(length.mean()), 1e-9)) if len(docs) else length
        df = np.bincount(cols, minlength=len(self.vocab))
        self.n_docs = len(docs)
        self.idf = np.log(1.0 + (len(docs) - df + 0.5) / (df + 0.5))
        weights = tf * (k1 + 1.0) / (tf + norm[rows])  # per (doc, term), before idf
        self.weights = sparse.csc_matrix((weights, (rows, cols)), shape=(len(docs), len(self.vocab)))

    def scores(self, query: str) -> np.ndarray:
        cols = [self.vocab[t] for t in plain_tokens(query) if t in self.vocab]  # repeated terms count again
        if not cols:
            return np.zeros(self.n_docs)
        return np.asarray(self.weights[:, cols] @ self.idf[cols]).ravel()

    def top(self, query: str, k: int) -> list[int]:
        s = self.scores(query)
        order = np.lexsort((np.arange(len(s)), -s))  # best first, ties by position
        return [int(i) for i in order[:k] if s[i] > 0]


def load_queries(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _summary(ranks: list[int | None], queries: list[dict]) -> dict:
    rr = [1.0 / r if r else 0.0 for r in ranks]
    return {"mrr": sum(rr) / len(rr), "recall_at_10": sum(1 for r in rr if r > 0) / len(rr),
            "misses": [q["symbol"] for q, r in zip(queries, ranks) if not r], "ranks": ranks}


def reciprocal_ranks(ranks: list[int | None]) -> np.ndarray:
    return np.array([1.0 / r if r else 0.0 for r in ranks])


def paired_interval(ranks: list[int | None], anchor: list[int | None], resamples: int = 4000,
                    seed: int = 0) -> tuple[float, float]:
    """95 % paired bootstrap interval of MRR(ranks) - MRR(anchor): the queries are resampled with
    replacement, the same resample for both rankings (the sets are small: 40-100 queries)."""
    diff = reciprocal_ranks(ranks) - reciprocal_ranks(anchor)
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), size=(resamples, len(diff)))].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(lo), float(hi)


def evaluate(name: str, index, queries: list[dict], chunks: int) -> dict:
    """Every ranking over one built WorkspaceIndex: {"set", "queries", "chunks", "rankings", "mrr"}."""
    from mimo_lsp.index import IndexSearcher

    searcher = IndexSearcher(index)
    out: dict = {"set": name, "queries": len(queries), "chunks": chunks, "rankings": {}, "mrr": {}}

    def rank_of(q: dict, found: list[tuple[str, str | None]]) -> int | None:
        return next((i for i, (p, s) in enumerate(found, 1) if p == q["path"] and s == q["symbol"]), None)

    for mode, fusion, label in RANKINGS:
        ranks = [rank_of(q, [(h.path, h.symbol) for h in searcher.search(q["query"], k=10, mode=mode, fusion=fusion)])
                 for q in queries]
        out["rankings"][label] = _summary(ranks, queries)
        if fusion == "combsum" or mode != "hybrid":
            out["mrr"][mode] = out["rankings"][label]["mrr"]
    with index.state.lock:
        docs = [(rec.chunk.path, rec.chunk.symbol, rec.chunk.text) for _, rec in sorted(index.state.chunks.items())]
    plain = PlainBM25([text for _, _, text in docs])
    ranks = [rank_of(q, [docs[i][:2] for i in plain.top(q["query"], 10)]) for q in queries]
    out["rankings"][PLAIN] = _summary(ranks, queries)
    out["mrr"]["plain_bm25"] = out["rankings"][PLAIN]["mrr"]
    for r in out["rankings"].values():
        r["vs_plain_95"] = paired_interval(r["ranks"], out["rankings"][PLAIN]["ranks"])
    return out


def print_quality(q: dict) -> None:
    print(f"\n## Retrieval quality on {q['set']} ({q['queries']} queries, {q['chunks']} chunks, top 10)\n")
    print("| ranking | MRR@10 | recall@10 | MRR - plain BM25 | 95 % paired bootstrap |")
    print("|---|---|---|---|---|")
    anchor = q["rankings"][PLAIN]["mrr"]
    for label in [PLAIN] + [label for _, _, label in RANKINGS]:
        r = q["rankings"][label]
        lo, hi = r["vs_plain_95"]
        print(f"| {label} | {r['mrr']:.3f} | {r['recall_at_10']:.3f} | {r['mrr'] - anchor:+.3f} | [{lo:+.3f}, {hi:+.3f}] |")
