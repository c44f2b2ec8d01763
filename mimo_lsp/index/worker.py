"""Background indexing: two daemon threads per workspace, so the LSP event loop never waits on the index.

- the update thread runs the initial scan, then re-indexes paths as they arrive (watchdog events,
  saves, closed buffers): parse + BM25 + store, milliseconds per file;
- the embedding thread drains the pending chunks in batches (most recent edits first), retries with
  backoff when the embedder fails (the failure shows in status), and saves the hnswlib graph once
  things are quiet.

Progress goes to `progress(stage, done, total)` with stages "parse", "embed", and "idle" when both
threads have nothing left to do.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from .watcher import TreeWatcher
from .workspace_index import WorkspaceIndex

log = logging.getLogger(__name__)

SAVE_AFTER_IDLE_S = 2.0
DEBOUNCE_S = 0.02
RETRY_MIN_S = 1.0
RETRY_MAX_S = 30.0


class BackgroundIndexer:
    def __init__(self, index: WorkspaceIndex, progress: Callable[[str, int, int], None] | None = None,
                 watch: bool = True) -> None:
        self.index = index
        self.progress = progress
        self.watch = watch
        self._paths: set[str] = set()
        self._cond = threading.Condition()
        self._embed_wake = threading.Event()
        self._stop = threading.Event()
        self._busy_updates = False
        self._threads: list[threading.Thread] = []
        self._watcher: TreeWatcher | None = None
        self.scanned = threading.Event()
        index.on_change = self._embed_wake.set

    # -- control ---------------------------------------------------------------------------------
    def start(self, scan: bool = True) -> None:
        if self._threads:
            return
        if self.watch:
            idx = self.index
            self._watcher = TreeWatcher(idx.root, self.submit, idx.selected)
            try:
                self._watcher.start()
            except Exception as exc:  # e.g. inotify watch limit: searchable still, just not live
                idx.warn(f"file watching unavailable, changes on disk need a rescan: {type(exc).__name__}: {exc}")
                self._watcher = None
        for target, name in ((lambda: self._update_loop(scan), "mimo-index-update"),
                             (self._embed_loop, "mimo-index-embed")):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        self._embed_wake.set()
        with self._cond:
            self._cond.notify_all()
        if self._watcher is not None:
            self._watcher.stop()
        for t in self._threads:
            t.join(30)
        self._threads.clear()
        self.index.save_graph()

    def submit(self, rels: list[str]) -> None:
        """Paths to re-read from disk; a trailing '/' means a whole folder (moved / deleted)."""
        with self._cond:
            self._paths.update(rels)
            self._cond.notify_all()

    def idle(self) -> bool:
        with self._cond:
            return self.scanned.is_set() and not self._paths and not self._busy_updates and not self.index.pending

    def wait_idle(self, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.idle():
                return True
            time.sleep(0.01)
        return self.idle()

    # -- threads ---------------------------------------------------------------------------------
    def _report(self, stage: str, done: int, total: int) -> None:
        if self.progress is not None:
            try:
                self.progress(stage, done, total)
            except Exception:
                log.exception("progress callback failed")

    def _update_loop(self, scan: bool) -> None:
        try:
            if scan:
                self.index.scan(self._report)
            else:
                self.index.ensure_loaded()
        except Exception as exc:
            log.exception("index scan failed")
            self.index.warn(f"scan failed: {type(exc).__name__}: {exc}")
        finally:
            self.scanned.set()
            self._embed_wake.set()
        while not self._stop.is_set():
            with self._cond:
                while not self._paths and not self._stop.is_set():
                    self._cond.wait(1.0)
                self._busy_updates = True
            # Editors write in several steps (truncate, write, rename): let a burst of events settle.
            self._stop.wait(DEBOUNCE_S)
            with self._cond:
                paths, self._paths = self._paths, set()
            try:
                self.index.update_paths(self._expand(paths))
            except Exception as exc:
                log.exception("index update failed")
                self.index.warn(f"update failed: {type(exc).__name__}: {exc}")
            finally:
                with self._cond:
                    self._busy_updates = False
            self._maybe_idle()

    def _expand(self, paths: set[str]) -> list[str]:
        """Folder entries -> the indexed files under them plus the selected files now on disk there."""
        out: set[str] = set()
        for p in paths:
            if not p.endswith("/"):
                out.add(p)
                continue
            prefix = p
            out.update(self.index.indexed_under(prefix))
            out.update(rel for rel, _ in self.index.walk(under=prefix.rstrip("/")))
        return sorted(out)

    def _embed_loop(self) -> None:
        delay = RETRY_MIN_S
        total = done = 0
        while not self._stop.is_set():
            if not self.index.pending or not self.scanned.is_set() and self.index.pending < 32:
                if total:
                    self._report("embed", done, total)
                    total = done = 0
                self._maybe_idle()
                woke = self._embed_wake.wait(SAVE_AFTER_IDLE_S)
                self._embed_wake.clear()
                if not woke and not self.index.pending:
                    try:
                        self.index.save_graph()
                    except Exception as exc:
                        self.index.warn(f"saving the vector graph failed: {type(exc).__name__}: {exc}")
                continue
            try:
                n = self.index.embed_step()
                delay = RETRY_MIN_S
            except Exception:
                # Recorded in the index's status by embed_step; try again later, not in a hot loop.
                self._stop.wait(delay)
                delay = min(RETRY_MAX_S, delay * 2)
                continue
            done += n
            total = max(total, done + self.index.pending)
            self._report("embed", done, total)

    def _maybe_idle(self) -> None:
        if self.idle():
            self._report("idle", 0, 0)
