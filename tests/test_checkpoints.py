"""Journal, blob store and change tracking: every action's changes, including shell side effects."""

from __future__ import annotations

import os
from pathlib import Path

from mimo_lsp.checkpoints.blobs import BlobStore
from mimo_lsp.checkpoints.diffs import unified_diff
from mimo_lsp.checkpoints.journal import CheckpointJournal
from mimo_lsp.checkpoints.tracker import WorkspaceTracker


def test_tracker_sees_edits_creations_deletions_and_mode(tmp_path: Path):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "a.txt").write_text("one\n")
    (ws / "b.sh").write_text("echo hi\n")
    (ws / ".gitignore").write_text("ignored.log\n")
    (ws / ".git").mkdir()
    blobs = BlobStore(tmp_path / "blobs")
    tracker = WorkspaceTracker(ws, blobs)
    assert tracker.capture() == 3
    (ws / "a.txt").write_text("two\n")
    (ws / "new.txt").write_text("new\n")
    (ws / "ignored.log").write_text("noise\n")
    (ws / ".git" / "HEAD").write_text("ref\n")
    os.chmod(ws / "b.sh", 0o755)
    changes = {c.path: c for c in tracker.refresh()}
    assert set(changes) == {"a.txt", "new.txt", "b.sh"}
    assert blobs.get(changes["a.txt"].pre) == b"one\n" and blobs.get(changes["a.txt"].post) == b"two\n"
    assert changes["new.txt"].pre is None
    assert changes["b.sh"].pre == changes["b.sh"].post and changes["b.sh"].post_mode & 0o111
    (ws / "a.txt").unlink()
    (gone,) = tracker.refresh()
    assert gone.path == "a.txt" and gone.post is None
    assert tracker.refresh() == []


def test_blobs_are_deduplicated_and_compressed(tmp_path: Path):
    blobs = BlobStore(tmp_path)
    data = b"x" * 100_000
    assert blobs.put(data) == blobs.put(data)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 1 and files[0].stat().st_size < 2000
    assert blobs.get(blobs.put(data)) == data


def test_journal_records_each_action_with_its_changes(tmp_path: Path):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "f.py").write_text("x = 1\n")
    blobs = BlobStore(tmp_path / "blobs")
    tracker = WorkspaceTracker(ws, blobs)
    tracker.capture()
    journal = CheckpointJournal(tmp_path / "j.sqlite")
    journal.start_task("t1", "goal", ws, "scripted")
    (ws / "f.py").write_text("x = 2\n")
    cp = journal.record("t1", 1, "n1", "write_file", {"path": "f.py"}, "why", "ok", True, tracker.refresh())
    journal.close()
    reopened = CheckpointJournal(tmp_path / "j.sqlite")  # durable across processes
    (rec,) = reopened.checkpoints("t1")
    assert rec.id == cp and rec.tool == "write_file" and rec.args == {"path": "f.py"} and rec.thought == "why"
    (change,) = rec.changes
    diff = unified_diff("f.py", blobs.get(change.pre), blobs.get(change.post))
    assert diff == "--- a/f.py\n+++ b/f.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"
    assert reopened._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_binary_and_no_newline_diffs():
    assert unified_diff("b.bin", b"\0\1", b"\0\2") == "Binary files a/b.bin and b/b.bin differ\n"
    assert unified_diff("t", b"a", b"b").endswith("+b\n\\ No newline at end of file\n")
