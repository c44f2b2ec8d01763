"""Workspace semantic index: tree-sitter chunks, MiniLM embeddings, hnswlib vectors.

Importing this package is cheap: torch, sentence_transformers, hnswlib and
tree_sitter are imported only when first used.
"""

from .chunker import Chunk, chunk_file
from .embeddings import Embedder, SentenceTransformerEmbedder
from .workspace_index import IndexStats, SearchHit, WorkspaceIndex

__all__ = [
    "Chunk",
    "Embedder",
    "IndexStats",
    "SearchHit",
    "SentenceTransformerEmbedder",
    "WorkspaceIndex",
    "chunk_file",
]
