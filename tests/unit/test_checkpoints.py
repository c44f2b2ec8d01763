"""Journal, blob store and change tracking: every action's changes, including shell side effects."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from mimo_lsp.checkpoints.blobs import BlobStore, content_hash
from mimo_lsp.checkpoints.diffs import unified_diff
from mimo_lsp.checkpoints.journal import CheckpointJournal, JournalError
from mimo_lsp.checkpoints.tracker import WorkspaceTracker


@pytest.fixture(params=[True, False], ids=["watcher", "statscan"])
def tracker(request, tmp_path: Path):
    ws = tmp_path / "ws"
    (ws / "sub").mkdir(parents=True)
    (ws / "a.txt").write_text("one\n")
    (ws / "b.sh").write_text("echo hi\n")
    (ws / "sub" / "c.txt").write_text("c\n")
    (ws / ".gitignore").write_text("ignored.log\n")
    (ws / ".git").mkdir()
    t = WorkspaceTracker(ws, BlobStore(tmp_path / "blobs"), watch=request.param)
    assert t.start({}, ws / ".mimo") == 4
    assert (t.watcher is not None) == request.param
    assert t.wait_captured(10)
    yield t
    t.stop()


def _sh(t: WorkspaceTracker, cmd: str) -> dict:
    t.prepare_command()
    subprocess.run(["bash", "-c", cmd], cwd=t.root, check=True)
    changes, _ = t.commit_command()
    return {c.path: c for c in changes}


def test_command_side_effects_are_all_seen(tracker: WorkspaceTracker):
    blobs = tracker.blobs
    ch = _sh(tracker, "echo two > a.txt && echo new > new.txt && echo x > ignored.log && echo r > .git/HEAD"
                      " && chmod +x b.sh")
    assert set(ch) == {"a.txt", "new.txt", "b.sh"}
    assert blobs.get(ch["a.txt"].pre) == b"one\n" and blobs.get(ch["a.txt"].post) == b"two\n"
    assert ch["new.txt"].pre is None
    assert ch["b.sh"].pre == ch["b.sh"].post and ch["b.sh"].post_mode & 0o111
    ch = _sh(tracker, "mv sub moved && rm a.txt && mkdir -p deep/er && echo d > deep/er/d.txt")
    assert set(ch) == {"sub/c.txt", "moved/c.txt", "a.txt", "deep/er/d.txt"}
    assert ch["sub/c.txt"].post is None and ch["moved/c.txt"].pre is None and ch["a.txt"].post is None
    assert _sh(tracker, "true") == {}


def test_named_paths_are_diffed_without_a_walk(tracker: WorkspaceTracker):
    external, intents, _ = tracker.prepare(["a.txt"])
    assert external == [] and intents[0].pre == tracker.state["a.txt"].digest
    (tracker.root / "a.txt").write_text("edited\n")
    (tracker.root / "sub" / "c.txt").write_text("not named, not seen here\n")
    changes, states = tracker.commit(["a.txt"])
    assert [c.path for c in changes] == ["a.txt"] and set(states) == {"a.txt"}


def test_user_edit_before_an_action_is_external(tracker: WorkspaceTracker):
    (tracker.root / "a.txt").write_text("user\n")
    external, intents, _ = tracker.prepare(["a.txt"])
    assert [c.path for c in external] == ["a.txt"]
    assert tracker.blobs.get(intents[0].pre) == b"user\n"


def test_blobs_are_deduplicated_and_compressed(tmp_path: Path):
    blobs = BlobStore(tmp_path)
    data = b"x" * 100_000
    assert blobs.put(data) == blobs.put(data)
    count, size = blobs.disk_usage()
    assert count == 1 and size < 2000
    assert blobs.get(blobs.put(data)) == data
    blobs.close()
    other = BlobStore(tmp_path)  # another process: finds it by scanning the packs
    assert other.get(content_hash(data)) == data


def test_torn_pack_tail_is_ignored(tmp_path: Path):
    blobs = BlobStore(tmp_path)
    good = blobs.put(b"kept")
    blobs.put(b"lost" * 1000)
    blobs.close()
    (pack,) = tmp_path.glob("pack-*.dat")
    pack.write_bytes(pack.read_bytes()[:-10])  # a crash mid-append
    fresh = BlobStore(tmp_path)
    assert fresh.get(good) == b"kept" and fresh.disk_usage()[0] == 1
    assert fresh.get(fresh.put(b"after")) == b"after"


def test_compaction_keeps_only_referenced_blobs(tmp_path: Path):
    blobs = BlobStore(tmp_path)
    keep, drop = blobs.put(b"keep" * 100), blobs.put(b"drop" * 100)
    assert blobs.compact({keep})[0] == 1
    assert blobs.get(keep) == b"keep" * 100 and not blobs.has(drop)


def test_journal_is_durable_and_wal(tmp_path: Path):
    journal = CheckpointJournal(tmp_path / "j.sqlite")
    journal.start_task("t1", "goal", tmp_path, "scripted", None, "{}")
    intent = journal.begin_action("t1", 1, "n1", "write_file", {"path": "f.py"}, "why", 1, [])
    assert [i.intent_id for i in journal.pending_intents("t1")] == [intent.intent_id]
    aid = journal.finish_action(intent, "ok", True, [], {})
    assert journal.pending_intents("t1") == []
    journal.close()
    reopened = CheckpointJournal(tmp_path / "j.sqlite")
    (rec,) = reopened.actions("t1")
    assert rec.id == aid and rec.state == "done" and rec.args == {"path": "f.py"} and rec.thought == "why"
    assert reopened._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_corrupt_journal_gives_a_clear_error(tmp_path: Path):
    db = tmp_path / "j.sqlite"
    db.write_bytes(b"this is not a database" * 300)
    with pytest.raises(JournalError, match=f"checkpoint journal {db} is unreadable"):
        CheckpointJournal(db)


def test_torn_wal_keeps_every_intact_checkpoint(tmp_path: Path):
    db = tmp_path / "j.sqlite"
    journal = CheckpointJournal(db)
    journal.start_task("t1", "goal", tmp_path, "m", None, "{}")
    ids = []
    for i in range(20):
        intent = journal.begin_action("t1", i, "n", "run_command", {"command": f"step {i}"}, "", 0, [])
        ids.append(journal.finish_action(intent, "x" * 2000, True, [], {}))
    wal = Path(str(db) + "-wal")
    size = wal.stat().st_size
    # A crash mid-write: copy the files as they are, cut the WAL in the middle of a frame.
    torn = tmp_path / "torn.sqlite"
    torn.write_bytes(db.read_bytes())
    Path(str(torn) + "-wal").write_bytes(wal.read_bytes()[: size - 1500])
    reopened = CheckpointJournal(torn)
    done = [a for a in reopened.actions("t1") if a.state == "done"]
    assert 0 < len(done) < 20 or len(done) == 20
    assert [a.id for a in done] == ids[: len(done)]  # a prefix: nothing half-recorded is visible
    assert reopened._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_diffs_binary_and_no_newline():
    assert unified_diff("b.bin", b"\0\1", b"\0\2") == "Binary files a/b.bin and b/b.bin differ\n"
    assert unified_diff("t", b"a", b"b").endswith("+b\n\\ No newline at end of file\n")
    assert unified_diff("f", b"x = 1\n", b"x = 2\n") == "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"


def test_symlinks_are_tracked_as_links(tmp_path: Path):
    ws = tmp_path / "ws"
    ws.mkdir()
    t = WorkspaceTracker(ws, BlobStore(tmp_path / "blobs"), watch=False)
    t.start({}, tmp_path / "d")
    t.wait_captured()
    ch = _sh(t, "ln -s /etc/passwd link")
    assert t.blobs.get(ch["link"].post) == b"/etc/passwd"
    t.stop()
    assert os.path.islink(ws / "link")
