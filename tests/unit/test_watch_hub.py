"""mimo_lsp.watch: one watchdog observer per workspace root, shared by the index and the checkpoint trackers.

Real watchdog observers on real temp folders. Waits have generous deadlines that only bound a failure;
nothing asserts on how long anything took. Ordering is what the assertions lean on: a root's events reach
its subscribers in order, so once a subscriber has seen a later "sync" file, it has been offered every
earlier event.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from mimo_lsp import watch
from mimo_lsp.checkpoints.watcher import DirtyWatcher
from mimo_lsp.index.models import IndexOptions
from mimo_lsp.index.watcher import TreeWatcher
from mimo_lsp.watch import WatchEvent, WatchHub
from mimo_lsp.workspace import FileSelection

DEADLINE_S = 20.0  # only reached when an event never comes


class Recorder:
    """Collects the workspace-relative paths of the events a subscriber receives."""

    def __init__(self) -> None:
        self.rels: list[str] = []
        self._cond = threading.Condition()

    def __call__(self, event: WatchEvent) -> None:
        with self._cond:
            self.rels.extend(event.rels())
            self._cond.notify_all()

    def add(self, rels: list[str]) -> None:  # TreeWatcher's on_paths shape
        with self._cond:
            self.rels.extend(rels)
            self._cond.notify_all()

    def wait_for(self, rel: str) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: rel in self.rels, DEADLINE_S)

    def seen(self) -> set[str]:
        with self._cond:
            return set(self.rels)


def suffix_filter(*suffixes: str):
    return lambda ev: any(r.endswith(suffixes) for r in ev.rels())


@pytest.fixture
def hub():
    h = WatchHub()
    yield h
    for root in list(h._watches):  # a failed test must not leave observers running
        for sub in h._watches[root].subs:
            sub.close()


def test_two_subscribers_share_one_observer_and_each_gets_what_it_wants(tmp_path: Path, hub: WatchHub):
    py, txt = Recorder(), Recorder()
    a = hub.subscribe(tmp_path, py, wants=suffix_filter(".py", ".sync"))
    b = hub.subscribe(tmp_path, txt, wants=suffix_filter(".txt", ".sync"))
    assert hub.observer_count() == 1 and hub.subscriber_count(tmp_path) == 2
    assert a.active and b.active

    (tmp_path / "one.py").write_text("x = 1\n")
    (tmp_path / "two.txt").write_text("two\n")
    (tmp_path / "done.sync").write_text("")
    assert py.wait_for("done.sync") and txt.wait_for("done.sync")
    assert "one.py" in py.seen() and "two.txt" not in py.seen()
    assert "two.txt" in txt.seen() and "one.py" not in txt.seen()


def test_closing_one_keeps_the_other_and_the_last_close_stops_the_observer(tmp_path: Path, hub: WatchHub):
    first, second = Recorder(), Recorder()
    a = hub.subscribe(tmp_path, first)
    b = hub.subscribe(tmp_path, second)
    observer = hub.observer_of(tmp_path)
    a.close()
    assert not a.active and b.active
    assert hub.observer_count() == 1 and hub.subscriber_count(tmp_path) == 1
    assert hub.observer_of(tmp_path) is observer and observer.is_alive()

    (tmp_path / "after.txt").write_text("after\n")
    assert second.wait_for("after.txt")
    assert "after.txt" not in first.seen()  # closed before the write: never called again

    b.close()
    assert hub.observer_count() == 0 and hub.subscriber_count(tmp_path) == 0
    assert not observer.is_alive() and not b.active
    b.close()  # closing twice is harmless

    # A new subscription starts a new observer.
    third = Recorder()
    c = hub.subscribe(tmp_path, third)
    assert hub.observer_count() == 1 and hub.observer_of(tmp_path) is not observer
    (tmp_path / "again.txt").write_text("again\n")
    assert third.wait_for("again.txt")
    c.close()
    assert hub.observer_count() == 0


def test_one_observer_per_resolved_root(tmp_path: Path, hub: WatchHub):
    real = tmp_path / "ws"
    (real / "sub").mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(real)
    a = hub.subscribe(real, Recorder())
    b = hub.subscribe(link, Recorder())  # the same workspace through a symlink
    c = hub.subscribe(real / "sub", Recorder())  # another root
    assert hub.observer_count() == 2 and hub.subscriber_count(real) == 2 and hub.subscriber_count(link) == 2
    for s in (a, b, c):
        s.close()
    assert hub.observer_count() == 0


def test_a_failing_subscriber_does_not_starve_the_others(tmp_path: Path, hub: WatchHub):
    def broken(event: WatchEvent) -> None:
        raise RuntimeError("subscriber bug")

    ok = Recorder()
    hub.subscribe(tmp_path, broken)
    hub.subscribe(tmp_path, ok)
    (tmp_path / "x.txt").write_text("x\n")
    assert ok.wait_for("x.txt")


def test_index_watcher_and_tracker_watchers_share_the_process_observer(tmp_path: Path):
    ws = tmp_path / "ws"
    (ws / "src").mkdir(parents=True)
    data_dir = ws / ".mimo"
    selection = FileSelection(ws.resolve(), IndexOptions().selection(data_dir / "index"))
    index_paths = Recorder()
    tree = TreeWatcher(ws, index_paths.add, selection.selected)
    dirty_a, dirty_b = DirtyWatcher(ws, data_dir), DirtyWatcher(ws, data_dir)
    before = watch.HUB.observer_count()
    tree.start()
    try:
        assert dirty_a.start() and dirty_b.start()
        assert watch.HUB.subscriber_count(ws) == 3 and watch.HUB.watching(ws)
        assert watch.HUB.observer_count() == before + 1  # three watchers, one observer

        (ws / "src" / "app.py").write_text("def main():\n    pass\n")
        (ws / "notes.bin").write_bytes(b"\0\1")
        # After a barrier, drain() is complete: no waiting, no polling.
        assert dirty_a.barrier()
        assert {"src/app.py", "notes.bin"} <= dirty_a.drain()
        assert dirty_b.barrier()  # its own marker, never the other tracker's
        assert {"src/app.py", "notes.bin"} <= dirty_b.drain()
        assert index_paths.wait_for("src/app.py")
        assert "notes.bin" not in index_paths.seen()  # not a file the index covers
        assert not any("watch-barrier" in r for r in index_paths.seen())  # barrier markers are not content

        dirty_a.stop()
        assert not dirty_a.active and dirty_b.active and watch.HUB.subscriber_count(ws) == 2
        (ws / "src" / "later.py").write_text("x = 2\n")
        assert dirty_b.barrier()
        assert "src/later.py" in dirty_b.drain()
        assert index_paths.wait_for("src/later.py")
        dirty_b.stop()
        assert watch.HUB.watching(ws)  # the index still watches
        (ws / "src" / "last.py").write_text("x = 3\n")
        assert index_paths.wait_for("src/last.py")
    finally:
        dirty_a.stop()
        dirty_b.stop()
        tree.stop()
    assert not watch.HUB.watching(ws) and watch.HUB.subscriber_count(ws) == 0


def test_dirty_watcher_falls_back_when_its_markers_cannot_be_seen(tmp_path: Path):
    ws = tmp_path / "ws"
    ws.mkdir()
    outside = DirtyWatcher(ws, tmp_path / "state-elsewhere")  # e.g. a read-only workspace's state dir
    assert outside.start() is False
    assert not outside.active and watch.HUB.subscriber_count(ws) == 0
    outside.stop()  # nothing to stop: harmless


def test_dirty_watcher_reports_folders_and_skips_vcs_and_state(tmp_path: Path):
    ws = tmp_path / "ws"
    (ws / ".git").mkdir(parents=True)
    (ws / "old").mkdir()
    (ws / "old" / "f.txt").write_text("f\n")
    dirty = DirtyWatcher(ws, ws / ".mimo")
    assert dirty.start()
    try:
        (ws / "old").rename(ws / "new")
        (ws / ".git" / "HEAD").write_text("ref\n")
        (ws / "top.txt").write_text("t\n")
        assert dirty.barrier()
        seen = dirty.drain()
        assert {"old/", "new/", "top.txt"} <= seen
        assert not any(p.startswith((".git", ".mimo")) for p in seen)
        assert dirty.drain() == set()  # drained
    finally:
        dirty.stop()
