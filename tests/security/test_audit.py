"""The audit trail: every layer recorded, and every kind of tampering detected."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from mimo_lsp.agent.task import AgentTask
from mimo_lsp.config import Settings
from mimo_lsp.llm.scripted import ScriptedChatModel
from mimo_lsp.safety.audit import audit_path, verify
from tests.conftest import python_check, make_task

PLAN = {"nodes": [{"id": "n", "title": "t", "depends_on": [], "expected_output": "x"}]}


def _task(ws: Path, answer: str | None = "yes") -> AgentTask:
    replies = [PLAN,
               {"thought": "look", "action": {"tool": "read_file", "path": "calc.py"}},
               {"thought": "fix", "action": {"tool": "edit_file", "path": "calc.py", "search": "return a - b",
                                             "replace": "return a + b"}},
               {"thought": "try", "action": {"tool": "run_command", "command": "touch note.txt"}},
               {"thought": "push", "action": {"tool": "run_command", "command": "git push"}},
               {"thought": "done", "action": {"tool": "finish", "summary": "ok"}}]
    task = make_task("fix", ws, ScriptedChatModel(replies), Settings(), lambda e: None, check=python_check(),
                     confirm=lambda request: answer)
    task.result = task.run()
    return task


def _verify(ws: Path, task_id: str, path: Path | None = None):
    from mimo_lsp.checkpoints.journal import CheckpointJournal

    journal = CheckpointJournal(ws / ".mimo" / "journal.sqlite")
    row = journal.task(task_id)
    journal.close()
    return verify(path or audit_path(ws / ".mimo", task_id), row["audit_head"], row["audit_count"])


def test_every_layer_is_recorded(calc_workspace: Path):
    task = _task(calc_workspace)
    assert task.result.outcome == "verified"
    records = [json.loads(line) for line in audit_path(calc_workspace / ".mimo", task.task_id).read_text().splitlines()]
    layers = {(r["layer"], r["event"]) for r in records}
    assert {("task", "start"), ("decision", "plan"), ("decision", "run_command"), ("authorization", "run_command"),
            ("execution", "run_command"), ("outcome", "run_command"), ("outcome", "check"), ("task", "done")} <= layers
    auth = [r["data"] for r in records if r["layer"] == "authorization" and r["event"] == "run_command"]
    assert [(a["verdict"], a["asked"], a["answer"], a["allowed"]) for a in auth] == [
        ("ask", True, "yes", True), ("deny", False, None, False)]
    execs = [r["data"] for r in records if r["layer"] == "execution" and r["event"] == "run_command"]
    assert len(execs) == 1 and execs[0]["sandbox"]["kind"] == "bwrap" and execs[0]["exit_code"] == 0
    edit = next(r["data"] for r in records if r["layer"] == "outcome" and r["event"] == "edit_file")
    assert edit["files"][0]["path"] == "calc.py" and edit["files"][0]["pre"] != edit["files"][0]["post"]
    assert _verify(calc_workspace, task.task_id).ok


def test_a_no_answer_means_no_effect_recorded(calc_workspace: Path):
    task = _task(calc_workspace, answer=None)
    assert not (calc_workspace / "note.txt").exists()
    records = [json.loads(line) for line in audit_path(calc_workspace / ".mimo", task.task_id).read_text().splitlines()]
    auth = next(r["data"] for r in records if r["layer"] == "authorization" and r["event"] == "run_command")
    assert auth["asked"] and auth["answer"] is None and not auth["allowed"]


def test_every_tampering_is_detected(calc_workspace: Path, tmp_path: Path):
    task = _task(calc_workspace)
    original = audit_path(calc_workspace / ".mimo", task.task_id).read_text().splitlines(keepends=True)
    n = len(original)
    variants: dict[str, list[str]] = {}
    for i in range(n):
        rec = json.loads(original[i])
        rec["data"]["tampered"] = True
        variants[f"edit data {i}"] = original[:i] + [json.dumps(rec) + "\n"] + original[i + 1:]
        rec = json.loads(original[i])
        rec["ts"] += 1
        variants[f"edit time {i}"] = original[:i] + [json.dumps(rec) + "\n"] + original[i + 1:]
        variants[f"delete {i}"] = original[:i] + original[i + 1:]
        variants[f"flip a byte {i}"] = original[:i] + [original[i].replace('"layer": "', '"layer": "x', 1)] + \
            original[i + 1:]
    for i in range(n - 1):
        variants[f"swap {i}"] = original[:i] + [original[i + 1], original[i]] + original[i + 2:]
        variants[f"insert copy {i}"] = original[:i + 1] + [original[i]] + original[i + 1:]
    for k in range(1, n):
        variants[f"truncate {k}"] = original[:n - k]
    variants["empty"] = []
    forged = dict(json.loads(original[-1]), seq=n + 1)
    variants["append forged"] = original + [json.dumps(forged) + "\n"]
    detected = 0
    for name, lines in variants.items():
        path = tmp_path / "copy.jsonl"
        path.write_text("".join(lines))
        if not _verify(calc_workspace, task.task_id, path).ok:
            detected += 1
        else:
            print("undetected:", name)
    assert detected == len(variants) and len(variants) > 4 * n


def test_cli_verify_show_export(calc_workspace: Path, tmp_path: Path):
    task = _task(calc_workspace)

    def mimo(*args):
        return subprocess.run([sys.executable, "-m", "mimo_lsp.cli", *args], capture_output=True, text=True)

    ok = mimo("audit", "verify", task.task_id, "-w", str(calc_workspace))
    assert ok.returncode == 0 and "chain intact" in ok.stdout
    shown = mimo("audit", "show", task.task_id, "-w", str(calc_workspace))
    assert "authorization" in shown.stdout and "deny" in shown.stdout
    out = tmp_path / "audit.json"
    assert mimo("audit", "export", task.task_id, "-w", str(calc_workspace), "--out", str(out)).returncode == 0
    assert json.loads(out.read_text())["verification"]["ok"] is True
    trail = audit_path(calc_workspace / ".mimo", task.task_id)
    lines = trail.read_text().splitlines(keepends=True)
    trail.write_text("".join(lines[:3] + lines[4:]))
    bad = mimo("audit", "verify", task.task_id, "-w", str(calc_workspace))
    assert bad.returncode == 1 and "record 4" in bad.stdout
