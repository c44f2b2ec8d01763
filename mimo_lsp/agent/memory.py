"""Memory manager: summaries, node outcomes, facts and lessons per workspace, retrieved for later work.

Stored in SQLite (`<state dir>/memory.sqlite`, WAL) so it survives crashes and server restarts.
Retrieval fuses two rankings by reciprocal rank: hnswlib vectors (sentence-transformers by default, or
a feature-hashing embedder that needs no model) and a lexical overlap score. Results are injected
under a token budget. The vector index is derived data: rebuilt from SQLite when missing or stale.
"""

from __future__ import annotations

import hashlib
import math
import re
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Callable, Literal, Optional

import numpy as np
from pydantic import BaseModel

Kind = Literal["summary", "outcome", "fact", "lesson", "failure"]
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+")
_STOP = frozenset("a an and are as at be by do does for from has have how in into is it its of on or so that the "
                  "then there this to was were what when where which who why will with".split())


class Memory(BaseModel):
    id: int
    kind: str
    text: str
    task_id: str
    node_id: str = ""
    created: float
    score: float = 0.0


def words(text: str) -> list[str]:
    out: list[str] = []
    for w in _WORD.findall(text):
        out += [p.lower() for p in re.split(r"_|(?<=[a-z])(?=[A-Z])", w) if p]
    return [w for w in out if w not in _STOP]


