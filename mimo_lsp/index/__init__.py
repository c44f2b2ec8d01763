"""Workspace index: tree-sitter chunks and symbols, BM25, MiniLM embeddings in hnswlib, hybrid search.

Importing this package is cheap: torch, sentence_transformers, hnswlib and tree_sitter are
imported only when first used.

The stable API for the agent and other callers is `IndexSearcher` (searcher.py):
`search(query, k, filters, mode)` and `repo_map(token_budget)`.
"""

from .chunker import Chunk, chunk_file
from .embeddings import Embedder, SentenceTransformerEmbedder
from .hybrid import SearchFilters
from .searcher import IndexSearcher
from .workspace_index import IndexOptions, IndexStats, SearchHit, WorkspaceIndex

__all__ = [
    "Chunk",
    "Embedder",
    "IndexOptions",
    "IndexSearcher",
    "IndexStats",
    "SearchFilters",
    "SearchHit",
    "SentenceTransformerEmbedder",
    "WorkspaceIndex",
    "chunk_file",
]
