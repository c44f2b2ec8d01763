"""IndexSearcher: the one search entry point shared by the server, the CLI and the agent.

    searcher.search(query, k=10, filters=None, mode="hybrid") -> list[SearchHit]
    searcher.repo_map(token_budget=1024, focus=()) -> str
    searcher(query, k) -> list[dict]      # the agent's SearchFn (tools.registry), same ranking
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from .hybrid import DEFAULT_FUSION, SearchFilters

if TYPE_CHECKING:
    from .workspace_index import SearchHit, WorkspaceIndex


class IndexSearcher:
    def __init__(self, index: WorkspaceIndex) -> None:
        self.index = index

    def search(self, query: str, k: int = 10, filters: SearchFilters | Mapping[str, Any] | None = None,
               mode: str = "hybrid", fusion: str = DEFAULT_FUSION) -> list[SearchHit]:
        """Best chunks for `query`. filters: {"language": [...], "path": "glob", "kind": [...]};
        mode: "hybrid" (BM25, vectors and symbol names fused), "vector" or "lexical";
        fusion (hybrid only): "combsum" (normalised score sum, the default) or "rrf" (reciprocal rank)."""
        if filters is not None and not isinstance(filters, SearchFilters):
            filters = SearchFilters.model_validate(filters)
        return self.index.search(query, k, filters, mode, fusion)

    def repo_map(self, token_budget: int = 1024, focus: Iterable[str] = ()) -> str:
        """Ranked outline of the workspace's definitions within ~token_budget tokens. `focus`:
        workspace-relative paths and/or identifiers the ranking should lean towards."""
        return self.index.repo_map(token_budget, focus)

    def __call__(self, query: str, k: int = 10) -> list[dict[str, Any]]:
        return [hit.model_dump() for hit in self.search(query, k)]
