"""Rollback to any checkpoint, conflict refusal, task-state restore + resume, kill -9 + resume, disk full."""

from __future__ import annotations

import errno
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mimo_lsp.agent.events import CheckpointEvent
from mimo_lsp.agent.task import AgentTask
from mimo_lsp.checkpoints.blobs import BlobStore
from mimo_lsp.checkpoints.journal import CheckpointJournal
from mimo_lsp.config import Settings
from mimo_lsp.llm.scripted import ScriptedChatModel
from tests.conftest import write_script, make_task, open_service

YES = lambda request: "yes"  # noqa: E731  (the user confirms every asked command)
PLAN = {"nodes": [{"id": "work", "title": "do the work", "depends_on": [], "expected_output": "done"}]}


def step(tool: str, **args) -> dict:
    return {"thought": f"{tool} now", "action": {"tool": tool, **args}}


EDITS = [
    PLAN,
    step("edit_file", path="calc.py", search="return a - b", replace="return a + b"),
    step("write_file", path="new.py", content="X = 1\n"),
    step("run_command", command="rm test_calc.py"),
    step("run_command", command="mv new.py renamed.py"),
    step("run_command", command="chmod +x calc.py"),
    step("run_command", command="mkdir -p pkg/sub && printf 'y\\n' > pkg/sub/m.py"),
    step("finish", summary="done"),
]


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    out = {}
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in (".mimo", "__pycache__", ".pytest_cache")]
        for f in files:
            p = Path(dirpath) / f
            out[p.relative_to(root).as_posix()] = (p.read_bytes(), p.stat().st_mode & 0o777)
    return out


def run_task(ws: Path, replies: list, settings: Settings | None = None) -> tuple[AgentTask, dict[int, dict]]:
    """Runs in-process; returns the task and the tree as it was right after each checkpoint."""
    snapshots: dict[int, dict] = {}

    def sink(event):
        if isinstance(event, CheckpointEvent):
            snapshots[event.checkpoint_id] = tree(ws)

    task = make_task("do the work", ws, ScriptedChatModel(replies), settings or Settings(), sink, confirm=YES)
    task.result = task.run()
    return task, snapshots


def test_restore_to_every_checkpoint_is_exact(calc_workspace: Path):
    original = tree(calc_workspace)
    task, snaps = run_task(calc_workspace, EDITS)
    assert task.result.outcome == "unverified", task.result.reason
    final = tree(calc_workspace)
    assert final["calc.py"][1] & 0o111 and "pkg/sub/m.py" in final and "test_calc.py" not in final
    svc = open_service(calc_workspace)
    for cp in sorted(snaps, reverse=True):
        report = svc.restore(task.task_id, cp, "files")
        assert report.conflicts == [] and tree(calc_workspace) == snaps[cp], f"checkpoint {cp}"
    report = svc.restore(task.task_id, 0, "files")
    assert tree(calc_workspace) == original and report.conflicts == []
    # Restores are checkpoints too: going forward again is exact.
    svc.restore(task.task_id, max(snaps), "files")
    assert tree(calc_workspace) == final


def test_restore_refuses_files_the_user_changed(calc_workspace: Path):
    original = tree(calc_workspace)
    task, _ = run_task(calc_workspace, EDITS)
    (calc_workspace / "calc.py").write_text("# the user's own work\n")
    report = open_service(calc_workspace).restore(task.task_id, 0, "files")
    assert [c.path for c in report.conflicts] == ["calc.py"]
    assert (calc_workspace / "calc.py").read_text() == "# the user's own work\n"
    now = tree(calc_workspace)
    assert {k: v for k, v in now.items() if k != "calc.py"} == {k: v for k, v in original.items() if k != "calc.py"}


def test_task_restore_then_resume_continues_from_that_checkpoint(calc_workspace: Path, tmp_path: Path):
    reference = tmp_path / "reference"
    subprocess.run(["cp", "-a", str(calc_workspace), str(reference)], check=True)
    run_task(reference, EDITS)
    task, snaps = run_task(calc_workspace, EDITS)
    cp_ids = sorted(snaps)
    svc = open_service(calc_workspace)
    svc.restore(task.task_id, cp_ids[1], "both")
    assert tree(calc_workspace) == snaps[cp_ids[1]]
    assert svc.journal.task(task.task_id)["status"] == "restored"
    model = ScriptedChatModel(EDITS)
    resumed = make_task("", calc_workspace, model, Settings(), lambda e: None, task_id=task.task_id, resume=True, confirm=YES)
    result = resumed.run()
    assert result.outcome == "unverified", result.reason
    assert tree(calc_workspace) == tree(reference)
    actions = [a for a in svc.journal.actions(task.task_id) if not a.abandoned and a.tool in
               ("edit_file", "write_file", "run_command", "finish")]
    assert [a.step for a in actions] == sorted({a.step for a in actions}), "every step once"


