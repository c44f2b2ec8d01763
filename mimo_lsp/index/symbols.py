"""Per-file symbol tags (definitions and references, from tree-sitter) and symbol-name matching.

Definitions come from the chunker's definition chunks; references are every identifier-like
leaf of the file's syntax tree (one tree-sitter query per language). Together they are the
reference graph of the repo map and the data of `workspace/symbol`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable

from pydantic import BaseModel

from .chunker import FileAnalysis, node_text
from .languages import identifier_query
from .lexical import tokenize

NON_DEFINITION_KINDS = frozenset({"module", "text"})
MIN_REF_CHARS = 3  # `i`, `x`, `ok` link everything to everything


class Definition(BaseModel):
    name: str  # last component: "load"
    symbol: str  # qualified: "Config.load"
    kind: str
    line: int  # 1-based
    end_line: int
    signature: str  # the line that names it, stripped


class FileTags(BaseModel):
    defs: list[Definition] = []
    refs: dict[str, int] = {}  # identifier -> occurrences in the file


def simple_name(symbol: str) -> str:
    for sep in ("::", "."):
        if sep in symbol:
            symbol = symbol.rsplit(sep, 1)[1]
    return symbol


def extract_tags(analysis: FileAnalysis) -> FileTags:
    defs: dict[str, Definition] = {}
    for c in analysis.chunks:
        if not c.symbol or c.kind in NON_DEFINITION_KINDS:
            continue
        d = defs.get(c.symbol)
        if d is not None:  # split definitions and class remainders: extend, keep the first line
            d.end_line = max(d.end_line, c.end_line)
            continue
        name = simple_name(c.symbol)
        lines = c.text.split("\n")
        signature = next((ln for ln in lines if name in ln), lines[0]).strip()
        defs[c.symbol] = Definition(name=name, symbol=c.symbol, kind=c.kind, line=c.start_line,
                                    end_line=c.end_line, signature=signature[:200])
    refs: Counter[str] = Counter()
    if analysis.tree is not None and analysis.spec is not None:
        from tree_sitter import QueryCursor

        captures = QueryCursor(identifier_query(analysis.spec)).captures(analysis.tree.root_node)
        for nodes in captures.values():
            refs.update(t for t in (node_text(n) for n in nodes) if len(t) >= MIN_REF_CHARS)
    return FileTags(defs=list(defs.values()), refs=dict(refs))


class SymbolNameIndex:
    """Chunks by the words of their symbol's name, for the symbol-name list of hybrid ranking."""

    def __init__(self) -> None:
        self.by_token: dict[str, set[int]] = {}
        self.tokens_of: dict[int, tuple[str, ...]] = {}

    def add(self, chunk_id: int, symbol: str | None) -> None:
        if not symbol:
            return
        tokens = tuple(dict.fromkeys(tokenize(symbol)))
        if not tokens:
            return
        self.tokens_of[chunk_id] = tokens
        for t in tokens:
            self.by_token.setdefault(t, set()).add(chunk_id)

    def remove(self, chunk_id: int) -> None:
        for t in self.tokens_of.pop(chunk_id, ()):
            ids = self.by_token.get(t)
            if ids is not None:
                ids.discard(chunk_id)
                if not ids:
                    del self.by_token[t]

    def search(self, query: str, k: int, allow: Callable[[int], bool] | None = None) -> list[tuple[int, float]]:
        """Chunks whose name words occur in the query, scored by the idf-weighted share of the name
        that the query covers (rare words count more, `get` alone counts little)."""
        qtokens = set(tokenize(query))
        n = max(1, len(self.tokens_of))
        idf = {t: math.log(1.0 + n / len(self.by_token[t])) for t in qtokens if t in self.by_token}
        candidates: set[int] = set()
        for t in idf:
            candidates |= self.by_token[t]
        scored: list[tuple[int, float]] = []
        for cid in candidates:
            if allow is not None and not allow(cid):
                continue
            tokens = self.tokens_of[cid]
            total = sum(math.log(1.0 + n / len(self.by_token[t])) for t in tokens)
            hit = sum(idf.get(t, 0.0) for t in tokens)
            # Coverage of the name times how much of the query it explains.
            scored.append((cid, (hit / total) * hit))
        scored.sort(key=lambda kv: (-kv[1], kv[0]))
        return scored[:k]


def match_symbols(query: str, defs: Iterable[tuple[str, Definition]], limit: int) -> list[tuple[str, Definition]]:
    """workspace/symbol: case-insensitive substring first, then subsequence ("gcf" -> get_config_file)."""
    q = query.lower().strip()
    exact: list[tuple[int, str, Definition]] = []
    fuzzy: list[tuple[int, str, Definition]] = []
    for path, d in defs:
        name = d.name.lower()
        if not q or q in name or q in d.symbol.lower():
            exact.append((0 if name == q else (1 if name.startswith(q) else 2), path, d))
        elif _subsequence(q, name):
            fuzzy.append((3, path, d))
    ranked = sorted(exact, key=lambda t: (t[0], len(t[2].name), t[1], t[2].line))
    ranked += sorted(fuzzy, key=lambda t: (len(t[2].name), t[1], t[2].line))
    return [(p, d) for _, p, d in ranked[:limit]]


def _subsequence(needle: str, hay: str) -> bool:
    it = iter(hay)
    return all(ch in it for ch in needle)
