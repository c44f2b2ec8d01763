"""watchdog observer feeding on-disk changes (created, modified, deleted, moved) to a callback."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class TreeWatcher:
    def __init__(self, root: Path, on_paths: Callable[[list[str]], None],
                 wanted: Callable[[str], bool]) -> None:
        self.root = root.resolve()
        self.on_paths = on_paths
        self.wanted = wanted
        self._observer: Any = None

    def start(self) -> None:
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers import Observer

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                if event.event_type in ("opened", "closed_no_write"):
                    return
                paths = [event.src_path, getattr(event, "dest_path", "") or ""]
                rels = [r for r in (watcher._rel(p) for p in paths if p) if r is not None]
                if event.is_directory and event.event_type in ("moved", "deleted", "created"):
                    # A folder moved / deleted / created as a whole: its files get no events of their own.
                    watcher.on_paths([f"{r}/" for r in rels])
                    return
                rels = [r for r in rels if watcher.wanted(r)]
                if rels:
                    watcher.on_paths(rels)

        self._observer = Observer()
        self._observer.schedule(Handler(), str(self.root), recursive=True)
        self._observer.daemon = True
        self._observer.start()

    def _rel(self, path: str | bytes) -> str | None:
        p = Path(path.decode() if isinstance(path, bytes) else path)
        try:
            return p.relative_to(self.root).as_posix()
        except ValueError:
            return None

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(5)
            self._observer = None