SLOW = [PLAN] + [step("run_command", command=f"sleep 0.15; echo {i} >> log.txt; echo {i} > f{i % 3}.txt")
                 for i in range(10)] + [step("finish", summary="done")]


def _mimo(*args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "mimo_lsp.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def _done_actions(ws: Path) -> list[tuple]:
    db = ws / ".mimo" / "journal.sqlite"
    if not db.exists():
        return []
    con = sqlite3.connect(str(db), timeout=5)
    try:
        return con.execute("SELECT id, task_id, step, tool FROM actions WHERE state='done' ORDER BY id").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        con.close()


@pytest.mark.parametrize("kill_after", [1, 4, 7, 9])
def test_kill_9_then_resume_loses_nothing_and_repeats_nothing(tmp_path: Path, calc_workspace: Path, kill_after: int):
    script = write_script(tmp_path / "slow.json", SLOW)
    (calc_workspace / ".mimo").mkdir()
    (calc_workspace / ".mimo" / "config.toml").write_text("[agent]\nmax_steps_per_node = 20\n")
    reference = tmp_path / "reference"
    subprocess.run(["cp", "-a", str(calc_workspace), str(reference)], check=True)
    ref = _mimo("run", "-w", str(reference), "--model", script, "--quiet", "--json", "--yes", "work")
    assert ref.wait(120) == 0, ref.communicate()
    proc = _mimo("run", "-w", str(calc_workspace), "--model", script, "--quiet", "--json", "--yes", "work")
    deadline = time.time() + 60
    while len(_done_actions(calc_workspace)) < kill_after and time.time() < deadline:
        time.sleep(0.01)
    time.sleep(0.05 * (kill_after % 3))  # land inside a command too, not only between steps
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = _done_actions(calc_workspace)
    assert before, "the task had recorded checkpoints before the kill"
    task_id = before[0][1]
    listed = json.loads(_mimo("tasks", "-w", str(calc_workspace), "--json").communicate()[0])
    assert [t["status"] for t in listed if t["id"] == task_id] == ["interrupted"]
    out, err = _mimo("resume", task_id, "-w", str(calc_workspace), "--json", "--quiet", "--yes").communicate(timeout=120)
    result = json.loads(out)
    assert result["outcome"] == "unverified", (result["reason"], err)
    assert tree(calc_workspace) == tree(reference)
    after = _done_actions(calc_workspace)
    assert before == after[: len(before)], "no recorded checkpoint lost"
    agent_steps = [s for _, _, s, tool in after if tool in ("run_command", "finish")]
    assert agent_steps == sorted(set(agent_steps)), "no action executed twice"
    assert (calc_workspace / "log.txt").read_text() == "".join(f"{i}\n" for i in range(10))


def test_a_write_cut_short_leaves_no_temp_file_after_resume(calc_workspace: Path, monkeypatch):
    import mimo_lsp.fsutil as fsutil

    replies = [PLAN, step("write_file", path="out.txt", content="x\n"), step("finish", summary="ok")]

    def crash_before_rename(src, dst):  # the process dies between writing the temp file and renaming it
        raise KeyboardInterrupt

    monkeypatch.setattr(fsutil.os, "replace", crash_before_rename)
    task = make_task("w", calc_workspace, ScriptedChatModel(replies), Settings(), lambda e: None, confirm=YES)
    with pytest.raises(KeyboardInterrupt):
        task.run()
    monkeypatch.undo()
    # A killed process does not clean up: put the temp file back as the crash would have left it.
    (calc_workspace / ".out.txt.mimo-abc12345").write_text("x\n")
    resumed = make_task("", calc_workspace, ScriptedChatModel(replies), Settings(), lambda e: None,
                        task_id=task.task_id, resume=True, confirm=YES)
    assert resumed.run().outcome == "unverified"
    assert sorted(p.name for p in calc_workspace.iterdir() if p.name != ".mimo") == [
        "calc.py", "out.txt", "test_calc.py"]


def test_disk_full_mid_action_keeps_the_journal_consistent(calc_workspace: Path, tmp_path: Path, monkeypatch):
    reference = tmp_path / "reference"
    subprocess.run(["cp", "-a", str(calc_workspace), str(reference)], check=True)
    run_task(reference, EDITS)
    real_put = BlobStore.put
    calls = {"n": 0}

    def failing_put(self, data: bytes) -> str:
        calls["n"] += 1
        if calls["n"] > 5:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_put(self, data)

    monkeypatch.setattr(BlobStore, "put", failing_put)
    task, _ = run_task(calc_workspace, EDITS)
    assert task.result.outcome == "failed" and "No space left on device" in task.result.reason
    con = sqlite3.connect(str(calc_workspace / ".mimo" / "journal.sqlite"))
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert {r[0] for r in con.execute("SELECT state FROM actions")} <= {"done"}
    con.close()
    journal = CheckpointJournal(calc_workspace / ".mimo" / "journal.sqlite")
    assert len(journal.pending_intents(task.task_id)) == 1  # the action the full disk interrupted
    journal.close()
    monkeypatch.setattr(BlobStore, "put", real_put)
    resumed = make_task("", calc_workspace, ScriptedChatModel(EDITS), Settings(), lambda e: None,
                        task_id=task.task_id, resume=True, confirm=YES)
    assert resumed.run().outcome == "unverified"
    assert tree(calc_workspace) == tree(reference)


def test_failed_node_is_rolled_back_but_user_edits_stay(calc_workspace: Path):
    original = tree(calc_workspace)
    replies = [PLAN,
               step("edit_file", path="calc.py", search="return a - b", replace="return a * b"),
               step("run_command", command="echo junk > junk.txt && echo user > user.txt"),
               step("read_file", path="calc.py"), step("read_file", path="calc.py"), step("read_file", path="calc.py")]
    task = make_task("x", calc_workspace, ScriptedChatModel(replies), Settings(), lambda e: None, confirm=YES)
    # The user saves a file of their own while the node runs (between two steps).
    real_act = task.act

    def act(node_id, n, action, thought, preset=None):
        if n == 2:
            (calc_workspace / "test_calc.py").write_text("# the user's\n")
        return real_act(node_id, n, action, thought, preset)

    task.act = act
    result = task.run()
    assert result.outcome == "failed" and "loop" in result.reason and "rolled back 3 file(s)" in result.reason
    now = tree(calc_workspace)
    assert now["test_calc.py"][0] == b"# the user's\n"
    assert {k: v for k, v in now.items() if k != "test_calc.py"} == \
        {k: v for k, v in original.items() if k != "test_calc.py"}


def test_long_output_is_journaled_whole(calc_workspace: Path):
    replies = [PLAN, step("run_command", command="seq 1 20000"), step("finish", summary="ok")]
    task, _ = run_task(calc_workspace, replies)
    svc = open_service(calc_workspace)
    (cmd,) = [a for a in svc.journal.actions(task.task_id) if a.tool == "run_command"]
    assert "chars cut" in cmd.observation and cmd.observation_blob
    assert svc.blobs.get(cmd.observation_blob).decode().splitlines()[-1] == "20000"


def test_a_command_orphaned_by_the_kill_is_stopped_before_resume(calc_workspace: Path, tmp_path: Path):
    script = write_script(tmp_path / "orphan.json", [
        PLAN, step("run_command", command="sleep 1.5; echo once >> late.txt"), step("finish", summary="ok")])
    proc = _mimo("run", "-w", str(calc_workspace), "--model", script, "--quiet", "--json", "--yes", "work")
    log = calc_workspace / ".mimo" / "intents.log"
    deadline = time.time() + 60
    while not (log.exists() and b"run_command" in log.read_bytes()) and time.time() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # the command is sleeping now
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    task_id = json.loads(_mimo("tasks", "-w", str(calc_workspace), "--json").communicate()[0])[0]["id"]
    out, err = _mimo("resume", task_id, "-w", str(calc_workspace), "--json", "--quiet", "--yes").communicate(timeout=60)
    assert json.loads(out)["outcome"] == "unverified", err
    time.sleep(2.0)  # an orphan that survived would write its line by now
    assert (calc_workspace / "late.txt").read_text() == "once\n"
