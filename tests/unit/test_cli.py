"""The `mimo` CLI as a user runs it: run (scripted, --json), checkpoints, restore, gc, index, search."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import fix_add_script, python_check, write_script


def mimo(*args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "mimo_lsp.cli", *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode in ok, (proc.returncode, proc.stdout, proc.stderr)
    return proc


def test_run_checkpoints_restore_gc(calc_workspace: Path, tmp_path: Path):
    model = write_script(tmp_path / "s.json", fix_add_script())
    ws = str(calc_workspace)
    result = json.loads(mimo("run", "-w", ws, "--model", model, "--check", python_check(), "--json", "fix add").stdout)
    assert result["outcome"] == "verified" and [c["tool"] for c in result["checkpoints"]] == [
        "read_file", "edit_file", "finish"]
    assert result["diff"].startswith("--- a/calc.py")
    cps = json.loads(mimo("checkpoints", result["task_id"], "-w", ws, "--json").stdout)
    assert [c["files"] for c in cps if c["tool"] == "edit_file"] == [["calc.py"]]
    report = json.loads(mimo("restore", result["task_id"], "0", "-w", ws, "--mode", "files", "--json").stdout)
    assert report["restored"] == ["calc.py"] and "return a - b" in (calc_workspace / "calc.py").read_text()
    (calc_workspace / "calc.py").write_text("# mine\n")
    edit_cp = next(c["id"] for c in cps if c["tool"] == "edit_file")
    conflict = mimo("restore", result["task_id"], str(edit_cp), "-w", ws, "--json", ok=(3,))
    assert json.loads(conflict.stdout)["conflicts"][0]["path"] == "calc.py"
    gc = json.loads(mimo("gc", "-w", ws, "--json").stdout)
    assert gc["stats"]["tasks"] == 1 and gc["deleted_tasks"] == []
    tasks = json.loads(mimo("tasks", "-w", ws, "--json").stdout)
    assert tasks[0]["status"] == "restored"  # the second restore was files + task state (the default)


def test_clear_errors(tmp_path: Path):
    assert "workspace is not a directory" in mimo("run", "-w", str(tmp_path / "nope"), "x", ok=(2,)).stderr
    assert "model file not found" in mimo("run", "-w", str(tmp_path), "--model", "/no/m.gguf", "x", ok=(2,)).stderr
    assert "unknown task id: t-1" in mimo("resume", "t-1", "-w", str(tmp_path), ok=(2,)).stderr
    assert "goal is empty" in mimo("run", "-w", str(tmp_path), "--model", write_script(tmp_path / "s.json", []),
                                   "  ", ok=(2,)).stderr


@pytest.mark.real_index
def test_index_and_search_json(calc_workspace: Path):
    stats = json.loads(mimo("index", str(calc_workspace), "--json").stdout)
    assert stats["files"] == 2 and stats["chunks"] >= 4
    hits = json.loads(mimo("search", "sum of two numbers", "-w", str(calc_workspace), "--json", "--k", "3").stdout)
    assert list(hits[0]) == ["path", "start_line", "end_line", "symbol", "score"]
    assert hits[0]["symbol"] == "add"
