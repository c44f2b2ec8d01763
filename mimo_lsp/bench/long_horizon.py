"""The long-horizon benchmark harness: task families x seeds x p, the agent vs baselines that each take
one mechanism away, on the same seeds.

FRAMEWORK BENCHMARK. With the noisy oracle (`oracle.py`) it measures what planning, checks, rollback,
retries, replanning and goal verification make of a model that errs with probability 1 - p per call
(distributed as the error model says: `errors.py`). Any ChatModel can be plugged in instead
(`model_spec`), e.g. the shipped GGUF on the small families.

Modes (all built through `mimo_lsp.app.setup.TaskAssembly` when they run the agent):
- `agent`: the agent as shipped (benchmark budgets);
- `flat`: one flat ReAct loop, no checks, stops at the model's finish (`baseline.py`);
- `flat_gated`: the flat loop with the agent's goal gate: finish is rejected while the goal criteria fail;
- `no_node_checks`: the agent, its plans' nodes stripped of their checks (the model's plans otherwise
  unchanged; the goal gate stays);
- `no_recovery`: the agent without rollback, retry and replanning (node_retries 0, max_replans 0,
  goal_rounds 0, rollback_failed_nodes off); node checks and the goal check stay;
- variants that add a mechanism (named explicitly, not part of `all`): `node_max`, the agent with
  node-level Max Mode (`max.node_n = 3`: three independent candidates for a node whose retries failed),
  and `more_retries`, its control: the same three extra tries as plain retries (`node_retries 5`).

Metrics, per run (see docs/benchmarks.md):
- completion_rate: tasks whose final workspace passes every reference node check and every goal check
  (judged by the harness itself, independently of what the agent claimed);
- avg_steps_before_failure: mean number of executed steps per task, where a completed task counts all
  its steps and a failed one the steps until it stopped;
- recovery_rate: injected errors recovered / injected errors. An error is recovered when the node it
  happened in passes its reference checks at the end (plan and judge errors: when the task completes),
  except a premature "finish" the run ended on, which is never recovered;
- premature_stop_rejections: finishes rejected by node checks plus stops rejected by the goal checks;
- model_calls, tokens (prompt + completion), checkpoint_ms_per_step (median per-step time spent in the
  agent's journal/checkpoint/audit path, i.e. step time minus tool time).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Callable

from mimo_lsp.bench.family import check_passes, load_family, topo_nodes

BASELINES = ("flat", "flat_gated", "no_node_checks", "no_recovery")
# Goal rounds are replanning too (they had no budget of their own when max_replans was 0; now they do).
NO_RECOVERY = {"agent": {"node_retries": 0, "max_replans": 0, "goal_rounds": 0, "rollback_failed_nodes": False}}
# Variants that add a mechanism (named explicitly; `all` is the baselines): node-level Max Mode with 3
# candidates per failing node, and its control, the same 3 extra tries as plain retries (2 + 3).
VARIANTS = {"node_max": {"max": {"node_n": 3}}, "more_retries": {"agent": {"node_retries": 5}}}
MODES = BASELINES + tuple(VARIANTS)
BENCH_RULES = [{"tool": "run_command", "match": "python3 tests/*", "action": "allow",
                "reason": "benchmark family checks"}]


def load_for_bench(path: Path) -> dict[str, Any]:
    """The family with node ids made plan-safe (`[A-Za-z0-9_-]`, at most 12 characters, unique)."""
    import re

    family = load_family(path)
    mapping: dict[str, str] = {}
    for node in family["nodes"]:
        base = re.sub(r"[^A-Za-z0-9_-]", "-", node["id"])[:12] or "n"
        new, k = base, 1
        while new in mapping.values():
            k += 1
            new = f"{base[:12 - len(str(k))]}{k}"
        mapping[node["id"]] = new
    for node in family["nodes"]:
        node["id"] = mapping[node["id"]]
        node["depends_on"] = [mapping[d] for d in node.get("depends_on", [])]
    return family


def write_files(workspace: Path, files: dict[str, str]) -> None:
    for rel, content in files.items():
        path = workspace / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")


def evaluate(family: dict[str, Any], order: list[dict[str, Any]], workspace: Path) -> dict[str, Any]:
    """The harness's own verdict: every node's reference checks and the goal, on the final workspace."""
    node_ok = {n["id"]: all(check_passes(workspace, c)[0] for c in n.get("checks", [])) for n in order}
    goal = family.get("goal", {})
    goal_ok = all(check_passes(workspace, {"command": c})[0] for c in goal.get("commands", [])) and all(
        check_passes(workspace, f)[0] for f in goal.get("files", []))
    return {"node_ok": node_ok, "goal_ok": goal_ok, "completed": goal_ok and all(node_ok.values())}


def bench_settings(ref_steps: int, extra: dict[str, Any] | None = None):
    from mimo_lsp.config import Settings, _deep_merge

    base = {"agent": {"max_task_steps": max(60, 3 * ref_steps), "command_timeout_s": 30, "check_timeout_s": 60},
            "memory": {"embedder": "hashing"}, "safety": {"rules": BENCH_RULES}}
    return Settings.model_validate(_deep_merge(base, extra or {}))


def run_task(family_path: str, seed: int, p: float, mode: str, work_root: str,
             model_spec: str | None = None, settings_extra: dict[str, Any] | None = None,
             errors: str | None = None) -> dict[str, Any]:
    """One task: fresh workspace from the family, the agent (or a baseline) on it, then the verdict.

    `python3` in the families' commands resolves to this interpreter's base installation directly (not a
    version-manager shim that costs a shell per call), for the agent, the baseline and the verdict alike."""
    saved = os.environ.get("PATH", "")
    os.environ["PATH"] = f"{Path(sys.base_prefix) / 'bin'}{os.pathsep}{saved}"
    try:
        return _run_task(family_path, seed, p, "flat" if mode == "baseline" else mode, work_root, model_spec,
                         settings_extra, errors)
    finally:
        os.environ["PATH"] = saved


class PlansWithoutChecks:
    """`no_node_checks`: the same model, with the `checks` of every node of its plans dropped."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = f"{inner.name} (plans without node checks)"

    def complete(self, messages, *, schema=None, max_tokens=None, temperature=None, on_token=None):
        from mimo_lsp.llm.port import Completion

        out = self.inner.complete(messages, schema=schema, max_tokens=max_tokens, temperature=temperature)
        text = out.text
        if (schema or {}).get("title") == "Plan":
            try:
                plan = json.loads(text)
                for node in plan.get("nodes", []):
                    if isinstance(node, dict):
                        node.pop("checks", None)
                text = json.dumps(plan)
            except (ValueError, AttributeError):
                pass  # not a plan: the agent's own validation answers it as it would the model's reply
        if on_token is not None:
            on_token(text)
        return Completion(text=text, prompt_tokens=out.prompt_tokens, completion_tokens=out.completion_tokens,
                          finish_reason=out.finish_reason)

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def goal_gate(family: dict[str, Any], ws: Path, model: Any, timeout: float = 60):
    """`flat_gated`'s gate: the goal's commands and file predicates (then its judge criterion, if any), as
    the agent checks them before it stops. Results are cached per workspace content: the checks are
    deterministic in the files, and a loop that finishes again without changing anything gets the same
    answer without running them again."""
    import hashlib

    from mimo_lsp.agent.goal import judge

    goal = family.get("goal", {})
    cache: dict[str, tuple[bool, str]] = {}

    def tree_hash() -> str:
        h = hashlib.sha256()
        for f in sorted(ws.rglob("*")):
            if f.is_file() and ".mimo" not in f.relative_to(ws).parts:
                h.update(f.relative_to(ws).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
        return h.hexdigest()

    def gate() -> tuple[bool, str]:
        key = tree_hash()
        if key not in cache:
            fails: list[str] = []
            for check in [{"command": c} for c in goal.get("commands", [])] + list(goal.get("files", [])):
                ok, out = check_passes(ws, check, timeout)
                if not ok:
                    fails.append(f"[FAIL] {check.get('command') or json.dumps(check)}: {out[-600:]}")
            cache[key] = (not fails, "\n".join(fails))
        ok, failing = cache[key]
        if ok and goal.get("criterion"):
            verdict = judge(model, goal["criterion"], "[PASS] every executable criterion", family["instruction"])
            if not verdict.passed:
                return False, f"[FAIL] {verdict.check}: {verdict.evidence}"
        return ok, failing

    return gate


def _run_task(family_path: str, seed: int, p: float, mode: str, work_root: str,
              model_spec: str | None, settings_extra: dict[str, Any] | None, errors: str | None) -> dict[str, Any]:
    from mimo_lsp.agent.goal import GoalCriteria
    from mimo_lsp.agent.plan import CheckSpec
    from mimo_lsp.app.setup import TaskAssembly, TaskRequest
    from mimo_lsp.bench.baseline import run_baseline
    from mimo_lsp.bench.errors import parse_error_model
    from mimo_lsp.bench.oracle import NoisyOracle
    from mimo_lsp.config import _deep_merge
    from mimo_lsp.safety.sandbox import Sandbox, SandboxSettings

    if mode not in ("agent",) + MODES:
        raise ValueError(f"unknown mode {mode!r}: agent or one of {', '.join(MODES)}")
    family = load_for_bench(Path(family_path))
    order = topo_nodes(family)
    ws = Path(work_root) / f"{family['name']}-{mode}-{p}-{seed}"
    shutil.rmtree(ws, ignore_errors=True)
    ws.mkdir(parents=True)
    write_files(ws, family["files"])
    ref_steps = sum(len(n["steps"]) for n in order)
    oracle = NoisyOracle(family, order, ws, p, seed, truth=lambda: evaluate(family, order, ws)["completed"],
                         errors=parse_error_model(errors))
    model: Any = oracle
    if model_spec:
        model = _open_model(model_spec)
    t0 = time.perf_counter()
    row: dict[str, Any] = {"family": family["name"], "seed": seed, "p": None if model_spec else p, "mode": mode,
                           "ref_steps": ref_steps}
    if mode in ("agent", "no_node_checks", "no_recovery") + tuple(VARIANTS):
        extra = _deep_merge(settings_extra or {}, NO_RECOVERY if mode == "no_recovery" else VARIANTS.get(mode, {}))
        settings = bench_settings(ref_steps, extra)
        goal = family.get("goal", {})
        criteria = GoalCriteria(commands=goal.get("commands", []), files=[CheckSpec(**f) for f in goal.get("files", [])],
                                criterion=goal.get("criterion"))
        assembly = TaskAssembly(confirm=lambda request, timeout: "no")  # no index: the oracle does not search
        prepared = assembly.prepared_with(TaskRequest(workspace=ws, goal=family["instruction"], criteria=criteria),
                                          settings)
        agent_model = PlansWithoutChecks(model) if mode == "no_node_checks" else model
        task = assembly.build(prepared, lambda e: None, model=agent_model)
        task.step_timings = []
        result = task.run()
        timings = task.step_timings
        row.update(steps=result.steps, outcome=result.outcome, reason=result.reason[:300], stats=result.stats,
                   rejections=result.stats.get("node_rejections", 0) + result.stats.get("goal_rejections", 0),
                   checkpoint_ms=[t["total_ms"] - t["tool_ms"] for t in timings])
    else:
        gate = goal_gate(family, ws, model, bench_settings(ref_steps).agent.check_timeout_s) \
            if mode == "flat_gated" else None
        out = run_baseline(family["instruction"], ws, model, max_steps=bench_settings(ref_steps).agent.max_task_steps,
                           sandbox=Sandbox(ws, SandboxSettings()), gate=gate)
        row.update(steps=out["steps"], outcome=out["stopped"], rejections=out["rejections"], checkpoint_ms=[])
    row["seconds"] = round(time.perf_counter() - t0, 3)
    verdict = evaluate(family, order, ws)
    row["completed"] = verdict["completed"]
    injected: list[dict[str, Any]] = oracle.errors if model is oracle else []
    row["errors"] = len(injected)
    last_call = getattr(model, "calls", 0)

    def recovered(e: dict[str, Any]) -> bool:
        if verdict["completed"]:
            return True
        if e["kind"] == "premature_done" and e["call"] == last_call:
            return False  # the run ended on it: nothing recovered, whatever the files say
        return verdict["node_ok"].get(e["node"], False)

    row["recovered"] = sum(1 for e in injected if recovered(e))
    row["error_kinds"] = {k: sum(1 for e in injected if e["kind"] == k) for k in sorted({e["kind"] for e in injected})}
    if model is oracle:
        row["misconceptions"] = len(oracle.misconceptions)
        row["misconceptions_broken"] = len(oracle.broken)
        row["model_calls"] = oracle.calls
        row["tokens"] = oracle.prompt_tokens + oracle.completion_tokens
    else:  # a real model: the agent's own count (the baseline's calls are not counted)
        row["model_calls"] = row.get("stats", {}).get("model_calls", 0)
        row["tokens"] = row.get("stats", {}).get("tokens", 0)
    shutil.rmtree(ws, ignore_errors=True)
    return row


def _open_model(spec: str):
    from mimo_lsp.config import load_settings
    from mimo_lsp.llm.factory import open_model

    # The model comes from the user's config plus the flag; the task settings are the benchmark's own.
    return open_model(load_settings(None, {"model": {"spec": None if spec == "default" else spec}}))[0]


SUMMARY_KEYS = ("tasks", "completion_rate", "avg_steps_before_failure", "recovery_rate", "injected_errors",
                "premature_stop_rejections", "model_calls", "tokens", "checkpoint_ms_per_step", "seconds_per_task")


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    if not rows:
        return {}
    errors = sum(r["errors"] for r in rows)
    cp = [x for r in rows for x in r["checkpoint_ms"]]
    return {
        "tasks": len(rows),
        "completion_rate": round(sum(r["completed"] for r in rows) / len(rows), 4),
        "avg_steps_before_failure": round(statistics.fmean(r["steps"] for r in rows), 1),
        # No injected error, nothing to recover (a real model's errors are not labelled): null.
        "recovery_rate": round(sum(r["recovered"] for r in rows) / errors, 4) if errors else None,
        "injected_errors": errors,
        "premature_stop_rejections": sum(r["rejections"] for r in rows),
        "model_calls": sum(r["model_calls"] for r in rows),
        "tokens": sum(r["tokens"] for r in rows),
        "checkpoint_ms_per_step": round(statistics.median(cp), 3) if cp else None,
        "seconds_per_task": round(statistics.median(r["seconds"] for r in rows), 2),
    }


def baseline_names(names: list[str] | tuple[str, ...] | None) -> list[str]:
    """`all` -> every baseline; else the names given, in the canonical order, each once. ValueError on others."""
    wanted: set[str] = set()
    for name in names or []:
        for part in name.split(","):
            part = part.strip()
            if part == "all":
                wanted.update(BASELINES)
            elif part in MODES:
                wanted.add(part)
            elif part:
                raise ValueError(f"unknown baseline {part!r}: one of {', '.join(MODES)} or all")
    return [b for b in MODES if b in wanted]


def run_benchmark(family_path: Path, seeds: int, p: float, baseline: bool = False, workers: int | None = None,
                  model_spec: str | None = None, progress: Callable[[str], None] | None = None,
                  settings_extra: dict[str, Any] | None = None, baselines: list[str] | None = None,
                  errors: str | None = None) -> dict[str, Any]:
    """The agent and the chosen baselines on the same seeds. `baseline=True` is the old flag: the flat loop."""
    from mimo_lsp.bench.errors import parse_error_model

    error_model = parse_error_model(errors).spec  # ValueError before any work on a bad spec
    family = load_family(family_path)
    chosen = baseline_names(list(baselines or []) + (["flat"] if baseline else []))
    modes = ["agent"] + chosen
    jobs = [(str(family_path), seed, p, mode) for mode in modes for seed in range(seeds)]
    workers = workers or max(1, min(len(jobs), os.cpu_count() or 1))
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="mimo-lh-") as root:
        if workers == 1 or model_spec:
            for job in jobs:
                rows.append(run_task(*job, root, model_spec, settings_extra, error_model))
                if progress:
                    progress(_line(rows[-1]))
        else:
            with ProcessPoolExecutor(workers) as pool:
                n = len(jobs)
                for row in pool.map(run_task, *zip(*jobs), [root] * n, [model_spec] * n, [settings_extra] * n,
                                    [error_model] * n):
                    rows.append(row)
                    if progress:
                        progress(_line(row))
    agent = summarize([r for r in rows if r["mode"] == "agent"])
    out: dict[str, Any] = {"family": family["name"], "p": None if model_spec else p,
                           "model": model_spec or "noisy-oracle", "error_model": None if model_spec else error_model,
                           **agent, "baseline": None, "baselines": {}}
    for name in chosen:
        out["baselines"][name] = summarize([r for r in rows if r["mode"] == name])
    if "flat" in chosen:  # the old key: the flat loop's headline numbers
        flat = out["baselines"]["flat"]
        out["baseline"] = {k: flat[k] for k in ("completion_rate", "avg_steps_before_failure", "recovery_rate",
                                                 "injected_errors", "model_calls", "tokens", "seconds_per_task")}
    out["runs"] = [{k: v for k, v in r.items() if k != "checkpoint_ms"} for r in rows]
    return out


