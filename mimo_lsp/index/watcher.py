"""The index's subscription to the workspace's file watcher (mimo_lsp.watch): on-disk changes (created,
modified, deleted, moved) of the files the index covers go to a callback, as workspace-relative paths."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from mimo_lsp import watch

log = logging.getLogger(__name__)


class TreeWatcher:
    def __init__(self, root: Path, on_paths: Callable[[list[str]], None],
                 wanted: Callable[[str], bool]) -> None:
        self.root = root.resolve()
        self.on_paths = on_paths
        self.wanted = wanted  # the index's file selection
        self._sub: watch.Subscription | None = None

    def start(self) -> None:
        """Raises when the platform refuses (e.g. the inotify watch limit): the caller decides."""
        self._sub = watch.subscribe(self.root, self._on_event)

    def _on_event(self, event: watch.WatchEvent) -> None:
        rels = event.rels()
        if event.is_dir and event.kind in ("moved", "deleted", "created"):
            # A folder moved / deleted / created as a whole: its files get no events of their own.
            self.on_paths([f"{r}/" for r in rels])
            return
        rels = [r for r in rels if self.wanted(r)]
        if rels:
            self.on_paths(rels)

    def stop(self) -> None:
        if self._sub is not None:
            self._sub.close()
            self._sub = None
