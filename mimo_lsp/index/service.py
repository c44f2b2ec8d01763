"""IndexService: one WorkspaceIndex (and, in the server, one BackgroundIndexer) per workspace,
shared by the server, the CLI and the agent's search tool."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mimo_lsp.workspace import state_dir

if TYPE_CHECKING:
    from .searcher import IndexSearcher
    from .worker import BackgroundIndexer
    from .workspace_index import IndexOptions, IndexStats, WorkspaceIndex


class IndexService:
    def __init__(self, options: IndexOptions | None = None, embedder: Any = None) -> None:
        self.options = options
        self.embedder = embedder  # None: the default (onnx_embedder.make_embedder()), shared by all workspaces
        self._indexes: dict[Path, WorkspaceIndex] = {}
        self._workers: dict[Path, BackgroundIndexer] = {}
        self._lock = threading.Lock()

    def index_for(self, workspace: Path) -> WorkspaceIndex:
        from .onnx_embedder import make_embedder
        from .workspace_index import WorkspaceIndex  # heavy deps stay lazy

        root = workspace.resolve()
        with self._lock:
            if root not in self._indexes:
                if self.embedder is None:
                    self.embedder = make_embedder()
                self._indexes[root] = WorkspaceIndex(root, state_dir(root) / "index", embedder=self.embedder,
                                                     options=self.options)
            return self._indexes[root]

    def start_background(self, workspace: Path, progress: Callable[[str, int, int], None] | None = None,
                         watch: bool = True) -> BackgroundIndexer:
        """Scan, watch and embed in background threads (the server). Idempotent per workspace."""
        from .worker import BackgroundIndexer

        index = self.index_for(workspace)
        with self._lock:
            worker = self._workers.get(index.root)
            if worker is None:
                worker = self._workers[index.root] = BackgroundIndexer(index, progress, watch=watch)
                worker.start()
            return worker

    def worker_for(self, workspace: Path) -> BackgroundIndexer | None:
        with self._lock:
            return self._workers.get(workspace.resolve())

    def build(self, workspace: Path, progress: Callable[[str, int, int], None] | None = None) -> IndexStats:
        return self.index_for(workspace).build(progress)

    def searcher(self, workspace: Path) -> IndexSearcher:
        """The agent's search_code tool and planner: same index, same ranking (callable as SearchFn)."""
        from .searcher import IndexSearcher

        return IndexSearcher(self.index_for(workspace))

    def search(self, workspace: Path, query: str, k: int = 10, **kw: Any) -> list[dict[str, Any]]:
        return [h.model_dump() for h in self.searcher(workspace).search(query, k, **kw)]

    def close(self) -> None:
        with self._lock:
            workers, self._workers = list(self._workers.values()), {}
            indexes, self._indexes = list(self._indexes.values()), {}
        for w in workers:
            w.stop()
        for i in indexes:
            i.close()
