"""SQLite persistence of the index: the single source of truth the in-memory index is rebuilt from.

  meta    key/value: schema, embedder, dim, next_id, last_update
  files   path, sha256, language, mtime, error
  chunks  id, path, lines, symbol, kind, language, text, ehash (hash of the embedded text),
          vec (float32 blob; NULL until embedded: those are what a restarted indexer resumes)
  tags    path -> JSON of the file's definitions and references

Each file is written in one transaction, so a killed indexer loses at most the file it was on.
The hnswlib graph is a cache next to it (vectors.bin), checked against `chunks.vec` on load.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .chunker import Chunk

SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, language TEXT NOT NULL,
    mtime REAL NOT NULL, error TEXT);
CREATE TABLE IF NOT EXISTS chunks (id INTEGER PRIMARY KEY, path TEXT NOT NULL, start_line INTEGER NOT NULL,
    end_line INTEGER NOT NULL, symbol TEXT, kind TEXT NOT NULL, language TEXT NOT NULL, text TEXT NOT NULL,
    ehash TEXT NOT NULL, vec BLOB);
CREATE INDEX IF NOT EXISTS chunks_path ON chunks(path);
CREATE TABLE IF NOT EXISTS tags (path TEXT PRIMARY KEY, data TEXT NOT NULL);
"""


@dataclass
class FileRow:
    path: str
    sha256: str
    language: str
    mtime: float
    error: str | None


@dataclass
class ChunkRow:
    id: int
    chunk: Chunk
    ehash: str
    vec: bytes | None


class IndexStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except BaseException:
            self._db.close()
            raise

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @staticmethod
    def delete(path: Path) -> None:
        for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            p.unlink(missing_ok=True)

    # -- reads ------------------------------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        with self._lock:
            return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def files(self) -> list[FileRow]:
        with self._lock:
            return [FileRow(*r) for r in self._db.execute("SELECT path, sha256, language, mtime, error FROM files")]

    def chunks(self) -> Iterator[ChunkRow]:
        """All chunks without their vectors (vec is b'' when one is stored, None when not)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, path, start_line, end_line, symbol, kind, language, text, ehash, vec IS NOT NULL"
                " FROM chunks ORDER BY id"
            ).fetchall()
        for cid, path, start, end, symbol, kind, lang, text, ehash, has_vec in rows:
            chunk = Chunk(path=path, start_line=start, end_line=end, symbol=symbol, kind=kind, text=text,
                          language=lang)
            yield ChunkRow(cid, chunk, ehash, b"" if has_vec else None)

    def vectors(self, ids: Iterable[int]) -> dict[int, bytes]:
        out: dict[int, bytes] = {}
        ids = list(ids)
        with self._lock:
            for start in range(0, len(ids), 500):
                part = ids[start : start + 500]
                q = f"SELECT id, vec FROM chunks WHERE vec IS NOT NULL AND id IN ({','.join('?' * len(part))})"
                out.update(self._db.execute(q, part).fetchall())
        return out

    def tags(self) -> dict[str, str]:
        with self._lock:
            return dict(self._db.execute("SELECT path, data FROM tags").fetchall())

    def counts(self) -> tuple[int, int, int]:
        """(files, chunks, chunks without vector), cheaply."""
        with self._lock:
            files = self._db.execute("SELECT COUNT(*) FROM files").fetchone()[0]
            chunks, pending = self._db.execute("SELECT COUNT(*), COUNT(*) - COUNT(vec) FROM chunks").fetchone()
        return files, chunks, pending

    # -- writes -----------------------------------------------------------------------------------
    def write(self, files: list[tuple[FileRow, list[ChunkRow], str]], removed: Iterable[str] = (),
              meta: dict[str, str] | None = None) -> None:
        """Replace some files' rows (file, chunks, tags JSON) and drop others, in one transaction."""
        with self._lock, _transaction(self._db) as db:
            for path in removed:
                for table in ("files", "chunks", "tags"):
                    db.execute(f"DELETE FROM {table} WHERE path = ?", (path,))
            for f, chunks, tags_json in files:
                db.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
                           (f.path, f.sha256, f.language, f.mtime, f.error))
                db.execute("DELETE FROM chunks WHERE path = ?", (f.path,))
                db.executemany(
                    "INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(r.id, c.path, c.start_line, c.end_line, c.symbol, c.kind, c.language, c.text, r.ehash, r.vec)
                     for r in chunks for c in [r.chunk]],
                )
                db.execute("INSERT OR REPLACE INTO tags VALUES (?, ?)", (f.path, tags_json))
            if meta:
                db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(meta.items()))

    def set_vectors(self, vecs: list[tuple[int, bytes]], meta: dict[str, str] | None = None) -> None:
        with self._lock, _transaction(self._db) as db:
            db.executemany("UPDATE chunks SET vec = ? WHERE id = ?", [(v, i) for i, v in vecs])
            if meta:
                db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(meta.items()))

    def set_meta(self, meta: dict[str, str]) -> None:
        with self._lock, _transaction(self._db) as db:
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(meta.items()))

    def reset(self) -> None:
        with self._lock, _transaction(self._db) as db:
            for table in ("meta", "files", "chunks", "tags"):
                db.execute(f"DELETE FROM {table}")


class _transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
