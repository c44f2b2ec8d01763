"""DirtyWatcher: the set of paths that changed on disk, from watchdog (inotify / FSEvents / ...).

A `barrier()` writes a marker file and waits for its own event: every event that happened before
it has then been delivered, so `drain()` after a barrier is complete for the command that just ran.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from pathlib import Path

log = logging.getLogger(__name__)

MARKER_NAME = "watch-barrier"


class DirtyWatcher:
    def __init__(self, root: Path, marker_dir: Path) -> None:
        self.root = root
        self.marker_dir = marker_dir
        self._dirty: set[str] = set()
        self._lock = threading.Lock()
        self._seen_marker = threading.Condition(self._lock)
        self._markers_seen: set[str] = set()
        self._next_marker = 0
        self._observer = None

    def start(self) -> bool:
        """False when the platform or its limits (e.g. inotify watches) refuse: callers fall back to scans."""
        try:
            from watchdog.events import FileSystemEventHandler
            from watchdog.observers import Observer
        except ImportError:
            return False
        if self.root not in self.marker_dir.resolve().parents:
            return False  # barrier markers must be seen by the watch (read-only workspace: use scans)
        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event) -> None:
                if event.event_type in ("opened", "closed", "closed_no_write"):
                    return
                if event.is_directory and event.event_type == "modified":
                    return  # a listing changed: the entries' own events say which
                for raw in (event.src_path, getattr(event, "dest_path", "")):
                    if raw:
                        watcher._note(os.fsdecode(raw), event.is_directory)

        # watchdog warns when a directory appears twice in its recursive walk (a harmless race).
        warnings.filterwarnings("ignore", message="Callback with id", category=RuntimeWarning)
        try:
            self.marker_dir.mkdir(parents=True, exist_ok=True)
            observer = Observer()
            observer.schedule(Handler(), str(self.root), recursive=True)
            observer.daemon = True
            observer.start()
        except OSError as exc:
            log.warning("file watcher unavailable (%s); falling back to stat scans", exc)
            return False
        self._observer = observer
        return True

    @property
    def active(self) -> bool:
        return self._observer is not None and self._observer.is_alive()

    def _note(self, path: str, is_dir: bool = False) -> None:
        with self._lock:
            if os.path.basename(path).startswith(MARKER_NAME):
                self._markers_seen.add(path)
                self._seen_marker.notify_all()
                return
            try:
                rel = Path(path).relative_to(self.root).as_posix()
            except ValueError:
                return
            if rel != "." and rel.split("/", 1)[0] not in (".mimo", ".git"):  # our state, the user's VCS
                self._dirty.add(rel + "/" if is_dir else rel)

    def barrier(self, timeout: float = 5.0) -> bool:
        """A fresh marker file per barrier: late events of an earlier marker cannot satisfy this one."""
        with self._lock:
            self._next_marker += 1
            self._markers_seen.clear()  # events of earlier (unique) markers, e.g. their deletion
            marker = str(self.marker_dir / f"{MARKER_NAME}-{os.getpid()}-{self._next_marker}")
        with open(marker, "wb"):
            pass
        try:
            with self._lock:
                ok = self._seen_marker.wait_for(lambda: marker in self._markers_seen, timeout)
                self._markers_seen.discard(marker)
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
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None
