"""The update path: files -> chunks. A full scan, re-reads of named paths (watchdog events, saves), and
unsaved editor buffers all end in `replace`: parse, chunk, tag, swap the file's chunks in memory
(BM25, symbol names) and hand back the rows to persist. Synchronous and cheap; embedding comes later
(embed_queue.py). Which files: mimo_lsp.workspace.FileSelection with the index's options.
"""

from __future__ import annotations

import hashlib
import stat
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from mimo_lsp.workspace import FileSelection

from .chunker import analyze, chunk_text
from .languages import language_name
from .records import FileRecord, embed_hash
from .store import FileRow
from .symbols import FileTags, extract_tags

if TYPE_CHECKING:
    from .models import IndexOptions, Progress
    from .persistence import FileRows, IndexPersistence
    from .state import IndexState

SCAN_COMMIT_FILES = 200  # files per store transaction during a scan


class IndexUpdater:
    def __init__(self, state: IndexState, persistence: IndexPersistence, options: IndexOptions,
                 data_dir: Path, wake: Callable[[], None]) -> None:
        self.state = state
        self.persistence = persistence
        self.root = state.root
        self.selection_options = options.selection(data_dir)
        self.wake = wake  # tells the embedding side that chunks are pending
        self._scan_lock = threading.Lock()  # one full scan at a time

    def selection(self) -> FileSelection:
        """A fresh selection: .gitignore files are read again, so edits to them apply from the next update."""
        return FileSelection(self.root, self.selection_options)

    # -- one file --------------------------------------------------------------------------------
    def replace(self, rel: str, text: str, sha: str, mtime: float, persisted: bool, priority: float,
                error: str | None = None) -> FileRows | None:
        """Parse `text` as the content of `rel` and swap it in. Returns the rows to persist (or None)."""
        state = self.state
        t0 = time.perf_counter()
        analysis = None
        try:
            analysis = analyze(rel, text)
            chunks = analysis.chunks
            tags = extract_tags(analysis)
            if analysis.syntax_errors and error is None:
                error = "syntax errors: indexed what tree-sitter recovered"
        except Exception as exc:  # keep the file searchable as plain text
            chunks, tags = chunk_text(rel, text), FileTags()
            error = f"chunking failed, indexed as text windows: {type(exc).__name__}: {exc}"
        hashes = [embed_hash(c) for c in chunks]
        t0 = state.timings.add("parse", t0)
        with state.lock:
            keep = state.swap_chunks(rel, chunks, hashes, persisted, priority)
            spec = analysis.spec if analysis is not None else None
            language = spec.name if chunks and spec else language_name(rel)
            state.files[rel] = FileRecord(sha, language, mtime, error)
            state.tags[rel] = tags
            state.changed()
            state.timings.add("lexical", t0)
            if not persisted:
                return None
            return FileRow(rel, sha, language, mtime, error), state.rows(keep), tags.model_dump_json()

    def _forget(self, rel: str) -> int:
        """Drop `rel` from the index (memory and store) if it is there. Returns 1 if it was."""
        with self.state.lock:
            if rel not in self.state.files:
                return 0
            self.state.remove_file(rel)
            self.persistence.write([], [rel])
            return 1

    def update_from_disk(self, rel: str, priority: float, batch: list[FileRows] | None,
                         selection: FileSelection) -> int:
        """Re-read one selected file. Returns 1 if the index changed. `batch`: collect the rows there
        (a scan persists them in groups) instead of writing them now."""
        state = self.state
        t0 = time.perf_counter()
        reason, data, mtime = selection.read(rel)
        if reason is not None:
            known = self._forget(rel)
            if reason.startswith("unreadable"):
                state.warn(f"{rel}: {reason}")
            return known
        assert data is not None
        sha = hashlib.sha256(data).hexdigest()
        with state.lock:
            current = state.files.get(rel)
            if current is not None and current.sha == sha and all(state.chunks[c].persisted
                                                                   for c in state.by_path.get(rel, [])):
                return 0
        error = None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            text = data.decode("utf-8", "replace")
            error = f"not valid UTF-8, undecodable bytes replaced: {exc}"
        state.timings.add("read", t0)
        rows = self.replace(rel, text, sha, mtime, persisted=True, priority=priority, error=error)
        if rows is not None:
            if batch is None:
                self.persistence.write([rows], [])
            else:
                batch.append(rows)
        return 1

    # -- many files ------------------------------------------------------------------------------
    def update_paths(self, rels: Iterable[str], priority: float | None = None) -> int:
        """Re-read the given files from disk (watchdog events, saves). Returns how many changed."""
        prio = time.time() + 1e9 if priority is None else priority  # edits beat the cold backlog
        selection = self.selection()
        changed = 0
        for rel in rels:
            with self.state.lock:
                if rel in self.state.buffers:
                    continue  # the editor's unsaved text stays authoritative until save / close
            if not selection.selected(rel):  # ignored now (or never was a file of the index)
                changed += self._forget(rel)
                continue
            changed += self.update_from_disk(rel, prio, None, selection)
        if changed:
            self.wake()
        return changed

    def scan(self, progress: Progress | None = None) -> tuple[int, int]:
        """Bring the index in line with the tree on disk. Returns (changed files, removed files)."""
        state = self.state
        with self._scan_lock:
            t0 = time.perf_counter()
            selection = self.selection()
            walk_errors: list[str] = []
            candidates = [(rel, st.st_mtime) for rel, st in selection.walk(on_error=lambda e: walk_errors.append(str(e)))
                          if stat.S_ISREG(st.st_mode)]
            for err in walk_errors:
                state.warn(f"walk: {err}")
            state.timings.add("scan", t0)
            # Recently edited files first: they are parsed, persisted and embedded first.
            candidates.sort(key=lambda c: -c[1])
            seen = {rel for rel, _ in candidates}
            changed = 0
            batch: list[FileRows] = []
            for n, (rel, mtime) in enumerate(candidates):
                if progress and n % 50 == 0:
                    progress("parse", n, len(candidates))
                with state.lock:
                    if rel in state.buffers:
                        continue
                changed += self.update_from_disk(rel, mtime, batch, selection)
                if len(batch) >= SCAN_COMMIT_FILES:
                    self.persistence.write(batch, [])
                    batch = []
                    self.wake()
            with state.lock:
                gone = [rel for rel in state.files if rel not in seen and rel not in state.buffers]
                for rel in gone:
                    state.remove_file(rel)
            self.persistence.write(batch, gone)
            if progress:
                progress("parse", len(candidates), len(candidates))
            self.wake()
            return changed, len(gone)

    # -- unsaved editor buffers --------------------------------------------------------------------
    def set_buffer(self, rel: str, text: str) -> None:
        """didOpen / didChange: the buffer's text is what search sees for `rel` (memory only)."""
        if not self.selection().selected(rel):
            return
        with self.state.lock:
            self.state.buffers[rel] = text
        sha = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()
        self.replace(rel, text, sha, time.time(), persisted=False, priority=time.time() + 2e9)
        self.wake()

    def drop_buffer(self, rel: str) -> bool:
        """didSave / didClose: forget the buffer. True when `rel` must be read from disk again."""
        with self.state.lock:
            had = self.state.buffers.pop(rel, None) is not None
        return had or rel in self.state.files
