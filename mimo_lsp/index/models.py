"""The index's public value types: what gets indexed (IndexOptions), a search hit, a build's statistics."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from mimo_lsp.workspace import SelectionOptions

from .languages import LANGUAGES

TEXT_SUFFIXES = frozenset(
    ".md .rst .txt .toml .json .yaml .yml .cfg .ini .sh .html .css .sql .proto .gradle .kt .rb .php .cs .swift"
    .split()
) | {s for spec in LANGUAGES.values() for s in spec.suffixes}

Progress = Callable[[str, int, int], None]  # (stage, done, total)


class IndexOptions(BaseModel):
    """What gets indexed. Server: initializationOptions {"index": {...}}."""

    max_file_bytes: int = 1_000_000
    max_line_chars: int = 2_000  # a longer line means minified / generated
    skip_generated: bool = True
    extra_ignores: list[str] = []  # .gitignore-style patterns on top of the workspace's .gitignore
    suffixes: list[str] | None = None  # None: TEXT_SUFFIXES

    def selection(self, data_dir: Path) -> SelectionOptions:
        """These options as the shared file selection's parameters (mimo_lsp.workspace.FileSelection):
        hidden files never (secrets), the index's own data dir never."""
        return SelectionOptions(
            extra_ignores=tuple(self.extra_ignores),
            suffixes=frozenset(self.suffixes) if self.suffixes is not None else TEXT_SUFFIXES,
            skip_hidden=True, exclude=(data_dir,), max_file_bytes=self.max_file_bytes,
            skip_generated=self.skip_generated, max_line_chars=self.max_line_chars)


class SearchHit(BaseModel):
    path: str
    start_line: int
    end_line: int
    symbol: str | None
    kind: str
    language: str = "text"
    score: float
    snippet: str


class IndexStats(BaseModel):
    files: int  # files in the index after this build
    chunks: int  # chunks in the index after this build
    embedded: int  # chunks embedded by this build (0 when nothing changed)
    pending: int = 0  # chunks still without a vector (embedding failed or was not waited for)
    errors: list[str]
    seconds: float
    embed_seconds: float = 0.0
    timings: dict[str, float] = {}  # seconds per stage: read, parse, lexical, store, embed, hnsw
