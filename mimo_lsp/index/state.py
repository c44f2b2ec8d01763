"""IndexState: the in-memory index of one workspace and the bookkeeping that keeps its parts in step.

Parts: the files and their chunks, symbol tags, unsaved editor buffers, BM25 (lexical), symbol names,
the hnswlib vectors, the chunks waiting for a vector (PendingQueue), plus the index-level warnings.
`lock` guards all of it, hnswlib included (it must not be queried while items are added). It is held
for bookkeeping only: reading, parsing and embedding happen outside. Methods expect the caller to hold it.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .chunker import Chunk
from .pending import PendingQueue
from .lexical import LexicalIndex
from .records import ChunkRecord, FileRecord, StageTimings, lexical_fields
from .store import ChunkRow
from .symbols import FileTags, SymbolNameIndex
from .vectors import VectorStore

log = logging.getLogger("mimo_lsp.index.workspace_index")

MAX_ERRORS_LISTED = 50
RECENT_VECTORS = 4096


class IndexState:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.lock = threading.RLock()
        self.files: dict[str, FileRecord] = {}
        self.chunks: dict[int, ChunkRecord] = {}
        self.by_path: dict[str, list[int]] = {}
        self.tags: dict[str, FileTags] = {}
        self.buffers: dict[str, str] = {}  # unsaved editor text by path
        self.lexical = LexicalIndex()
        self.names = SymbolNameIndex()
        self.vectors: VectorStore | None = None
        self.vectors_dirty = False
        self.next_id = 0
        self.pending = PendingQueue()
        # Vectors of recently dropped chunks by embedded-text hash: text that comes back (an editor
        # truncating a file before writing it, undo, a branch switch) is not embedded again.
        self.recent_vectors: OrderedDict[str, Any] = OrderedDict()
        self.warnings: list[str] = []  # index-level: rebuilt files, embedding failures
        self.embed_failures = 0
        self.last_embed_error: str | None = None
        self.last_update: str | None = None
        self.generation = 0  # bumped on every change: caches (repo map) key on it
        self.timings = StageTimings()

    # -- warnings ----------------------------------------------------------------------------------
    def warn(self, message: str) -> None:
        log.warning("index %s: %s", self.root, message)
        self.warnings.append(message)
        del self.warnings[:-MAX_ERRORS_LISTED]

    def embed_failed(self, exc: BaseException) -> None:
        self.embed_failures += 1
        self.last_embed_error = f"{type(exc).__name__}: {exc}"
        self.warn(f"embedding failed, {len(self.pending)} chunk(s) wait for a retry: {self.last_embed_error}")

    def file_errors(self) -> list[str]:
        return [f"{p}: {f.error}" for p, f in sorted(self.files.items()) if f.error]

    # -- chunks ------------------------------------------------------------------------------------
    def clear(self) -> None:
        for table in (self.files, self.chunks, self.by_path, self.tags):
            table.clear()
        self.lexical, self.names, self.vectors = LexicalIndex(), SymbolNameIndex(), None
        self.pending.clear()
        self.next_id = 0

    def add_chunk(self, cid: int, chunk: Chunk, ehash: str, persisted: bool) -> None:
        self.chunks[cid] = ChunkRecord(chunk, ehash, persisted)
        self.by_path.setdefault(chunk.path, []).append(cid)
        self.lexical.add(cid, lexical_fields(chunk))
        self.names.add(cid, chunk.symbol if chunk.kind not in ("module", "text") else None)

    def drop_chunk(self, cid: int) -> None:
        rec = self.chunks.pop(cid, None)
        self.lexical.remove(cid)
        self.names.remove(cid)
        self.pending.discard(cid)
        if self.vectors is not None and self.vectors.has(cid):
            if rec is not None:
                self.recent_vectors[rec.ehash] = self.vectors.get([cid])[0]
                while len(self.recent_vectors) > RECENT_VECTORS:
                    self.recent_vectors.popitem(last=False)
            self.vectors.delete([cid])
            self.vectors_dirty = True

    def changed(self) -> None:
        self.generation += 1
        self.last_update = datetime.now(timezone.utc).isoformat(timespec="milliseconds")

    # -- files -------------------------------------------------------------------------------------
    def swap_chunks(self, rel: str, chunks: list[Chunk], hashes: list[str], persisted: bool,
                    priority: float) -> list[int]:
        """Make `chunks` the chunks of `rel`. Unchanged text keeps its id, its vector and its postings;
        new text reuses a recently dropped vector or waits for one. Returns the file's chunk ids."""
        old: dict[str, list[int]] = {}
        for cid in self.by_path.pop(rel, []):
            old.setdefault(self.chunks[cid].ehash, []).append(cid)
        keep: list[int] = []
        for chunk, eh in zip(chunks, hashes):
            same = old.get(eh)
            if same:  # unchanged text: keep its id, its vector and its postings; lines may move
                cid = same.pop()
                rec = self.chunks[cid]
                rec.chunk, rec.persisted = chunk, persisted
                self.by_path.setdefault(rel, []).append(cid)
            else:
                cid = self.next_id
                self.next_id += 1
                self.add_chunk(cid, chunk, eh, persisted)
                vec = self.recent_vectors.pop(eh, None)
                if vec is not None and self.vectors is not None:
                    self.vectors.add([cid], vec.reshape(1, -1))
                    self.vectors_dirty = True
                else:
                    self.pending.push(cid, priority)
            keep.append(cid)
        for ids in old.values():
            for cid in ids:
                self.drop_chunk(cid)
        return keep

    def remove_file(self, rel: str) -> None:
        for cid in self.by_path.pop(rel, []):
            self.drop_chunk(cid)
        self.files.pop(rel, None)
        self.tags.pop(rel, None)
        self.changed()

    def rows(self, ids: list[int]) -> list[ChunkRow]:
        """The store rows of chunks `ids`, with their vectors where they have one."""
        embedded = [cid for cid in ids if cid not in self.pending and self.vectors is not None
                    and self.vectors.has(cid)]
        vecs = dict(zip(embedded, self.vectors.get(embedded))) if embedded and self.vectors else {}
        return [ChunkRow(cid, self.chunks[cid].chunk, self.chunks[cid].ehash,
                         vecs[cid].tobytes() if cid in vecs else None) for cid in ids]
