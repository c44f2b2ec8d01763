"""Checkpoint cost: our journal vs a shadow git repository (the Cline / opencode approach), same run.

Workspace: a copy of an installed package tree (default: torch from this venv, ~14k files / ~750 MB),
or its first N files with --files N. Both sides run the same 200-step scripted edit sequence (one
edit_file per step), then a few `run_command` steps that touch three files.

    .venv/bin/python benchmarks/checkpoint_cost.py [--files N] [--steps 200] [--json OUT.json]

Both sides run the same edit through the same tool (`edit_file`: atomic temp-file + rename).
Ours: AgentTask.act, the real code path (intent log -> tool -> diff of the named file -> one journal
transaction -> step/checkpoint events with the unified diff). Shadow git: `git add -A && git commit`
with a separate GIT_DIR after each step.
Checkpoint cost = step time - tool time (ours also minus building the step's diff for the events);
the step time with everything is reported too. Ours runs a few edits right after the snapshot while the
baseline capture is still reading the tree (reported apart), then the measured sequence.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mimo_lsp.agent.task import AgentTask, TaskPorts  # noqa: E402
from mimo_lsp.config import Settings  # noqa: E402
from mimo_lsp.llm.scripted import ScriptedChatModel  # noqa: E402
from mimo_lsp.tools.actions import EditFile, RunCommand, ToolContext  # noqa: E402
from mimo_lsp.tools.registry import run_tool  # noqa: E402


def source_tree() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("torch")
    return Path(spec.submodule_search_locations[0])


def make_workspace(dest: Path, files: int | None) -> tuple[int, int]:
    src = source_tree()
    count = size = 0
    for dirpath, dirs, names in os.walk(src):
        dirs.sort()
        for name in sorted(names):
            if files is not None and count >= files:
                return count, size
            s = Path(dirpath) / name
            d = dest / s.relative_to(src)
            d.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(s, d)
            count += 1
            size += d.stat().st_size
    return count, size


def edit_targets(ws: Path, n: int) -> list[str]:
    """n small text files to edit, spread over the tree (deterministic)."""
    py = sorted(p.relative_to(ws).as_posix() for p in ws.rglob("*.py") if 200 < p.stat().st_size < 50_000)
    step = max(1, len(py) // n)
    return py[::step][:n]


def edit_action(ws: Path, rel: str, i: int) -> EditFile:
    """Insert a marker line after the file's first line (or append it): the same edit on both sides."""
    marker = f"# mimo-bench {i}\n"
    text = (ws / rel).read_bytes().decode("utf-8")
    first_line = text.splitlines(keepends=True)[0] if text else ""
    if first_line and text.count(first_line) == 1:
        return EditFile(tool="edit_file", path=rel, search=first_line, replace=first_line + marker)
    return EditFile(tool="edit_file", path=rel, search=text, replace=text + marker)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def du(path: Path) -> int:
    total = 0
    for dirpath, _d, names in os.walk(path):
        for name in names:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


