"""Workspace index: tree-sitter chunks and symbols, BM25, MiniLM embeddings in hnswlib, hybrid search.

Importing this package is cheap: torch, sentence_transformers, onnxruntime, hnswlib and tree_sitter are
imported only when first used.

The stable API for the agent and other callers is `IndexSearcher` (searcher.py):
`search(query, k, filters, mode)` and `repo_map(token_budget)`.
"""

from .chunker import Chunk, chunk_file
from .embeddings import Embedder, SentenceTransformerEmbedder
from .hybrid import SearchFilters
from .onnx_embedder import AutoEmbedder, OnnxEmbedder, make_embedder
from .searcher import IndexSearcher
from .workspace_index import IndexOptions, IndexStats, SearchHit, WorkspaceIndex

__all__ = [
    "AutoEmbedder",
    "Chunk",
    "Embedder",
    "IndexOptions",
    "IndexSearcher",
    "IndexStats",
    "OnnxEmbedder",
    "SearchFilters",
    "SearchHit",
    "SentenceTransformerEmbedder",
    "WorkspaceIndex",
    "chunk_file",
    "make_embedder",
]
