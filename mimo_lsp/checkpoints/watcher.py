"""DirtyWatcher: the set of paths that changed on disk, from the workspace's file watcher (mimo_lsp.watch:
one watchdog observer per workspace, shared with the index and other trackers).

A `barrier()` writes a marker file and waits for its own event: every event that happened before
it has then been delivered, so `drain()` after a barrier is complete for the command that just ran.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
from pathlib import Path

from mimo_lsp import watch

log = logging.getLogger(__name__)

MARKER_NAME = "watch-barrier"
_MARKERS = itertools.count(1)  # per process: trackers sharing a marker dir never reuse a name


class DirtyWatcher:
    def __init__(self, root: Path, marker_dir: Path) -> None:
        self.root = root
        self.marker_dir = marker_dir
        self._dirty: set[str] = set()
        self._lock = threading.Lock()
        self._seen_marker = threading.Condition(self._lock)
        self._markers_seen: set[str] = set()  # marker file names
        self._sub: watch.Subscription | None = None

    def start(self) -> bool:
        """False when the platform or its limits (e.g. inotify watches) refuse: callers fall back to scans."""
        if self.root.resolve() not in self.marker_dir.resolve().parents:
            return False  # barrier markers must be seen by the watch (read-only workspace: use scans)
        try:
            self.marker_dir.mkdir(parents=True, exist_ok=True)
            self._sub = watch.subscribe(self.root, self._on_event, wants=self._wants)
        except ImportError:
            return False
        except OSError as exc:
            log.warning("file watcher unavailable (%s); falling back to stat scans", exc)
            return False
        return True

    @property
    def active(self) -> bool:
        return self._sub is not None and self._sub.active

    @staticmethod
    def _wants(event: watch.WatchEvent) -> bool:
        if event.kind == "closed":
            return False  # the write before it had its own event
        return not (event.is_dir and event.kind == "modified")  # a listing changed: the entries' own events say which

    def _on_event(self, event: watch.WatchEvent) -> None:
        for raw in event.paths:
            self._note(raw, event.root, event.is_dir)

    def _note(self, path: str, root: Path, is_dir: bool = False) -> None:
        with self._lock:
            name = os.path.basename(path)
            if name.startswith(MARKER_NAME):
                self._markers_seen.add(name)
                self._seen_marker.notify_all()
                return
            try:
                rel = Path(path).relative_to(root).as_posix()
            except ValueError:
                return
            if rel != "." and rel.split("/", 1)[0] not in (".mimo", ".git"):  # our state, the user's VCS
                self._dirty.add(rel + "/" if is_dir else rel)

    def barrier(self, timeout: float = 5.0) -> bool:
        """A fresh marker file per barrier: late events of an earlier marker cannot satisfy this one."""
        name = f"{MARKER_NAME}-{os.getpid()}-{next(_MARKERS)}"
        with self._lock:
            self._markers_seen.clear()  # events of earlier (unique) markers, e.g. their deletion
        marker = self.marker_dir / name
        with open(marker, "wb"):
            pass
        try:
            with self._lock:
                ok = self._seen_marker.wait_for(lambda: name in self._markers_seen, timeout)
                self._markers_seen.discard(name)
            if not ok:
                log.warning("file watcher missed its barrier; falling back to a stat scan")
            return ok
        finally:
            os.unlink(marker)

    def drain(self) -> set[str]:
        """Changed paths since the last drain; directories (created, moved, deleted) end with '/'."""
        with self._lock:
            dirty, self._dirty = self._dirty, set()
        return dirty

    def stop(self) -> None:
        if self._sub is not None:
            self._sub.close()
            self._sub = None
