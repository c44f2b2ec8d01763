"""Crash and resume: a scripted 200-step task killed with SIGKILL at random moments, resumed, repeated.

Each run: `mimo run` on a fresh copy of the workspace, SIGKILL at a random moment, then `mimo resume`
(itself killed again with probability --rekill) until a resume finishes. Compared with one
uninterrupted run of the same script:
  identical           final workspace byte-identical (content and mode), .mimo/ excluded
  lost_checkpoints    checkpoints recorded before a kill that are missing afterwards
  duplicated_actions  agent steps with more than one live checkpoint (an action executed twice)

    .venv/bin/python benchmarks/crash_resume.py --runs 50 --json OUT.json [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AGENT_TOOLS = ("run_command", "write_file", "edit_file", "finish")


def script(steps_per_node: int = 20, nodes: int = 10) -> list:
    replies: list = [{"nodes": [{"id": f"n{i}", "title": f"part {i}", "depends_on": [f"n{i - 1}"] if i else [],
                                 "expected_output": "done"} for i in range(nodes)]}]
    k = 0
    for _ in range(nodes):
        for _ in range(steps_per_node - 1):
            k += 1
            if k % 3 == 0:
                action = {"tool": "run_command", "command": f"echo {k} >> log.txt; printf {k} > f{k % 7}.txt"}
            elif k % 3 == 1:
                action = {"tool": "write_file", "path": f"w{k % 5}.txt", "content": f"write {k}\n"}
            else:
                action = {"tool": "run_command", "command": f"sleep 0.02; echo {k} >> slow.txt; chmod {'+' if k % 2 else '-'}x w1.txt 2>/dev/null; true"}
            replies.append({"thought": f"step {k}", "action": action})
        replies.append({"thought": "node done", "action": {"tool": "finish", "summary": "ok"}})
    return replies


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    out = {}
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".mimo"]
        for f in files:
            p = Path(dirpath) / f
            out[p.relative_to(root).as_posix()] = (p.read_bytes(), p.stat().st_mode & 0o777)
    return out


def mimo(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "mimo_lsp.cli", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def checkpoints(ws: Path) -> list[tuple]:
    db = ws / ".mimo" / "journal.sqlite"
    if not db.exists():
        return []
    with closing(sqlite3.connect(str(db), timeout=10)) as con:
        try:
            return con.execute("SELECT id, task_id, step, tool, abandoned FROM actions WHERE state='done'"
                               " ORDER BY id").fetchall()
        except sqlite3.OperationalError:
            return []


def new_workspace(base: Path, name: str) -> Path:
    ws = base / name
    shutil.copytree(ROOT / "examples" / "calculator", ws)
    (ws / ".mimo").mkdir()
    (ws / ".mimo" / "config.toml").write_text("[agent]\nmax_steps_per_node = 25\nmax_plan_nodes = 12\n")
    return ws


def run_until_done(ws: Path, model: str, rng: random.Random, duration: float, rekill: float) -> dict:
    kills = 0
    lost = 0
    proc = mimo("run", "-w", str(ws), "--model", model, "--quiet", "--json", "--yes", "work")
    time.sleep(rng.uniform(0.3, duration))
    while True:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        out, _ = proc.communicate()
        if proc.returncode in (0, 1) and out.strip():
            return {"kills": kills, "lost": lost, "result": json.loads(out)}
        before = checkpoints(ws)
        if not before:  # killed before the task was journaled: start it again
            proc = mimo("run", "-w", str(ws), "--model", model, "--quiet", "--json", "--yes", "work")
        else:
            proc = mimo("resume", before[0][1], "-w", str(ws), "--quiet", "--json", "--yes")
        if rng.random() < rekill:
            time.sleep(rng.uniform(0.2, duration / 2))
        else:
            proc.wait()
        after = {row[0] for row in checkpoints(ws)}
        lost += sum(1 for row in before if row[0] not in after)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rekill", type=float, default=0.5, help="chance that a resume is killed again")
    ap.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "crash_resume.json")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    base = Path(tempfile.mkdtemp(prefix="mimo-crash-bench-"))
    try:
        model_file = base / "script.json"
        replies = script()
        model_file.write_text(json.dumps(replies))
        model = f"scripted:{model_file}"
        ref = new_workspace(base, "reference")
        t0 = time.perf_counter()
        out, err = mimo("run", "-w", str(ref), "--model", model, "--quiet", "--json", "--yes", "work").communicate()
        duration = time.perf_counter() - t0
        ref_result = json.loads(out)
        assert ref_result["outcome"] == "unverified", (ref_result["reason"], err)
        expected = tree(ref)
        steps = len([r for r in checkpoints(ref) if r[3] in AGENT_TOOLS])
        identical = lost = duplicated = kills = 0
        for i in range(args.runs):
            ws = new_workspace(base, f"run{i}")
            outcome = run_until_done(ws, model, rng, duration, args.rekill)
            kills += outcome["kills"]
            lost += outcome["lost"]
            live = [r[2] for r in checkpoints(ws) if r[3] in AGENT_TOOLS and not r[4]]
            duplicated += len(live) - len(set(live))
            got = tree(ws)
            same = got == expected and outcome["result"]["outcome"] == "unverified"
            identical += same
            print(f"run {i + 1:>3}: kills {outcome['kills']}, identical {same}, steps {len(set(live))}/{steps}",
                  flush=True)
            if not same:
                differ = sorted(k for k in set(got) | set(expected) if got.get(k) != expected.get(k))
                kept = Path(tempfile.mkdtemp(prefix="mimo-crash-failed-"))
                shutil.move(str(ws), kept / ws.name)
                print(f"    differs: {differ[:10]}; outcome {outcome['result']['outcome']}; kept in {kept}")
            else:
                shutil.rmtree(ws)
        result = {"runs": args.runs, "identical": identical, "lost_checkpoints": lost,
                  "duplicated_actions": duplicated, "kills": kills, "steps_per_run": steps,
                  "uninterrupted_run_s": round(duration, 2), "seed": args.seed}
        print(f"\n{'runs':<22}{args.runs}\n{'kills (SIGKILL)':<22}{kills}\n{'identical':<22}{identical}/{args.runs}\n"
              f"{'lost checkpoints':<22}{lost}\n{'duplicated actions':<22}{duplicated}\n"
              f"{'steps per run':<22}{steps}\n{'uninterrupted run':<22}{duration:.1f} s")
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
