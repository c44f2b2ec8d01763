"""Loading and persisting the index: rows in index.sqlite3 (store.py), the hnswlib graph in vectors.bin.

On-disk layout (data_dir):
  index.sqlite3   the source of truth: files, chunks with their vectors, tags
  vectors.bin     hnswlib graph, a cache: reconciled with index.sqlite3 on load, rebuilt from the
                  stored vectors (no re-embedding) when missing or unreadable
A store from another schema or embedder is reset; an unreadable one is deleted and rebuilt (with a warning).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .records import FileRecord
from .store import SCHEMA_VERSION, ChunkRow, FileRow, IndexStore
from .symbols import FileTags
from .vectors import VectorStore

if TYPE_CHECKING:
    from .embeddings import Embedder
    from .state import IndexState

log = logging.getLogger("mimo_lsp.index.workspace_index")

FileRows = tuple[FileRow, list[ChunkRow], str]  # a file, its chunks, its tags (JSON)


def embedder_name(embedder: Embedder) -> str:
    return str(getattr(embedder, "name", type(embedder).__qualname__))


class IndexPersistence:
    def __init__(self, state: IndexState, data_dir: Path, embedder: Embedder) -> None:
        self.state = state
        self.data_dir = data_dir
        self.embedder = embedder
        self.store: IndexStore | None = None
        self.loaded = False

    @property
    def db_path(self) -> Path:
        return self.data_dir / "index.sqlite3"

    @property
    def graph_path(self) -> Path:
        return self.data_dir / "vectors.bin"

    # -- loading (caller holds state.lock) -----------------------------------------------------------
    def _dim(self) -> int | None:
        """The embedder's dimension, or None when the model cannot load (recorded as an embedding
        failure: the index keeps working lexically and by name)."""
        try:
            return int(self.embedder.dim)
        except Exception as exc:
            self.state.embed_failed(exc)
            return None

    def _expected_meta(self, dim: int | None) -> dict[str, str]:
        meta = {"schema": str(SCHEMA_VERSION), "embedder": embedder_name(self.embedder)}
        if dim is not None:
            meta["dim"] = str(dim)
        return meta

    def load(self) -> None:
        """A missing, stale or corrupt store yields an empty index (with a warning)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        dim = self._dim()
        expected = self._expected_meta(dim)
        try:
            self.store = IndexStore(self.db_path)
            meta = self.store.meta()
            if meta and any(meta.get(k) != v for k, v in expected.items()):
                log.info("index in %s is from another schema/embedder; rebuilding", self.data_dir)
                self.store.reset()
                meta = {}
            if not meta:
                self.store.set_meta(expected)
            self._load_rows(meta)
        except Exception as exc:
            self.state.warn(f"persisted index unusable, rebuilding from scratch: {type(exc).__name__}: {exc}")
            if self.store is not None:
                self.store.close()
            IndexStore.delete(self.db_path)
            self.graph_path.unlink(missing_ok=True)
            self.state.clear()
            self.store = IndexStore(self.db_path)
            self.store.set_meta(expected)
        if dim is not None:
            self.load_graph(dim)
        self.loaded = True

    def _load_rows(self, meta: dict[str, str]) -> None:
        assert self.store is not None
        state = self.state
        for f in self.store.files():
            state.files[f.path] = FileRecord(f.sha256, f.language, f.mtime, f.error)
        for path, data in self.store.tags().items():
            state.tags[path] = FileTags.model_validate_json(data)
        for row in self.store.chunks():
            state.add_chunk(row.id, row.chunk, row.ehash, persisted=True)
            if row.vec is None:
                path = row.chunk.path
                state.pending.push(row.id, state.files[path].mtime if path in state.files else 0.0)
        state.next_id = max([int(meta.get("next_id", "0"))] + [i + 1 for i in state.chunks])
        state.last_update = meta.get("last_update")

    def load_graph(self, dim: int) -> None:
        """Reconcile the saved graph with the store, or rebuild it from stored vectors."""
        import numpy as np

        assert self.store is not None
        state = self.state
        wanted = {cid for cid, c in state.chunks.items() if cid not in state.pending and c.persisted}

        db = self.store
        assert db is not None, "the graph is loaded after the store"

        def fetch(ids: list[int]) -> dict[int, Any]:
            return {i: np.frombuffer(v, dtype=np.float32) for i, v in db.vectors(ids).items()}

        if self.graph_path.exists():
            try:
                store, labels = VectorStore.load(self.graph_path, dim)
                state.next_id = max([state.next_id] + [i + 1 for i in labels])
                added = store.reconcile(labels, wanted, fetch)
                state.vectors = store
                state.vectors_dirty = added > 0 or labels != wanted
                return
            except Exception as exc:
                state.warn(f"vector graph {self.graph_path.name} unreadable, rebuilt from stored vectors: "
                           f"{type(exc).__name__}: {exc}")
        state.vectors = VectorStore(dim, capacity=2 * len(state.chunks))
        if wanted:
            state.vectors.reconcile(set(), wanted, fetch)
            state.vectors_dirty = True

    # -- persisting ----------------------------------------------------------------------------------
    def write(self, files: list[FileRows], removed: list[str]) -> None:
        """One transaction: files (re)written, files removed, and the id counter / last update."""
        t0 = time.perf_counter()
        assert self.store is not None
        state = self.state
        self.store.write(files, removed, meta={"next_id": str(state.next_id), "last_update": state.last_update or ""})
        state.timings.add("store", t0)

    def set_vectors(self, vectors: list[tuple[int, bytes]]) -> None:
        assert self.store is not None
        self.store.set_vectors(vectors)

    def save_graph(self) -> None:
        state = self.state
        with state.lock:
            if state.vectors is not None and state.vectors_dirty:
                if state.vectors.needs_compaction():
                    state.vectors = state.vectors.compacted()
                t0 = time.perf_counter()
                state.vectors.save(self.graph_path)
                state.timings.add("hnsw", t0)
                state.vectors_dirty = False

    def close(self) -> None:
        with self.state.lock:
            if self.loaded:
                self.save_graph()
            if self.store is not None:
                self.store.close()
                self.store = None
            self.loaded = False
            self.state.clear()

    def never_built(self) -> bool:
        """Loaded, and nothing was ever indexed here (a new workspace). Caller holds state.lock."""
        return not self.state.files and self.store is not None and not self.store.meta().get("last_update")

    def status_from_disk(self) -> dict[str, Any]:
        """Status without loading the index: a cheap read of the store."""
        out: dict[str, Any] = {"files": 0, "chunks": 0, "pending": 0, "embedded": 0, "errors": 0, "errorList": [],
                               "embedFailures": 0, "lastEmbedError": None, "unsavedBuffers": 0, "lastUpdate": None,
                               "dataDir": str(self.data_dir), "embedder": embedder_name(self.embedder)}
        if not self.db_path.exists():
            return out
        try:
            store = IndexStore(self.db_path)
            try:
                files, chunks, pending = store.counts()
                out.update(files=files, chunks=chunks, pending=pending, embedded=chunks - pending,
                           lastUpdate=store.meta().get("last_update") or None)
            finally:
                store.close()
        except Exception as exc:
            out.update(errors=1, errorList=[f"unreadable index: {type(exc).__name__}: {exc}"])
        return out
