"""One file-system watcher per workspace: a watchdog Observer per resolved root, shared within the process.

The index (incremental updates, index/watcher.py) and any number of checkpoint trackers (the agent's
dirty set, checkpoints/watcher.py) subscribe to the same root, each with its own filter and callback:

    sub = watch.subscribe(root, on_event, wants=lambda ev: ...)   # OSError when the platform refuses
    ...
    sub.close()   # the last subscription on a root stops its observer

Events reach every subscriber of a root in the order the observer saw them, from the observer's one
dispatch thread: a subscriber that writes a marker file and waits for its event (DirtyWatcher.barrier)
has then seen every earlier event. After `close()` returns, the callback is not called again.
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def _not_stop_race(record: logging.LogRecord) -> bool:
    """watchdog's inotify emitter logs an ERROR when its thread is stopped while a read is in flight: a
    harmless race of every stop (nothing is lost: the observer is going away), noise in editors' consoles."""
    return "called when the thread is inactive" not in record.getMessage()


logging.getLogger("watchdog.observers.inotify").addFilter(_not_stop_race)

# Access without change: nobody watching a workspace wants these.
IGNORED_KINDS = frozenset({"opened", "closed_no_write"})


@dataclass(frozen=True)
class WatchEvent:
    kind: str  # watchdog's event type: created, modified, deleted, moved, closed (after a write)
    is_dir: bool
    paths: tuple[str, ...]  # absolute: the source, then the destination of a move
    root: Path  # the resolved root the observer watches

    def rels(self) -> list[str]:
        """The paths inside the root, posix and root-relative ("." is the root itself)."""
        out = []
        for path in self.paths:
            try:
                out.append(Path(path).relative_to(self.root).as_posix())
            except ValueError:
                continue
        return out


class Subscription:
    def __init__(self, hub: WatchHub, root: Path, callback: Callable[[WatchEvent], None],
                 wants: Callable[[WatchEvent], bool] | None) -> None:
        self.hub = hub
        self.root = root
        self.callback = callback
        self.wants = wants
        self.open = True

    @property
    def active(self) -> bool:
        """Subscribed, and the root's observer is running."""
        return self.open and self.hub.watching(self.root)

    def close(self) -> None:
        self.hub.unsubscribe(self)


class _Watch:
    """A root's observer and its subscribers. `dispatching` is held while callbacks run, so that an
    unsubscribe can wait for a callback in flight."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.observer: Any = None
        self.subs: tuple[Subscription, ...] = ()
        self.dispatching = threading.Lock()
        self.thread: threading.Thread | None = None  # the dispatch thread, once it has called us

    def dispatch(self, event: Any) -> None:
        if event.event_type in IGNORED_KINDS:
            return
        paths = tuple(os.fsdecode(p) for p in (event.src_path, getattr(event, "dest_path", "") or "") if p)
        ev = WatchEvent(event.event_type, bool(event.is_directory), paths, self.root)
        with self.dispatching:
            self.thread = threading.current_thread()
            for sub in self.subs:
                if not sub.open:
                    continue
                try:
                    if sub.wants is None or sub.wants(ev):
                        sub.callback(ev)
                except Exception:  # one subscriber's bug must not starve the others
                    log.exception("file watch subscriber failed on %s %s", ev.kind, paths)


class WatchHub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watches: dict[Path, _Watch] = {}

    def subscribe(self, root: Path, callback: Callable[[WatchEvent], None],
                  wants: Callable[[WatchEvent], bool] | None = None) -> Subscription:
        """Deliver the events under `root` that `wants` accepts (all when None) to `callback`.
        Raises ImportError without watchdog, OSError when the platform refuses (e.g. inotify limits)."""
        root = Path(root).resolve()
        with self._lock:
            watch = self._watches.get(root)
            if watch is None or not watch.observer.is_alive():
                fresh = _Watch(root)
                fresh.observer = _start_observer(fresh)  # raises: nothing is registered
                if watch is not None:  # its observer died (e.g. the folder went away): move its subscribers
                    watch.observer.stop()
                    fresh.subs = watch.subs
                watch = self._watches[root] = fresh
            sub = Subscription(self, root, callback, wants)
            watch.subs = watch.subs + (sub,)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            watch = self._watches.get(sub.root)
            if watch is None or sub not in watch.subs:
                sub.open = False
                return
            watch.subs = tuple(s for s in watch.subs if s is not sub)
            last = not watch.subs
            if last:
                del self._watches[sub.root]
        on_dispatch_thread = watch.thread is threading.current_thread()
        if on_dispatch_thread:  # a callback closing a subscription: it holds `dispatching` already
            sub.open = False
        else:
            with watch.dispatching:  # a callback in flight finishes first
                sub.open = False
        if last:
            watch.observer.stop()
            if not on_dispatch_thread:
                watch.observer.join(5)

    # -- introspection (status, tests) -----------------------------------------------------------
    def watching(self, root: Path) -> bool:
        with self._lock:
            watch = self._watches.get(Path(root).resolve())
            return watch is not None and watch.observer.is_alive()

    def observer_count(self) -> int:
        """Observers running in this process: one per watched root."""
        with self._lock:
            return len(self._watches)

    def subscriber_count(self, root: Path) -> int:
        with self._lock:
            watch = self._watches.get(Path(root).resolve())
            return len(watch.subs) if watch is not None else 0

    def observer_of(self, root: Path) -> Any:
        with self._lock:
            watch = self._watches.get(Path(root).resolve())
            return watch.observer if watch is not None else None


def _start_observer(watch: _Watch) -> Any:
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            watch.dispatch(event)

    # watchdog warns when a directory appears twice in its recursive walk (a harmless race).
    warnings.filterwarnings("ignore", message="Callback with id", category=RuntimeWarning)
    observer = Observer()
    observer.schedule(Handler(), str(watch.root), recursive=True)
    observer.daemon = True
    observer.start()
    return observer


HUB = WatchHub()  # the process's hub: every component of one process shares its observers


def subscribe(root: Path, callback: Callable[[WatchEvent], None],
              wants: Callable[[WatchEvent], bool] | None = None) -> Subscription:
    return HUB.subscribe(root, callback, wants)
