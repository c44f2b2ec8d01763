"""Max Mode on the shipped model: pass rate with N = 1 vs N candidates, checks-only vs judge selection.

FRAMEWORK + MODEL BENCHMARK. For each task folder (benchmarks/max_mode_tasks/README.md: `task.json`
{instruction, check}, the starting files, `hidden/`): the task runs through the real application layer
(`mimo run`'s path: TaskAssembly, AgentTask, MaxModeOrchestrator) on a scratch copy WITHOUT `hidden/` and
`task.json`, so the agent never sees the hidden test. The agent's own completion check is what a user
would give: the visible tests of the task folder if it has any (`pytest -q <test files>`), else that the
edited file compiles (`visible_check` in task.json when given). Afterwards the hidden check decides whether the
task is solved.

Runs, in one process, on the same tasks:
  n1            Max Mode with 1 candidate (the greedy one): the single-attempt baseline
  n{N}          N candidates, first_pass (stop at the first that passes the agent's check)
  n{N}_judge    N candidates, judge_all (all made; checks first, then a temperature-0 judge); on the very same
                candidates, also what checks-only selection picks (`select.choose` without a judge: the first
                that passes the agent's check, else the first usable) and whether THAT pick solves the task
                (`solved_checks_only`): judge vs checks-only on identical candidates, one run.

    PYTHONPATH=. .venv/bin/python benchmarks/max_mode.py --tasks benchmarks/max_mode_tasks --n 5 --json OUT.json
    ... --demo-seeds 10     # also: the README's demo task with 10 different model seeds
    ... --only-judge        # only the n{N}_judge run (judge vs checks-only on the same candidates)

JSON: {"tasks", "pass_rate_n1", "pass_rate_n", "pass_rate_n_judge", "tokens_n1", "tokens_n", "tokens_n_judge",
"seconds_n1", "seconds_n", "seconds_n_judge", "convergence_n", "demo": {...}, "rows": [...]}.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from mimo_lsp.agent.goal import GoalCriteria  # noqa: E402
from mimo_lsp.app.setup import TaskAssembly, TaskRequest  # noqa: E402

ENV = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1"}


def load_tasks(folder: Path, limit: int | None) -> list[tuple[str, Path, dict[str, Any]]]:
    out = []
    for d in sorted(p for p in folder.iterdir() if (p / "task.json").is_file()):
        out.append((d.name, d, json.loads((d / "task.json").read_text())))
    return out[:limit] if limit else out


def visible_check(ws: Path, spec: dict[str, Any]) -> str:
    py = sys.executable
    if spec.get("visible_check"):
        cmd = spec["visible_check"]
        return f"{py} {cmd[len('python '):]}" if cmd.startswith("python ") else cmd
    tests = sorted(p.name for p in ws.glob("test*.py"))
    if tests:
        return f"{py} -m pytest -q -p no:cacheprovider {' '.join(tests)}"
    target = spec.get("file") or next((p.name for p in ws.glob("*.py")), "")
    return f"{py} -m py_compile {target}"


def hidden_passes(folder: Path, ws: Path, spec: dict[str, Any]) -> bool:
    check = ws.parent / "check"
    shutil.copytree(ws, check, ignore=shutil.ignore_patterns(".mimo"))
    try:
        for f in (folder / "hidden").iterdir():
            if f.name != "solution" and f.is_file():
                shutil.copy2(f, check / f.name)
        cmd = spec["check"]
        if cmd.startswith("python "):
            cmd = f"{sys.executable} {cmd[len('python '):]}"
        proc = subprocess.Popen(shlex.split(cmd), cwd=check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env={**os.environ, **ENV}, start_new_session=True)
        try:
            return proc.wait(timeout=spec.get("timeout", 60)) == 0
        except subprocess.TimeoutExpired:  # a candidate that loops forever: not solved, and nothing left running
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return False
    finally:
        shutil.rmtree(check, ignore_errors=True)


def run_one(name: str, folder: Path, spec: dict[str, Any], n: int, selection: str, seed: int,
            model: str | None) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix=f"mimo-mm-{name}-"))
    ws = root / "ws"
    shutil.copytree(folder, ws, ignore=shutil.ignore_patterns("hidden", "task.json"))
    overrides = {"max": {"n": n, "selection": selection, "rounds": 1}, "model": {"seed": seed},
                 "memory": {"embedder": "hashing"}}
    assembly = TaskAssembly(overrides, confirm=lambda request, timeout: "no")
    check = visible_check(ws, spec)
    t0 = time.perf_counter()
    prepared = assembly.prepare(TaskRequest(workspace=ws, goal=spec["instruction"], model=model,
                                            criteria=GoalCriteria(commands=[check])))
    task = assembly.build(prepared, lambda e: None)
    result = task.run()
    seconds = time.perf_counter() - t0
    solved = hidden_passes(folder, ws, spec)
    rep = result.max or {}
    row = {"task": name, "n": n, "selection": selection, "seed": seed, "outcome": result.outcome, "solved": solved,
           "candidates": len(rep.get("candidates", [])), "picked": rep.get("picked"),
           "convergence": rep.get("convergence"), "judged": rep.get("judged"),
           "tokens": result.stats.get("tokens", 0), "seconds": round(seconds, 2)}
    if selection == "judge_all" and task.orchestrator is not None:
        row.update(checks_only_solved(folder, root, spec, task.orchestrator, rep.get("picked"), solved))
    shutil.rmtree(root, ignore_errors=True)
    return row


def checks_only_solved(folder: Path, root: Path, spec: dict[str, Any], orch: Any, picked: int | None,
                       solved: bool) -> dict[str, Any]:
    """What checks-only selection picks among the same candidates, and whether the hidden test passes with it."""
    from mimo_lsp.maxmode.select import choose

    pick, _, _ = choose(orch.candidates, None, "")
    if pick is None or pick.id == picked:
        return {"picked_checks_only": picked if pick is not None else None,
                "solved_checks_only": solved if pick is not None else False}
    other = root / "checks-only"
    shutil.copytree(folder, other, ignore=shutil.ignore_patterns("hidden", "task.json"))
    for rel, data in pick.changes.items():
        if data is None:
            (other / rel).unlink(missing_ok=True)
        else:
            (other / rel).parent.mkdir(parents=True, exist_ok=True)
            (other / rel).write_bytes(data)
    return {"picked_checks_only": pick.id, "solved_checks_only": hidden_passes(folder, other, spec)}


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"pass_rate": round(sum(r["solved"] for r in rows) / len(rows), 4) if rows else None,
            "verified_rate": round(sum(r["outcome"] == "verified" for r in rows) / len(rows), 4) if rows else None,
            "tokens": sum(r["tokens"] for r in rows), "seconds": round(sum(r["seconds"] for r in rows), 1),
            "convergence": round(statistics.fmean(r["convergence"] or 0 for r in rows), 3) if rows else None}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", type=Path, default=REPO / "benchmarks" / "max_mode_tasks")
    ap.add_argument("--n", type=int, default=5)
    ap.add_argument("--limit", type=int)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--model", help="model spec (default: the shipped GGUF)")
    ap.add_argument("--demo-seeds", type=int, default=0, help="also run the demo task with this many seeds")
    ap.add_argument("--skip-judge", action="store_true", help="leave out the judge_all run")
    ap.add_argument("--only-judge", action="store_true", help="only the judge_all run (and checks-only on it)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    os.environ.setdefault("MIMO_CONFIG_HOME", tempfile.mkdtemp(prefix="mimo-bench-cfg-"))  # no user config
    tasks = load_tasks(args.tasks, args.limit)
    runs = [] if args.only_judge else [("n1", 1, "first_pass"), (f"n{args.n}", args.n, "first_pass")]
    if not args.skip_judge or args.only_judge:
        runs.append((f"n{args.n}_judge", args.n, "judge_all"))
    rows: list[dict[str, Any]] = []
    for label, n, selection in runs:
        for name, folder, spec in tasks:
            row = run_one(name, folder, spec, n, selection, args.seed, args.model)
            row["run"] = label
            rows.append(row)
            print(f"{label:10} {name:24} solved={row['solved']!s:5} outcome={row['outcome']:10} "
                  f"cands={row['candidates']} tokens={row['tokens']:6} {row['seconds']:6.1f}s", file=sys.stderr,
                  flush=True)
    by = {label: summarize([r for r in rows if r["run"] == label]) for label, _, _ in runs}
    demo: dict[str, Any] = {}
    if args.demo_seeds:
        demo_task = args.tasks / "calculator_add"
        spec = json.loads((demo_task / "task.json").read_text())
        demo_rows = [run_one("demo", demo_task, spec, args.n, "first_pass", args.seed + i, args.model)
                     for i in range(args.demo_seeds)]
        demo = {"runs": len(demo_rows), "verified": sum(r["outcome"] == "verified" for r in demo_rows),
                "solved_hidden": sum(r["solved"] for r in demo_rows)}
    n_key, j_key = f"n{args.n}", f"n{args.n}_judge"
    judge_rows = [r for r in rows if r["run"] == j_key]
    out = {"tasks": len(tasks), "n": args.n,
           "pass_rate_n1": by.get("n1", {}).get("pass_rate"), "pass_rate_n": by.get(n_key, {}).get("pass_rate"),
           "pass_rate_n_judge": by.get(j_key, {}).get("pass_rate"),
           "pass_rate_n_checks_only": round(sum(r.get("solved_checks_only", False) for r in judge_rows)
                                            / len(judge_rows), 4) if judge_rows else None,
           "picks_differ": sum(r.get("picked_checks_only") != r["picked"] for r in judge_rows),
           "tokens_n1": by.get("n1", {}).get("tokens"), "tokens_n": by.get(n_key, {}).get("tokens"),
           "tokens_n_judge": by.get(j_key, {}).get("tokens"),
           "seconds_n1": by.get("n1", {}).get("seconds"), "seconds_n": by.get(n_key, {}).get("seconds"),
           "seconds_n_judge": by.get(j_key, {}).get("seconds"),
           "convergence_n": by.get(j_key, by.get(n_key, {})).get("convergence"), "by_run": by, "demo": demo,
           "rows": rows}
    print(f"\n{'run':12} {'pass (hidden)':>13} {'verified':>9} {'tokens':>8} {'seconds':>8} {'convergence':>11}")
    for label, s in by.items():
        print(f"{label:12} {s['pass_rate']:>13.1%} {s['verified_rate']:>9.1%} {s['tokens']:>8} {s['seconds']:>8} "
              f"{s['convergence']:>11}")
    if judge_rows:
        print(f"same candidates, judge vs checks-only: {out['pass_rate_n_judge']:.1%} vs "
              f"{out['pass_rate_n_checks_only']:.1%} solved; picks differ in {out['picks_differ']} of {len(judge_rows)}")
    if by.get("n1", {}).get("pass_rate") and n_key in by:
        print(f"relative gain n{args.n} vs n1: {by[n_key]['pass_rate'] / by['n1']['pass_rate'] - 1:+.1%}")
    if demo:
        print(f"demo task: verified in {demo['verified']} of {demo['runs']} runs with different seeds")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