class HashingEmbedder:
    """Feature hashing of words and word bigrams into a fixed-size, L2-normalised vector: no model."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            ws = words(text)
            for feat in ws + [a + " " + b for a, b in zip(ws, ws[1:])]:
                h = int.from_bytes(hashlib.blake2b(feat.encode(), digest_size=8).digest(), "little")
                out[row, h % self.dim] += 1.0 if (h >> 63) else -1.0
            norm = float(np.linalg.norm(out[row]))
            if norm:
                out[row] /= norm
        return out


def make_embedder(kind: str):
    """'minilm' = the shipped all-MiniLM-L6-v2 via sentence-transformers; 'hashing' = no model."""
    if kind == "hashing":
        return HashingEmbedder()
    from mimo_lsp.index.embeddings import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


class MemoryStore:
    def __init__(self, data_dir: Path, embedder_kind: str = "minilm",
                 count_tokens: Callable[[str], int] | None = None) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "memory.sqlite"
        self.embedder_kind = embedder_kind
        self._embedder = None
        self.count_tokens = count_tokens or (lambda s: max(1, len(s) // 4))
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.execute("CREATE TABLE IF NOT EXISTS memory (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL,"
                         " text TEXT NOT NULL, task_id TEXT NOT NULL, node_id TEXT NOT NULL DEFAULT '',"
                         " created REAL NOT NULL, digest TEXT NOT NULL)")
        self._db.execute("CREATE UNIQUE INDEX IF NOT EXISTS memory_digest ON memory(kind, digest)")
        self._lock = threading.Lock()
        self._index = None
        self._indexed: set[int] = set()
        self.embed_error: Optional[str] = None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- writing -----------------------------------------------------------------------------
    def add(self, kind: Kind, text: str, task_id: str, node_id: str = "") -> int | None:
        """Stores one memory; an identical text of the same kind is kept once (returns None then)."""
        text = text.strip()
        if not text:
            return None
        digest = hashlib.sha256(text.encode()).hexdigest()
        with self._lock:
            cur = self._db.execute("INSERT OR IGNORE INTO memory(kind, text, task_id, node_id, created, digest)"
                                   " VALUES (?,?,?,?,?,?)", (kind, text, task_id, node_id, time.time(), digest))
            return cur.lastrowid if cur.rowcount else None

    # -- reading -----------------------------------------------------------------------------
    def all(self, kinds: tuple[str, ...] | None = None, task_id: str | None = None) -> list[Memory]:
        sql, args = "SELECT id, kind, text, task_id, node_id, created FROM memory", []
        where = []
        if kinds:
            where.append("kind IN (%s)" % ",".join("?" * len(kinds)))
            args += list(kinds)
        if task_id:
            where.append("task_id = ?")
            args.append(task_id)
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY id", args).fetchall()
        return [Memory(id=r[0], kind=r[1], text=r[2], task_id=r[3], node_id=r[4], created=r[5]) for r in rows]

    def search(self, query: str, k: int = 5, kinds: tuple[str, ...] | None = None,
               exclude_task: str | None = None) -> list[Memory]:
        """Reciprocal-rank fusion of vector similarity and lexical overlap."""
        items = [m for m in self.all(kinds) if m.task_id != exclude_task]
        if not items or not query.strip():
            return []
        rankings = [self._lexical_rank(query, items)]
        vec = self._vector_rank(query, items)
        if vec:
            rankings.append(vec)
        fused: dict[int, float] = {}
        for ranking in rankings:
            for rank, mem_id in enumerate(ranking):
                fused[mem_id] = fused.get(mem_id, 0.0) + 1.0 / (60 + rank)
        by_id = {m.id: m for m in items}
        best = sorted(fused, key=lambda i: (-fused[i], -i))[:k]
        return [by_id[i].model_copy(update={"score": round(fused[i], 5)}) for i in best]

    def context(self, query: str, budget_tokens: int, kinds: tuple[str, ...] | None = None,
                exclude_task: str | None = None, k: int = 8) -> str:
        """The best memories as bullet lines, cut to fit `budget_tokens`."""
        lines: list[str] = []
        used = 0
        for m in self.search(query, k, kinds, exclude_task):
            line = f"- ({m.kind}) {m.text}"
            cost = self.count_tokens(line)
            if used + cost > budget_tokens:
                break
            lines.append(line)
            used += cost
        return "\n".join(lines)

    def _lexical_rank(self, query: str, items: list[Memory]) -> list[int]:
        q = set(words(query))
        if not q:
            return []
        df: dict[str, int] = {}
        docs = {m.id: set(words(m.text)) for m in items}
        for ws in docs.values():
            for w in ws & q:
                df[w] = df.get(w, 0) + 1
        n = len(items)
        scores = {i: sum(math.log(1 + n / df[w]) for w in ws & q) for i, ws in docs.items()}
        return [i for i in sorted(scores, key=lambda i: (-scores[i], -i)) if scores[i] > 0]

    def _vector_rank(self, query: str, items: list[Memory]) -> list[int]:
        try:
            index = self._sync_index(items)
            qv = self._embed([query])
        except Exception as exc:  # reported, never silent: lexical ranking still answers
            self.embed_error = f"{type(exc).__name__}: {exc}"
            return []
        k = min(len(items), max(1, index.get_current_count()))
        labels, distances = index.knn_query(qv, k=k)
        wanted = {m.id for m in items}
        # cosine distance = 1 - similarity: only memories that point the query's way at all
        return [int(i) for i, d in zip(labels[0], distances[0]) if int(i) in wanted and d < 0.95]

    def _embed(self, texts: list[str]) -> np.ndarray:
        if self._embedder is None:
            self._embedder = make_embedder(self.embedder_kind)
        embedder: Any = self._embedder
        return np.asarray(embedder.embed(texts), dtype=np.float32)

    def _sync_index(self, items: list[Memory]):
        import hnswlib

        missing = [m for m in items if m.id not in self._indexed]
        if self._index is None or missing:
            vectors = self._embed([m.text for m in missing]) if missing else None
            index: Any = self._index
            if index is None:
                dim = vectors.shape[1] if vectors is not None else self._embed(["x"]).shape[1]
                index = self._index = hnswlib.Index(space="cosine", dim=dim)
                index.init_index(max_elements=max(64, 2 * len(items)), ef_construction=100, M=16)
                index.set_ef(64)
            need = index.get_current_count() + len(missing)
            if need > index.get_max_elements():
                index.resize_index(2 * need)
            if missing:
                index.add_items(vectors, [m.id for m in missing])
                self._indexed |= {m.id for m in missing}
        return self._index
