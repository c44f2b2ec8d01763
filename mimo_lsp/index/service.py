"""IndexService: one WorkspaceIndex per workspace, shared by the server, the CLI and the agent's search tool."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from mimo_lsp.workspace import state_dir


class IndexService:
    def __init__(self) -> None:
        self._indexes: dict[Path, Any] = {}
        self._locks: dict[Path, threading.Lock] = {}
        self._lock = threading.Lock()

    def index_for(self, workspace: Path):
        from mimo_lsp.index.workspace_index import WorkspaceIndex  # heavy deps stay lazy

        root = workspace.resolve()
        with self._lock:
            if root not in self._indexes:
                self._indexes[root] = WorkspaceIndex(root, state_dir(root) / "index")
                self._locks[root] = threading.Lock()
            return self._indexes[root], self._locks[root]

    def search(self, workspace: Path, query: str, k: int = 10) -> list[dict[str, Any]]:
        """Brings the index up to date (incremental) and searches it."""
        index, lock = self.index_for(workspace)
        with lock:
            index.build()
            return [hit.model_dump() for hit in index.search(query, k)]

    def build(self, workspace: Path, progress=None):
        index, lock = self.index_for(workspace)
        with lock:
            return index.build(progress)

    def searcher(self, workspace: Path):
        """The agent's search_code tool: same index, same ranking."""
        return lambda query, k: self.search(workspace, query, k)
