"""End to end through the real server process: task lifecycle, notifications, diffs, cancel."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.conftest import fix_add_script, python_check, write_script
from tests.lsp_client import start_client, stop_client


@pytest.fixture
async def lsp(calc_workspace: Path):
    client = await start_client(calc_workspace)
    yield client
    await stop_client(client)


async def test_task_streams_plan_steps_checkpoints_done(lsp, calc_workspace: Path, tmp_path: Path):
    model = write_script(tmp_path / "s.json", fix_add_script())
    started = await lsp.command("mimo.task.start", {"goal": "fix add", "check": python_check(), "model": model})
    task_id = started["taskId"]
    done = await lsp.wait_done(task_id)

    events = lsp.events[task_id]
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(1, len(events) + 1)), "sequence numbers are 1..n without gaps"
    kinds = [e["_method"] for e in events if e["_method"] != "token"]
    assert kinds == ["plan", "node", "step", "checkpoint", "step", "checkpoint", "step", "checkpoint", "node", "done"]
    plan = events[[e["_method"] for e in events].index("plan")]
    assert [{k: n[k] for k in ("id", "title", "dependsOn", "expectedOutput", "status")} for n in plan["nodes"]] == [
        {"id": "fix", "title": "Fix add in calc.py", "dependsOn": [], "expectedOutput": "add returns a + b",
         "status": "pending"}]
    checkpoints = [e for e in events if e["_method"] == "checkpoint"]
    assert checkpoints[0]["files"] == [] and checkpoints[0]["diff"] == ""  # read_file changes nothing
    assert checkpoints[1]["files"] == ["calc.py"]
    assert "-    return a - b\n+    return a + b\n" in checkpoints[1]["diff"]
    assert done["outcome"] == "verified", done["reason"]
    assert done["check"]["exitCode"] == 0
    assert done["diff"].startswith("--- a/calc.py\n+++ b/calc.py\n")
    assert "return a + b" in (calc_workspace / "calc.py").read_text()
    # Every LSP client gets $/progress for free.
    assert any(r for r in lsp.client.progress_reports.values())
    # The journal and blobs live under .mimo/, never in .git.
    assert (calc_workspace / ".mimo" / "journal.sqlite").is_file()


async def test_failed_check_is_reported_not_claimed(lsp, calc_workspace: Path, tmp_path: Path):
    script = fix_add_script()
    script[2]["action"]["replace"] = "return a * b"  # a wrong fix
    model = write_script(tmp_path / "s.json", script)
    started = await lsp.command("mimo.task.start", {"goal": "fix add", "check": python_check(), "model": model})
    done = await lsp.wait_done(started["taskId"])
    assert done["outcome"] == "failed"
    assert "completion criteria failed" in done["reason"]
    assert done["check"]["exitCode"] != 0


async def test_no_check_gives_unverified(lsp, tmp_path: Path):
    model = write_script(tmp_path / "s.json", fix_add_script())
    started = await lsp.command("mimo.task.start", {"goal": "fix add", "model": model})
    done = await lsp.wait_done(started["taskId"])
    assert done["outcome"] == "unverified"


async def test_cancel_stops_a_running_task_and_a_second_task_runs(lsp, calc_workspace: Path, tmp_path: Path):
    slow = [
        {"nodes": [{"id": "wait", "title": "wait", "depends_on": [], "expected_output": "slept"}]},
        {"thought": "sleep", "action": {"tool": "run_command", "command": "sleep 30 && touch slept.txt"}},
    ]
    started = await lsp.command("mimo.task.start", {"goal": "sleep", "model": write_script(tmp_path / "a.json", slow)})
    task_id = started["taskId"]
    await asyncio.sleep(1.0)
    status = await lsp.command("mimo.task.status", {"taskId": task_id})
    assert status["tasks"][0]["status"] == "running"
    cancelled = await lsp.command("mimo.task.cancel", {"taskId": task_id})
    assert cancelled["cancelled"] is True
    done = await lsp.wait_done(task_id, timeout=20)
    assert done["outcome"] == "cancelled"
    assert not (calc_workspace / "slept.txt").exists()

    second = await lsp.command("mimo.task.start", {"goal": "fix add", "check": python_check(),
                                                   "model": write_script(tmp_path / "b.json", fix_add_script())})
    done2 = await lsp.wait_done(second["taskId"])
    assert done2["outcome"] == "verified"
    listed = await lsp.command("mimo.task.status", {})
    assert {t["taskId"] for t in listed["tasks"]} == {task_id, second["taskId"]}


async def test_events_can_be_replayed_after_a_sequence_number(lsp, tmp_path: Path):
    started = await lsp.command("mimo.task.start", {"goal": "fix add",
                                                    "model": write_script(tmp_path / "s.json", fix_add_script())})
    await lsp.wait_done(started["taskId"])
    live = lsp.events[started["taskId"]]
    replay = await lsp.command("mimo.task.events", {"taskId": started["taskId"], "afterSeq": 3})
    assert [e["seq"] for e in replay["events"]] == [e["seq"] for e in live if e["seq"] > 3]
    assert replay["events"][-1]["kind"] == "done"


async def test_run_command_side_effects_are_checkpointed(lsp, calc_workspace: Path, tmp_path: Path):
    script = [
        {"nodes": [{"id": "gen", "title": "generate", "depends_on": [], "expected_output": "notes.txt exists"}]},
        {"thought": "write via shell", "action": {"tool": "run_command",
                                                  "command": "printf 'hello\\n' > notes.txt && rm test_calc.py"}},
        {"thought": "done", "action": {"tool": "finish", "summary": "ok"}},
    ]
    started = await lsp.command("mimo.task.start", {"goal": "gen", "model": write_script(tmp_path / "s.json", script)})
    done = await lsp.wait_done(started["taskId"])
    cp = [e for e in lsp.events[started["taskId"]] if e["_method"] == "checkpoint"][0]
    assert cp["files"] == ["notes.txt", "test_calc.py"]
    assert "+++ b/notes.txt" in cp["diff"] and "+hello" in cp["diff"]
    assert "--- a/test_calc.py\n+++ /dev/null" in cp["diff"]
    assert "+hello" in done["diff"]


async def test_documented_init_options_work_and_unknown_ones_are_shown(calc_workspace: Path, tmp_path: Path):
    """Regression: initializationOptions went whole into Settings, so {"index": {...}} failed every task start."""
    client = await start_client(calc_workspace, init_options={"index": {"watch": False, "searchWaitS": 1},
                                                              "agent": {"maxStepsPerNode": 6}, "colour": "blue"})
    try:
        started = await client.command("mimo.task.start", {"goal": "fix add", "check": python_check(),
                                                           "model": write_script(tmp_path / "s.json", fix_add_script())})
        done = await client.wait_done(started["taskId"])
        assert done["outcome"] == "verified", done["reason"]
        shown = [m.message for m in client.client.messages]
        assert any("colour: unknown setting" in m for m in shown), shown
    finally:
        await stop_client(client)
