"""Incremental semantic index of a workspace: chunk -> embed -> hnswlib, persisted under data_dir.

On-disk layout (data_dir):
  index.sqlite3     files (path, sha256), chunks (id, path, lines, symbol, kind, text), meta
  vectors-<n>.bin   hnswlib graph; its name is stored in meta, so the SQLite commit is
                    the single commit point: a build killed before it leaves the previous
                    (sqlite, vectors) pair intact, and stray files are swept on the next save.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .chunker import Chunk, chunk_file, chunk_text
from .embeddings import Embedder, SentenceTransformerEmbedder
from .vectors import VectorStore
from mimo_lsp.workspace import IgnoreRules, iter_files

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
MAX_FILE_BYTES = 1_000_000
BINARY_SNIFF_BYTES = 8192
EMBED_BATCH = 64
SNIPPET_LINES = 8
NAME_BOOST = 0.08  # max score added when all of a symbol's name tokens occur in the query
TEXT_SUFFIXES = frozenset(
    ".py .pyi .md .rst .txt .toml .json .js .jsx .ts .tsx .go .rs .java .c .h .cc .cpp .hpp"
    " .yaml .yml .cfg .ini .sh".split()
)

Progress = Callable[[str, int, int], None]


class SearchHit(BaseModel):
    path: str
    start_line: int
    end_line: int
    symbol: str | None
    kind: str
    score: float
    snippet: str


class IndexStats(BaseModel):
    files: int  # files in the index after this build
    chunks: int  # chunks in the index after this build
    embedded: int  # chunks embedded by this build (0 when nothing changed)
    errors: list[str]
    seconds: float


@dataclass
class _State:
    files: dict[str, str] = field(default_factory=dict)  # path -> sha256
    chunks: dict[int, Chunk] = field(default_factory=dict)  # chunk id == hnswlib label
    ids_by_path: dict[str, list[int]] = field(default_factory=dict)
    next_id: int = 0
    last_build: str | None = None
    vectors: VectorStore | None = None
    vectors_file: str | None = None
    fresh: bool = True  # not yet persisted: the next save rewrites every table


class WorkspaceIndex:
    def __init__(self, root: Path, data_dir: Path, embedder: Embedder | None = None) -> None:
        self.root = Path(root).resolve()
        self.data_dir = Path(data_dir).resolve()
        self.embedder: Embedder = embedder if embedder is not None else SentenceTransformerEmbedder()
        # _build_lock serialises builds; _lock guards the in-memory state and hnswlib
        # (which must not be queried while items are added). Scanning and embedding run
        # outside _lock, so searches keep answering from the previous state meanwhile.
        self._build_lock = threading.Lock()
        self._lock = threading.RLock()
        self._state: _State | None = None
        self.last_stats: IndexStats | None = None  # also set by implicit builds in search()

    # --- public API ----------------------------------------------------------

    def build(self, progress: Progress | None = None) -> IndexStats:
        with self._build_lock:
            t0 = time.perf_counter()
            errors: list[str] = []
            try:
                with self._lock:
                    state = self._ensure_state(errors)
                # Only builds mutate `state.files`, and builds are serialised, so reading
                # it without _lock here is safe.
                pending, removed = self._collect(state, errors, progress)
                vectors, failed = self._embed(pending, errors, progress)
                for rel in failed:
                    # Keep the old (stale but valid) chunks; the file is retried next build.
                    del pending[rel]
                with self._lock:
                    try:
                        embedded = self._apply(state, pending, vectors, removed)
                    except BaseException:
                        # Memory may now be ahead of disk; drop it so the next call reloads.
                        self._state = None
                        raise
            except Exception as e:
                errors.append(f"index build failed: {type(e).__name__}: {e}")
                log.exception("index build failed")
                stats = IndexStats(files=0, chunks=0, embedded=0, errors=errors, seconds=time.perf_counter() - t0)
                self.last_stats = stats
                return stats
            for err in errors:
                log.warning("index: %s", err)
            stats = IndexStats(
                files=len(state.files),
                chunks=len(state.chunks),
                embedded=embedded,
                errors=errors,
                seconds=time.perf_counter() - t0,
            )
            self.last_stats = stats
            return stats

    def search(self, query: str, k: int = 10) -> list[SearchHit]:
        if not query.strip() or k <= 0:
            return []
        with self._lock:
            errors: list[str] = []
            needs_build = self._ensure_state(errors).fresh  # nothing usable on disk
            for err in errors:
                log.warning("index: %s", err)
        if needs_build:
            self.build()  # not under _lock: build takes _build_lock first, then _lock
        qvec = self.embedder.embed([query])[0]
        qtokens = set(_name_tokens(query))
        with self._lock:
            state = self._state
            if state is None or state.vectors is None:
                return []
            # Over-fetch so the symbol-name boost can promote a slightly lower vector hit.
            candidates = state.vectors.search(qvec, max(3 * k, k + 20))
            hits: list[SearchHit] = []
            for cid, sim in candidates:
                chunk = state.chunks.get(cid)
                if chunk is None:
                    continue  # vector of a chunk dropped from metadata; never surface it
                hits.append(
                    SearchHit(
                        path=chunk.path,
                        start_line=chunk.start_line,
                        end_line=chunk.end_line,
                        symbol=chunk.symbol,
                        kind=chunk.kind,
                        score=sim + _name_boost(chunk.symbol, qtokens),
                        snippet="\n".join(chunk.text.split("\n")[:SNIPPET_LINES]),
                    )
                )
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits[:k]

    def status(self) -> dict[str, Any]:
        with self._lock:
            out: dict[str, Any] = {"files": 0, "chunks": 0, "last_build": None, "data_dir": str(self.data_dir)}
            if self._state is not None and not self._state.fresh:
                s = self._state
                out.update(files=len(s.files), chunks=len(s.chunks), last_build=s.last_build)
                return out
            if not self._db_path.exists():
                return out
            # Cheap read of the manifest: status must not load the embedder or the graph.
            try:
                with self._connect() as db:
                    meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
                    out["files"] = db.execute("SELECT COUNT(*) FROM files").fetchone()[0]
                    out["chunks"] = db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
                    out["last_build"] = meta.get("last_build")
            except sqlite3.Error as e:
                out["error"] = f"unreadable index: {e}"
            return out

    # --- build ---------------------------------------------------------------

    def _ensure_state(self, errors: list[str]) -> _State:
        """Caller holds _lock."""
        if self._state is None:
            self._state = self._load_or_fresh(errors)
        return self._state

    def _collect(
        self, state: _State, errors: list[str], progress: Progress | None
    ) -> tuple[dict[str, tuple[str, list[Chunk]]], set[str]]:
        """Scan the tree; return changed files' (sha, chunks) and paths to remove."""
        candidates = self._scan(errors)
        seen: set[str] = set()
        pending: dict[str, tuple[str, list[Chunk]]] = {}
        dropped: set[str] = set()  # indexed before, now unusable (undecodable)
        for n, (rel, full) in enumerate(candidates):
            if progress:
                progress("scan", n, len(candidates))
            try:
                data = full.read_bytes()
            except FileNotFoundError:
                continue  # vanished since the walk: treated as deleted
            except OSError as e:
                seen.add(rel)  # keep what we had rather than dropping it on a transient error
                errors.append(f"{rel}: unreadable: {e}")
                continue
            if b"\0" in data[:BINARY_SNIFF_BYTES]:
                continue
            seen.add(rel)
            # Always hash (no mtime shortcut): same-size edits within the mtime
            # granularity would otherwise be missed ("racy git").
            sha = hashlib.sha256(data).hexdigest()
            if state.files.get(rel) == sha:
                continue
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as e:
                errors.append(f"{rel}: not valid UTF-8: {e}")
                dropped.add(rel)
                continue
            try:
                chunks = chunk_file(rel, text)
            except Exception as e:  # keep the file searchable as plain text
                errors.append(f"{rel}: chunking failed, indexed as text windows: {type(e).__name__}: {e}")
                chunks = chunk_text(rel, text)
            pending[rel] = (sha, chunks)
        if progress:
            progress("scan", len(candidates), len(candidates))
        return pending, (set(state.files) - seen) | dropped

    def _apply(
        self,
        state: _State,
        pending: dict[str, tuple[str, list[Chunk]]],
        vectors: dict[str, list[Any]],
        removed: set[str],
    ) -> int:
        """Swap changed files' chunks into memory + hnswlib and persist. Caller holds _lock."""
        if state.vectors is None:
            total = sum(len(c) for _, c in pending.values())
            state.vectors = VectorStore(self.embedder.dim, capacity=2 * total)
        store = state.vectors
        for rel in removed | set(pending):
            old_ids = state.ids_by_path.pop(rel, [])
            store.delete(old_ids)
            for cid in old_ids:
                state.chunks.pop(cid, None)
        for rel in removed:
            state.files.pop(rel, None)

        new_ids: list[int] = []
        new_vecs: list[Any] = []
        for rel, (sha, chunks) in pending.items():
            ids = list(range(state.next_id, state.next_id + len(chunks)))
            state.next_id += len(chunks)
            for cid, chunk, vec in zip(ids, chunks, vectors[rel]):
                state.chunks[cid] = chunk
                new_ids.append(cid)
                new_vecs.append(vec)
            state.ids_by_path[rel] = ids
            state.files[rel] = sha
        if new_ids:
            import numpy as np

            store.add(new_ids, np.stack(new_vecs))

        self._save(state, changed=set(pending) | removed)
        return len(new_ids)

    def _embed(
        self,
        pending: dict[str, tuple[str, list[Chunk]]],
        errors: list[str],
        progress: Progress | None,
    ) -> tuple[dict[str, list[Any]], set[str]]:
        """Embed all pending chunks. Returns per-path vectors and the paths that failed."""
        items = [(rel, c) for rel, (_, chunks) in pending.items() for c in chunks]
        out: dict[str, list[Any]] = {rel: [] for rel in pending}
        total = len(items)
        for start in range(0, total, EMBED_BATCH):
            if progress:
                progress("embed", start, total)
            batch = items[start : start + EMBED_BATCH]
            try:
                vecs = self.embedder.embed([_embed_text(c) for _, c in batch])
                if vecs.shape != (len(batch), self.embedder.dim):
                    raise ValueError(f"embedder returned shape {vecs.shape}")
            except Exception as e:
                # Usually systematic (model missing, OOM): stop instead of failing per batch.
                failed = {rel for rel, _ in items[start:]}
                errors.append(
                    f"embedding failed, {len(failed)} file(s) not (re)indexed: {type(e).__name__}: {e}"
                )
                return out, failed
            for (rel, _), vec in zip(batch, vecs):
                out[rel].append(vec)
        if progress and total:
            progress("embed", total, total)
        return out, set()

    def _scan(self, errors: list[str]) -> list[tuple[str, Path]]:
        found: list[tuple[str, Path]] = []
        for rel, st in iter_files(self.root, IgnoreRules(self.root), on_error=lambda e: errors.append(f"walk: {e}")):
            # Hidden files and folders are skipped too: .env and friends often hold secrets.
            if any(part.startswith(".") for part in rel.split("/")) or stat.S_ISLNK(st.st_mode):
                continue
            full = self.root / rel
            if self.data_dir in full.parents or os.path.splitext(rel)[1].lower() not in TEXT_SUFFIXES:
                continue
            if st.st_size <= MAX_FILE_BYTES:
                found.append((rel, full))
        return sorted(found)

    # --- persistence ---------------------------------------------------------

    @property
    def _db_path(self) -> Path:
        return self.data_dir / "index.sqlite3"

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self._db_path, isolation_level=None)
        try:
            db.executescript(
                """
                CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
                CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, sha256 TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS chunks (
                    id INTEGER PRIMARY KEY, path TEXT NOT NULL, start_line INTEGER NOT NULL,
                    end_line INTEGER NOT NULL, symbol TEXT, kind TEXT NOT NULL, text TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS chunks_path ON chunks(path);
                """
            )
            yield db
        finally:
            db.close()

    def _embedder_name(self) -> str:
        return str(getattr(self.embedder, "name", type(self.embedder).__qualname__))

    def _load_or_fresh(self, errors: list[str]) -> _State:
        """Load the persisted index; a missing, stale or broken one yields a fresh state."""
        if not self._db_path.exists():
            return _State()
        try:
            with self._connect() as db:
                meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
                if (
                    meta.get("schema") != str(SCHEMA_VERSION)
                    or meta.get("dim") != str(self.embedder.dim)
                    or meta.get("embedder") != self._embedder_name()
                ):
                    log.info("index in %s is from another schema/embedder; rebuilding", self.data_dir)
                    return _State()
                state = _State(fresh=False)
                state.files = dict(db.execute("SELECT path, sha256 FROM files").fetchall())
                rows = db.execute(
                    "SELECT id, path, start_line, end_line, symbol, kind, text FROM chunks ORDER BY id"
                ).fetchall()
            for cid, path, start, end, symbol, kind, text in rows:
                state.chunks[cid] = Chunk(
                    path=path, start_line=start, end_line=end, symbol=symbol, kind=kind, text=text
                )
                state.ids_by_path.setdefault(path, []).append(cid)
            state.next_id = int(meta.get("next_id", "0"))
            state.last_build = meta.get("last_build")
            state.vectors_file = meta.get("vectors_file")
            if state.vectors_file:
                vpath = self.data_dir / state.vectors_file
                if not vpath.exists():
                    raise FileNotFoundError(f"missing {vpath.name}")
                state.vectors = VectorStore.load(vpath, self.embedder.dim, live=len(state.chunks))
                missing = set(state.chunks) - state.vectors.ids()
                if missing:
                    raise ValueError(f"{len(missing)} chunk(s) have no vector")
            elif state.chunks:
                raise ValueError("chunks recorded but no vector file")
            return state
        except Exception as e:
            errors.append(f"persisted index unusable, rebuilding from scratch: {type(e).__name__}: {e}")
            with contextlib.suppress(OSError):
                self._db_path.unlink()
            return _State()

    def _save(self, state: _State, changed: set[str]) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        old_vectors = state.vectors_file
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        new_vectors = old_vectors
        if state.vectors is not None and (changed or state.fresh or old_vectors is None):
            new_vectors = f"vectors-{time.time_ns()}.bin"
            state.vectors.save(self.data_dir / new_vectors)
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                if state.fresh:
                    db.execute("DELETE FROM files")
                    db.execute("DELETE FROM chunks")
                    changed = set(state.files)
                for rel in changed:
                    db.execute("DELETE FROM files WHERE path = ?", (rel,))
                    db.execute("DELETE FROM chunks WHERE path = ?", (rel,))
                    if rel in state.files:
                        db.execute("INSERT INTO files VALUES (?, ?)", (rel, state.files[rel]))
                        db.executemany(
                            "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)",
                            [
                                (cid, c.path, c.start_line, c.end_line, c.symbol, c.kind, c.text)
                                for cid in state.ids_by_path.get(rel, [])
                                for c in [state.chunks[cid]]
                            ],
                        )
                meta = {
                    "schema": str(SCHEMA_VERSION),
                    "dim": str(self.embedder.dim),
                    "embedder": self._embedder_name(),
                    "next_id": str(state.next_id),
                    "last_build": now,
                    "vectors_file": new_vectors or "",
                }
                db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(meta.items()))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        state.fresh = False
        state.vectors_file = new_vectors
        state.last_build = now
        # Only after the commit is the old graph unreferenced; sweep it and any leftovers
        # from killed builds.
        for p in self.data_dir.glob("vectors-*"):
            if p.name != new_vectors:
                with contextlib.suppress(OSError):
                    p.unlink()


# --- helpers -------------------------------------------------------------------

_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def _name_tokens(text: str) -> list[str]:
    """'Config.load_JSONFile' -> ['config', 'load', 'json', 'file']."""
    out: list[str] = []
    for word in re.split(r"[^A-Za-z0-9]+", text):
        out.extend(t.lower() for t in _CAMEL.findall(word) if len(t) > 1)
    return out


def _name_boost(symbol: str | None, query_tokens: set[str]) -> float:
    if not symbol or not query_tokens:
        return 0.0
    tokens = set(_name_tokens(symbol))
    if not tokens:
        return 0.0
    return NAME_BOOST * len(tokens & query_tokens) / len(tokens)


def _embed_text(chunk: Chunk) -> str:
    # Spelling the symbol out as words ("compute invoice total") lets a natural-language
    # query match identifiers that the model would otherwise see as one opaque token.
    if chunk.symbol:
        header = f"{chunk.kind} {chunk.symbol} ({' '.join(_name_tokens(chunk.symbol))}) in {chunk.path}"
    else:
        header = f"{chunk.kind} in {chunk.path}"
    return f"{header}\n{chunk.text}"