def run_ours(ws: Path, targets: list[str], commands: list[str]) -> dict:
    task = AgentTask("benchmark", ws, Settings(), lambda e: None,
                     TaskPorts(model=ScriptedChatModel([]), confirm=lambda request: "yes"), task_id="bench")
    task.step_timings = []
    task.lock.acquire()
    t0 = time.perf_counter()
    task._open()  # first snapshot: one stat pass + persisted file states; capture continues in the background
    first = time.perf_counter() - t0
    # Phase 1: edits right after the snapshot, while the capture worker still reads the tree.
    early = targets[: len(targets) // 10]
    for i, rel in enumerate(early, start=1):
        assert task.act("n1", i, edit_action(ws, rel, i), "edit").ok
    during = [t["total_ms"] - t["tool_ms"] - t["report_ms"] for t in task.step_timings]
    capture_wait = time.perf_counter()
    task.tracker.wait_captured()
    capture_done = time.perf_counter() - t0
    waited = time.perf_counter() - capture_wait
    # Phase 2, the measured sequence: a long task spends nearly all its steps after the capture.
    task.step_timings = []
    for i, rel in enumerate(targets, start=len(early) + 1):
        result = task.act("n1", i, edit_action(ws, rel, 10_000 + i), "edit")
        assert result.ok, result.output
    steps = [t["total_ms"] for t in task.step_timings]
    overhead = [t["total_ms"] - t["tool_ms"] - t["report_ms"] for t in task.step_timings]
    task.step_timings = []
    for j, cmd in enumerate(commands, start=len(targets) + 1):
        result = task.act("n1", j, RunCommand(tool="run_command", command=cmd), "command")
        assert result.ok, result.output
    cmd_steps = [t["total_ms"] - t["tool_ms"] - t["report_ms"] for t in task.step_timings]
    task.tracker.stop()
    task.lock.release()
    return {"first": first, "steps": steps, "overhead": overhead, "during": during, "cmd_steps": cmd_steps,
            "capture_s": capture_done,
            "capture_wait_s": waited, "disk": du(ws / ".mimo"),
            "watcher": task.tracker.watcher is not None}


def git(env: dict, ws: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=ws, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_git(ws: Path, gitdir: Path, targets: list[str], commands: list[str]) -> dict:
    env = {**os.environ, "GIT_DIR": str(gitdir), "GIT_WORK_TREE": str(ws), "GIT_AUTHOR_NAME": "b",
           "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@b"}
    git(env, ws, "init", "-q")
    t0 = time.perf_counter()
    git(env, ws, "add", "-A")
    git(env, ws, "commit", "-q", "-m", "snapshot", "--allow-empty")
    first = time.perf_counter() - t0
    ctx = ToolContext(ws)
    steps, overhead = [], []
    for i, rel in enumerate(targets, start=1):
        t = time.perf_counter()
        assert run_tool(edit_action(ws, rel, i), ctx).ok
        t_tool = time.perf_counter() - t
        git(env, ws, "add", "-A")
        git(env, ws, "commit", "-q", "-m", f"step {i}", "--allow-empty")
        total = time.perf_counter() - t
        steps.append(total * 1000)
        overhead.append((total - t_tool) * 1000)
    cmd_steps = []
    for cmd in commands:
        subprocess.run(["bash", "-c", cmd], cwd=ws, check=True)
        t = time.perf_counter()
        git(env, ws, "add", "-A")
        git(env, ws, "commit", "-q", "-m", "cmd", "--allow-empty")
        cmd_steps.append((time.perf_counter() - t) * 1000)
    return {"first": first, "steps": steps, "overhead": overhead, "cmd_steps": cmd_steps, "disk": du(gitdir)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=None, help="use only the first N files of the tree")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--commands", type=int, default=10)
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "checkpoint_cost.json")
    ap.add_argument("--keep", action="store_true", help="keep the generated workspaces")
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="mimo-ckpt-bench-"))
    try:
        ours_ws, git_ws = base / "ours", base / "git"
        files, size = make_workspace(ours_ws, args.files)
        shutil.copytree(ours_ws, git_ws, symlinks=True)
        targets = edit_targets(ours_ws, args.steps)
        cmd_files = targets[:3]
        commands = [f"for f in {' '.join(cmd_files)}; do echo '# cmd {k}' >> $f; done" for k in range(args.commands)]
        ours = run_ours(ours_ws, targets, commands)
        theirs = run_git(git_ws, base / "shadow.git", targets, commands)
        result = {
            "files": files, "bytes": size, "steps": len(targets),
            "ours_step_ms_p50": statistics.median(ours["overhead"]), "ours_step_ms_p95": pct(ours["overhead"], 0.95),
            "git_step_ms_p50": statistics.median(theirs["overhead"]), "git_step_ms_p95": pct(theirs["overhead"], 0.95),
            "ours_total_step_ms_p50": statistics.median(ours["steps"]),
            "git_total_step_ms_p50": statistics.median(theirs["steps"]),
            "ours_first_snapshot_s": ours["first"], "git_first_snapshot_s": theirs["first"],
            "ours_baseline_capture_s": ours["capture_s"], "ours_capture_wait_s": ours["capture_wait_s"],
            "ours_step_ms_p50_during_capture": statistics.median(ours["during"]),
            "ours_steps_during_capture": len(ours["during"]),
            "ours_command_step_ms_p50": statistics.median(ours["cmd_steps"]),
            "git_command_step_ms_p50": statistics.median(theirs["cmd_steps"]),
            "ours_disk_bytes": ours["disk"], "git_disk_bytes": theirs["disk"], "ours_watcher": ours["watcher"],
        }
        result["step_ratio"] = result["git_step_ms_p50"] / result["ours_step_ms_p50"]
        result["command_step_ratio"] = result["git_command_step_ms_p50"] / result["ours_command_step_ms_p50"]
        print(f"workspace: {files} files, {size / 1e6:.0f} MB; {len(targets)} edit steps, {len(commands)} command steps")
        print(f"{'':<34}{'ours':>12}{'shadow git':>12}{'git / ours':>12}")
        rows = [("checkpoint per edit step p50 (ms)", "ours_step_ms_p50", "git_step_ms_p50"),
                ("checkpoint per edit step p95 (ms)", "ours_step_ms_p95", "git_step_ms_p95"),
                ("whole edit step p50 (ms)", "ours_total_step_ms_p50", "git_total_step_ms_p50"),
                ("checkpoint per command step p50", "ours_command_step_ms_p50", "git_command_step_ms_p50"),
                ("first snapshot (s)", "ours_first_snapshot_s", "git_first_snapshot_s"),
                ("disk (MB)", "ours_disk_bytes", "git_disk_bytes")]
        for label, a, b in rows:
            va, vb = result[a], result[b]
            if "disk" in label:
                va, vb = va / 1e6, vb / 1e6
            print(f"{label:<34}{va:>12.2f}{vb:>12.2f}{vb / va if va else float('inf'):>12.1f}")
        print(f"our background baseline capture finished {result['ours_baseline_capture_s']:.1f} s after the "
              f"snapshot; {result['ours_steps_during_capture']} edit steps taken meanwhile cost "
              f"{result['ours_step_ms_p50_during_capture']:.2f} ms p50 (a command would have waited for it)")
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
