"""The incremental workspace index: chunks + symbol tags + BM25 + hnswlib vectors, persisted under data_dir.

Updating a file (from a scan, a watchdog event, a save, or an unsaved editor buffer) is cheap and
synchronous: parse, chunk, tag, update BM25 and the symbol names, write the file's rows. From then on
the new text is searchable lexically and by name. Embedding is the slow part and happens separately
(`embed_pending`, driven by the background worker in worker.py), most recently edited chunks first;
chunks whose embedded text did not change keep their vector.

WorkspaceIndex is the entry point; the parts live in their own modules:

  state.py         IndexState: the in-memory index and the one lock over it
  persistence.py   loading / saving rows (index.sqlite3) and the vector graph (vectors.bin)
  updates.py       the update path, files -> chunks: scan, re-read paths, unsaved buffers
  embed_queue.py   the chunks waiting for a vector and the step that embeds a batch
  queries.py       search, status, workspace symbols, repo map
  models.py        IndexOptions, SearchHit, IndexStats
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from . import hybrid
from .embed_queue import BULK_EMBED_BATCH, EMBED_BATCH, EmbedQueue
from .embeddings import Embedder
from .models import TEXT_SUFFIXES, IndexOptions, IndexStats, Progress, SearchHit
from .persistence import IndexPersistence
from .queries import IndexQueries
from .state import MAX_ERRORS_LISTED, IndexState
from .symbols import Definition
from .updates import IndexUpdater

__all__ = ["EMBED_BATCH", "MAX_ERRORS_LISTED", "TEXT_SUFFIXES", "IndexOptions", "IndexStats", "Progress",
           "SearchHit", "WorkspaceIndex"]

log = logging.getLogger(__name__)


class WorkspaceIndex:
    def __init__(self, root: Path, data_dir: Path, embedder: Embedder | None = None,
                 options: IndexOptions | None = None) -> None:
        self.root = Path(root).resolve()
        self.data_dir = Path(data_dir).resolve()
        if embedder is None:
            from .onnx_embedder import make_embedder

            embedder = make_embedder()
        self.embedder: Embedder = embedder
        self.options = options or IndexOptions()
        self.state = IndexState(self.root)
        self.persistence = IndexPersistence(self.state, self.data_dir, self.embedder)
        self.updater = IndexUpdater(self.state, self.persistence, self.options, self.data_dir, self._wake)
        self.embedding = EmbedQueue(self.state, self.persistence, self.embedder)
        self.queries = IndexQueries(self.state, self.persistence, self.embedder, self._prepare)
        self.last_stats: IndexStats | None = None
        self.on_change: Callable[[], None] | None = None  # the worker's wake-up (new pending chunks)

    # === the in-memory index, read by the worker, the benchmarks and the tests =====================
    @property
    def files(self) -> dict[str, Any]:
        return self.state.files

    @property
    def chunks(self) -> dict[int, Any]:
        return self.state.chunks

    @property
    def warnings(self) -> list[str]:
        return self.state.warnings

    @property
    def pending(self) -> int:
        return len(self.state.pending)

    def warn(self, message: str) -> None:
        """An index-level problem: logged, and listed in status()."""
        self.state.warn(message)

    _warn = warn  # the name the worker used before the split

    def indexed_under(self, prefix: str) -> list[str]:
        """Indexed paths that start with `prefix` (a folder ending with '/')."""
        with self.state.lock:
            return [r for r in self.state.files if r.startswith(prefix)]

    # === which files ============================================================================
    def selected(self, rel: str) -> bool:
        """Whether `rel` (posix, workspace-relative) is a file this index covers (mimo_lsp.workspace.FileSelection)."""
        return self.updater.selection().selected(rel)

    def walk(self, under: str = "") -> Iterator[tuple[str, os.stat_result]]:
        """The selected files on disk (below folder `under`): (workspace-relative path, lstat)."""
        return self.updater.selection().walk(under=under)

    def ignored(self, rel: str) -> bool:
        """Not selected: ignored by the workspace's rules or outside the index's options."""
        return not self.selected(rel)

    # === loading and saving =====================================================================
    def ensure_loaded(self) -> None:
        with self.state.lock:
            if not self.persistence.loaded:
                self.persistence.load()

    def save_graph(self) -> None:
        self.persistence.save_graph()

    def close(self) -> None:
        self.persistence.close()

    # === updating files =========================================================================
    def _wake(self) -> None:
        if self.on_change is not None and self.state.pending:
            self.on_change()

    def update_paths(self, rels: Iterable[str], priority: float | None = None) -> int:
        """Re-read the given files from disk (watchdog events, saves). Returns how many changed."""
        self.ensure_loaded()
        return self.updater.update_paths(rels, priority)

    def set_buffer(self, rel: str, text: str) -> None:
        """didOpen / didChange: the buffer's text is what search sees for `rel` (memory only)."""
        self.ensure_loaded()
        self.updater.set_buffer(rel, text)

    def drop_buffer(self, rel: str) -> None:
        """didSave / didClose: back to the file on disk."""
        if self.updater.drop_buffer(rel):
            self.update_paths([rel])

    def scan(self, progress: Progress | None = None) -> tuple[int, int]:
        """Bring the index in line with the tree on disk. Returns (changed files, removed files)."""
        self.ensure_loaded()
        return self.updater.scan(progress)

    # === embedding ==============================================================================
    def embed_step(self, size: int = EMBED_BATCH) -> int:
        """Embed one batch of pending chunks. Returns how many got vectors; raises on embedder failure
        (after recording it for status)."""
        return self.embedding.step(size)

    def embed_pending(self, progress: Progress | None = None) -> tuple[int, str | None]:
        """Embed until nothing is pending. Returns (embedded, error message if the embedder failed)."""
        self.ensure_loaded()
        done = 0
        total = self.pending
        while True:
            if progress:
                progress("embed", done, max(total, done + self.pending))
            try:
                n = self.embed_step(BULK_EMBED_BATCH)
            except Exception as exc:
                return done, f"embedding failed, {self.pending} chunk(s) not embedded: {type(exc).__name__}: {exc}"
            if n == 0 and not self.pending:
                break
            done += n
        if progress:
            progress("embed", done, done)
        return done, None

    # === build = scan + embed (CLI, tests, first use) ===========================================
    def build(self, progress: Progress | None = None) -> IndexStats:
        t0 = time.perf_counter()
        state = self.state
        before = Counter(state.timings.seconds)
        errors: list[str] = []
        warned = len(state.warnings)
        try:
            self.ensure_loaded()
            self.scan(progress)
            embedded, err = self.embed_pending(progress)
            if err:
                errors.append(err)
            self.save_graph()
        except Exception as exc:
            log.exception("index build failed")
            errors.append(f"index build failed: {type(exc).__name__}: {exc}")
            embedded = 0
        with state.lock:
            errors = [w for w in state.warnings[warned:] if not w.startswith("embedding failed")] + errors
            errors += state.file_errors()
            spent = state.timings.seconds - before
            stats = IndexStats(files=len(state.files), chunks=len(state.chunks), embedded=embedded,
                               pending=self.pending, errors=errors, seconds=time.perf_counter() - t0,
                               embed_seconds=spent.get("embed", 0.0), timings=dict(spent))
        self.last_stats = stats
        return stats

    # === queries ================================================================================
    def _prepare(self) -> None:
        """Load; build first when there is nothing at all (first search of a new workspace)."""
        self.ensure_loaded()
        with self.state.lock:
            empty = self.persistence.never_built()
        if empty:
            self.build()

    def search(self, query: str, k: int = 10, filters: hybrid.SearchFilters | None = None,
               mode: str = "hybrid", fusion: str = hybrid.DEFAULT_FUSION) -> list[SearchHit]:
        return self.queries.search(query, k, filters, mode, fusion)

    def status(self) -> dict[str, Any]:
        return self.queries.status()

    def workspace_symbols(self, query: str, limit: int = 100) -> list[tuple[str, Definition]]:
        self.ensure_loaded()
        return self.queries.workspace_symbols(query, limit)

    def repo_map(self, token_budget: int = 1024, focus: Iterable[str] = ()) -> str:
        """Outline of the most referenced definitions. `focus`: paths (personalize the ranking
        towards them) and/or identifiers (boost definitions with those names)."""
        return self.queries.repo_map(token_budget, focus)
