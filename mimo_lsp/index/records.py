"""The in-memory records of the index (a file, a chunk), the texts derived from a chunk, stage timings."""

from __future__ import annotations

import hashlib
import re
import time
from collections import Counter
from dataclasses import dataclass, field

from .chunker import Chunk
from .lexical import split_words


@dataclass
class FileRecord:
    sha: str
    language: str
    mtime: float
    error: str | None = None


@dataclass
class ChunkRecord:
    chunk: Chunk
    ehash: str  # hash of the embedded text: same hash, same vector
    persisted: bool  # False: from an unsaved buffer, memory only


@dataclass
class StageTimings:
    seconds: Counter[str] = field(default_factory=Counter)  # float seconds: Counter adds and subtracts them

    def add(self, stage: str, t0: float) -> float:
        now = time.perf_counter()
        self.seconds[stage] += now - t0  # type: ignore[assignment]
        return now


# BM25F-style field weights of a chunk's lexical document (see lexical_fields).
NAME_WEIGHT = 3.0
DOC_WEIGHT = 2.0
CODE_WEIGHT = 1.0
_PY_DOC = re.compile(r'"""[\s\S]*?(?:"""|$)|\'\'\'[\s\S]*?(?:\'\'\'|$)|#[^\n]*')
_C_DOC = re.compile(r"/\*[\s\S]*?(?:\*/|$)|//[^\n]*")
_C_LIKE = frozenset({"javascript", "typescript", "tsx", "go", "rust", "java", "c", "cpp"})


def split_doc(chunk: Chunk) -> tuple[str, str]:
    """(docstrings and comments, the rest) of a chunk's text; prose files are all doc."""
    pattern = _PY_DOC if chunk.language == "python" else _C_DOC if chunk.language in _C_LIKE else None
    if pattern is None:
        return chunk.text, ""
    docs = pattern.findall(chunk.text)
    return "\n".join(docs), pattern.sub(" ", chunk.text)


def lexical_fields(chunk: Chunk) -> list[tuple[str, float]]:
    """The chunk's BM25 document as weighted fields: its qualified symbol, its path, its prose
    (docstrings, comments) and its code. What a query describes is said mostly by the name and the prose.
    The path counts as code: weighted up it would lift every chunk of a file whose name the query says."""
    doc, code = split_doc(chunk)
    return [(chunk.symbol or "", NAME_WEIGHT), (doc, DOC_WEIGHT), (f"{chunk.path}\n{code}", CODE_WEIGHT)]


def embed_text(chunk: Chunk) -> str:
    # Spelling the symbol out as words ("compute invoice total") lets a natural-language
    # query match identifiers that the model would otherwise see as one opaque token.
    if chunk.symbol:
        header = f"{chunk.kind} {chunk.symbol} ({' '.join(split_words(chunk.symbol))}) in {chunk.path}"
    else:
        header = f"{chunk.kind} in {chunk.path}"
    return f"{header}\n{chunk.text}"


def embed_hash(chunk: Chunk) -> str:
    return hashlib.blake2b(embed_text(chunk).encode("utf-8", "replace"), digest_size=16).hexdigest()