def _line(row: dict[str, Any]) -> str:
    p = row["p"] if row["p"] is not None else "model"
    return (f"{row['family']} {row['mode']:14} p={p} seed={row['seed']:3} steps={row['steps']:4} "
            f"errors={row['errors']:3} completed={row['completed']} ({row['seconds']:.1f}s)")


def _pct(x: float | None, width: int) -> str:
    return f"{x:>{width}.1%}" if x is not None else f"{'n/a':>{width}}"


def table(results: list[dict[str, Any]]) -> str:
    """One line per system (the agent, then each baseline) per result; `vs agent` is the baseline's
    completion minus the agent's on the same seeds."""
    head = (f"{'family':18} {'p':>5} {'errors':22} {'system':14} {'tasks':>5} | {'complete':>8} {'vs agent':>8} "
            f"{'steps':>6} {'recover':>7} {'rejects':>7} {'calls':>7} {'tokens':>10} {'cp ms':>6}")
    lines = [head, "-" * len(head)]
    for r in results:
        systems = [("agent", r)] + list((r.get("baselines") or {}).items())
        for name, s in systems:
            if not s:
                continue
            delta = "" if name == "agent" else f"{(s['completion_rate'] - r['completion_rate']) * 100:+.1f}"
            lines.append(
                f"{r['family'][:18]:18} {r['p'] if r['p'] is not None else 'model':>5} "
                f"{(r.get('error_model') or '-')[:22]:22} {name:14} {s['tasks']:>5} | "
                f"{_pct(s['completion_rate'], 8)} {delta:>8} {s['avg_steps_before_failure']:>6} "
                f"{_pct(s['recovery_rate'], 7)} {s['premature_stop_rejections']:>7} {s['model_calls']:>7} "
                f"{s['tokens']:>10} {s['checkpoint_ms_per_step'] or 0:>6.2f}")
    return "\n".join(lines)


def public(result: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(result))
