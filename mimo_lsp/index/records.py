"""The in-memory records of the index (a file, a chunk), the texts derived from a chunk, stage timings."""

from __future__ import annotations

import hashlib
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


def lexical_text(chunk: Chunk) -> str:
    return f"{chunk.path} {chunk.symbol or ''}\n{chunk.text}"


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
