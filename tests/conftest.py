"""Shared fixtures: temp workspaces, scripted replies, and a real server process driven by pytest-lsp."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "calculator"

# Keep user config out of tests: every test sees an empty user config dir.
os.environ["MIMO_CONFIG_HOME"] = str(Path(__file__).parent / ".no-user-config")
# ... and the user's workspace-trust decisions out of tests (and tests' out of theirs).
os.environ["MIMO_STATE_HOME"] = tempfile.mkdtemp(prefix="mimo-test-state-")


@pytest.fixture
def calc_workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    shutil.copytree(EXAMPLE, ws)
    return ws


def fix_add_script() -> list[dict]:
    """The replies of a competent model fixing calc.add: plan, read, edit, finish."""
    return [
        {"nodes": [{"id": "fix", "title": "Fix add in calc.py", "depends_on": [], "expected_output": "add returns a + b"}]},
        {"thought": "look at the file", "action": {"tool": "read_file", "path": "calc.py"}},
        {"thought": "fix the operator", "action": {"tool": "edit_file", "path": "calc.py",
                                                   "search": "return a - b", "replace": "return a + b"}},
        {"thought": "done", "action": {"tool": "finish", "summary": "add fixed"}},
    ]


def write_script(path: Path, replies: list) -> str:
    path.write_text(json.dumps(replies))
    return f"scripted:{path}"


def python_check() -> str:
    return f"{sys.executable} -m pytest -q -p no:cacheprovider"


def make_task(goal: str, workspace: Path, model, settings, emit, *, check: str | None = None, criteria=None,
              task_id: str | None = None, resume: bool = False, **ports):
    """An AgentTask wired by hand for agent-level tests (the entry points use mimo_lsp.app.setup)."""
    from mimo_lsp.agent.goal import GoalCriteria
    from mimo_lsp.agent.task import AgentTask, TaskPorts

    return AgentTask(goal, workspace, settings, emit, TaskPorts(model=model, **ports),
                     criteria=GoalCriteria.of(check, criteria), task_id=task_id, resume=resume)


def open_service(workspace: Path):
    """The checkpoint service with the default limits, as the application layer opens it."""
    from mimo_lsp.app.workspace import open_checkpoints
    from mimo_lsp.config import CheckpointSettings

    return open_checkpoints(workspace, CheckpointSettings())


# -- `mimo` as a process: run, SIGKILL at a moment, resume (the kill -9 tests) -------------------------
def mimo_cli(args: list[str], env: dict) -> "subprocess.Popen[str]":
    return subprocess.Popen([sys.executable, "-m", "mimo_lsp.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def files_of(root: Path) -> dict[str, bytes]:
    """The workspace's files (not its state dir, not bytecode): what two runs must agree on."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".mimo" not in p.relative_to(root).parts and "__pycache__" not in p.parts}


def kill_when(proc: "subprocess.Popen[str]", ready, timeout: float = 60.0) -> None:
    """SIGKILL `proc` once `ready()` holds (or after `timeout`)."""

    deadline = time.time() + timeout
    while time.time() < deadline and not ready():
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def resume_only_task(ws: Path, env: dict) -> tuple[str, str]:
    """`mimo resume` of the one task in the workspace's journal: (stdout, stderr)."""
    con = sqlite3.connect(str(ws / ".mimo" / "journal.sqlite"))
    try:
        task_id = con.execute("SELECT id FROM tasks").fetchone()[0]
    finally:
        con.close()
    return mimo_cli(["resume", task_id, "-w", str(ws), "--json", "--quiet", "--yes"], env).communicate(timeout=120)
