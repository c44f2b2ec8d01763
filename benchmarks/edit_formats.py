"""Which edit format does a small model follow best? Measured on benchmarks/max_mode_tasks with hidden checks.

For each format (mimo_lsp.maxmode.other_formats.FORMATS) and task: one greedy candidate and N samples at a
temperature (seeds seed0, seed0+1, ...). Each candidate is parsed, applied to the task's file in a scratch
copy of the task folder, and judged by the task's hidden check (see benchmarks/max_mode_tasks/README.md).

Reported per format: greedy solved; pass@N with the check = the share of tasks where at least one of the N
samples passes (what best-of-N with a verifier would get); the mean share of passing samples; completion
tokens and seconds per candidate (generation only, prompt evaluation included); what went wrong
(unparsable reply, reply that cannot be applied, unchanged file, check failed).

    PYTHONPATH=. .venv/bin/python benchmarks/edit_formats.py --json benchmarks/results/edit_formats.json
    ... --limit 5 --n 2 --formats function_example,line      # a quick run

The model runs with ONE thread (n_threads=1), n_ctx 2048, repeat_penalty 1.0 (copying code is repetition).

Measured 2026-12-04, shipped SmolLM2-135M-Instruct Q4_1, 40 tasks, greedy + 5 samples at T=0.8 (seeds
1000-1004), on a shared 2-core machine (seconds are indicative; compare within one run):

| format | greedy | pass@5 with the check | greedy or a sample | samples passing | tokens / cand. | s / cand. |
|---|---|---|---|---|---|---|
| function + 2 worked examples | 11/40 | 17/40 | 20/40 | 24% | 53 | 1.29 |
| function, no example | 15/40 | 20/40 | 23/40 | 18% | 58 | 1.32 |
| SEARCH/REPLACE (2 examples) | 1/40 | 2/40 | 2/40 | 1% | 139 | 2.80 |
| N: line, numbered from 1 (2 examples) | 10/40 | 15/40 | 17/40 | 14% | 60 | 1.08 |

Both function prompts mixed at the same budget (both greedy + 2 samples of each = 6 candidates): 24/40.
With repeat_penalty 1.15 (ModelSettings' default) the function formats collapse: greedy 2/40 and 6/40,
pass@5 5/40 and 3/40, mostly replies that no longer parse.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from mimo_lsp.maxmode.edit_format import EditFormatError, Target, find_target  # noqa: E402
from mimo_lsp.maxmode.other_formats import FORMATS  # noqa: E402

DEFAULT_TASKS = REPO / "benchmarks" / "max_mode_tasks"


# ------------------------------------------------------------------------------------------------ tasks


@dataclass
class Task:
    name: str
    folder: Path
    instruction: str
    check: str
    file: str
    kind: str
    text: str
    timeout: float
    target: Target | None = None
    target_error: str | None = None


def load_tasks(root: Path) -> list[Task]:
    tasks = []
    for meta_path in sorted(root.glob("*/task.json")):
        folder = meta_path.parent
        meta = json.loads(meta_path.read_text())
        file = meta.get("file") or _only_source(folder)
        text = (folder / file).read_text()
        task = Task(name=folder.name, folder=folder, instruction=meta["instruction"], check=meta["check"], file=file,
                    kind=meta.get("kind", ""), text=text, timeout=float(meta.get("timeout", 60)))
        try:
            task.target = find_target(task.instruction, file, text)
        except EditFormatError as exc:
            task.target_error = str(exc)
        tasks.append(task)
    return tasks


def _only_source(folder: Path) -> str:
    files = [p.name for p in folder.iterdir() if p.is_file() and p.name != "task.json" and not p.name.startswith("test")]
    if len(files) != 1:
        raise SystemExit(f"{folder}: task.json has no `file` and there is not exactly one source file: {files}")
    return files[0]


class Checker:
    """Runs a task's hidden check on a candidate file text in a scratch copy; results cached by content."""

    def __init__(self) -> None:
        self.cache: dict[tuple[str, str], tuple[bool, str]] = {}
        self.runs = 0
        self.seconds = 0.0

    def __call__(self, task: Task, new_text: str) -> tuple[bool, str]:
        key = (task.name, hashlib.sha256(new_text.encode()).hexdigest())
        if key not in self.cache:
            self.cache[key] = self._run(task, new_text)
        return self.cache[key]

    def _run(self, task: Task, new_text: str) -> tuple[bool, str]:
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="mm-check-") as tmp:
            ws = Path(tmp) / task.name
            shutil.copytree(task.folder, ws, ignore=shutil.ignore_patterns("hidden", "task.json"))
            (ws / task.file).write_text(new_text)
            # the hidden files go in only now, after the candidate is final (never the reference solution/)
            for f in (task.folder / "hidden").iterdir():
                if f.is_file():
                    shutil.copy(f, ws / f.name)
            cmd = task.check
            if cmd.startswith("python "):
                cmd = f'"{sys.executable}" ' + cmd[len("python "):]
            env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTHONDONTWRITEBYTECODE="1")
            try:
                p = subprocess.run(cmd, shell=True, cwd=ws, env=env, capture_output=True, text=True, timeout=task.timeout)
                ok, out = p.returncode == 0, (p.stdout + p.stderr)[-600:]
            except subprocess.TimeoutExpired:
                ok, out = False, f"check timed out after {task.timeout:.0f} s"
        self.runs += 1
        self.seconds += time.perf_counter() - t0
        return ok, out


# ------------------------------------------------------------------------------------------------ model


class Generator:
    def __init__(self, model_path: Path, n_ctx: int, max_tokens: int, repeat_penalty: float) -> None:
        import llama_cpp

        self.llm = llama_cpp.Llama(model_path=str(model_path), n_ctx=n_ctx, n_threads=1, n_threads_batch=1,
                                   n_gpu_layers=0, seed=0, verbose=False)
        self.max_tokens = max_tokens
        self.repeat_penalty = repeat_penalty

    def __call__(self, messages: list[dict[str, str]], temperature: float, seed: int, done) -> tuple[str, int, float, str]:
        """(reply, completion tokens, seconds, finish). Streams and stops as soon as `done(reply)`."""
        t0 = time.perf_counter()
        parts: list[str] = []
        finish = "length"
        stream = self.llm.create_chat_completion(messages=messages, max_tokens=self.max_tokens, temperature=temperature,
                                                 seed=seed, repeat_penalty=self.repeat_penalty, stream=True)
        for chunk in stream:
            choice = chunk["choices"][0]
            piece = choice.get("delta", {}).get("content") or ""
            if piece:
                parts.append(piece)
                if done("".join(parts)):
                    finish = "complete"
                    break
            if choice.get("finish_reason"):
                finish = choice["finish_reason"]
        stream.close()
        text = "".join(parts)
        seconds = time.perf_counter() - t0
        tokens = len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)) if text else 0
        return text, tokens, seconds, finish


# ------------------------------------------------------------------------------------------------ run


@dataclass
class Candidate:
    format: str
    task: str
    mode: str  # "greedy" | "sample"
    seed: int
    tokens: int
    seconds: float
    finish: str
    outcome: str  # pass | check_failed | unchanged | reply_error | apply_error | no_target
    detail: str = ""
    reply: str = ""


@dataclass
class FormatSummary:
    format: str
    description: str
    tasks: int
    greedy_solved: int
    passk_solved: int  # tasks with >= 1 of the N samples passing
    sample_pass_rate: float  # passing samples / all samples
    any_solved: int  # greedy or a sample
    tokens_per_candidate: float
    seconds_per_candidate: float
    outcomes: dict[str, int] = field(default_factory=dict)
    solved_by_kind: dict[str, str] = field(default_factory=dict)


def judge(fmt_name: str, task: Task, reply: str, checker: Checker) -> tuple[str, str]:
    fmt = FORMATS[fmt_name]
    try:
        result = fmt.apply(task.file, task.text, reply, task.target)
    except EditFormatError as exc:
        kind = "reply_error" if type(exc).__name__ == "ReplyError" else "apply_error"
        return kind, str(exc)
    if result.text == task.text:
        return "unchanged", "the reply repeats the starting code"  # every task fails on its starting files
    ok, out = checker(task, result.text)
    return ("pass", "") if ok else ("check_failed", out.strip().splitlines()[-1] if out.strip() else "")


def summarize(fmt_name: str, tasks: list[Task], cands: list[Candidate]) -> FormatSummary:
    mine = [c for c in cands if c.format == fmt_name]
    greedy = {c.task for c in mine if c.mode == "greedy" and c.outcome == "pass"}
    sampled = {c.task for c in mine if c.mode == "sample" and c.outcome == "pass"}
    samples = [c for c in mine if c.mode == "sample"]
    outcomes: dict[str, int] = {}
    for c in mine:
        outcomes[c.outcome] = outcomes.get(c.outcome, 0) + 1
    by_kind = {}
    for kind in sorted({t.kind for t in tasks}):
        names = {t.name for t in tasks if t.kind == kind}
        by_kind[kind] = f"greedy {len(greedy & names)}/{len(names)}, pass@N {len(sampled & names)}/{len(names)}"
    n = max(len(mine), 1)
    return FormatSummary(
        format=fmt_name, description=FORMATS[fmt_name].description, tasks=len(tasks),
        greedy_solved=len(greedy), passk_solved=len(sampled),
        sample_pass_rate=round(sum(c.outcome == "pass" for c in samples) / max(len(samples), 1), 3),
        any_solved=len(greedy | sampled),
        tokens_per_candidate=round(sum(c.tokens for c in mine) / n, 1),
        seconds_per_candidate=round(sum(c.seconds for c in mine) / n, 3),
        outcomes=outcomes, solved_by_kind=by_kind)


def table(summaries: list[FormatSummary], n: int) -> str:
    rows = [(f"| format | greedy solved | pass@{n} (>=1 of {n} samples passes the check) | greedy or a sample | "
             "samples passing | tokens / candidate | s / candidate | outcomes (all candidates) |"),
            "|---|---|---|---|---|---|---|---|"]
    for s in summaries:
        out = ", ".join(f"{k} {v}" for k, v in sorted(s.outcomes.items(), key=lambda kv: -kv[1]))
        rows.append(f"| {s.format} | {s.greedy_solved}/{s.tasks} | {s.passk_solved}/{s.tasks} "
                    f"({100 * s.passk_solved / max(s.tasks, 1):.0f}%) | {s.any_solved}/{s.tasks} | "
                    f"{100 * s.sample_pass_rate:.0f}% | "
                    f"{s.tokens_per_candidate:.0f} | {s.seconds_per_candidate:.2f} | {out} |")
    return "\n".join(rows)


def mixed(cands: list[Candidate], fa: str, fb: str, tasks: list[Task], n: int) -> int:
    """Tasks solved by n+1 candidates drawn from two prompts: both greedy ones, then samples alternating
    a, b, a, ... (the same candidate budget as one format's greedy + n samples)."""
    solved = 0
    for t in tasks:
        def pick(f: str, mode: str, task: str = t.name) -> list[Candidate]:
            return [c for c in cands if c.format == f and c.task == task and c.mode == mode]
        pool = pick(fa, "greedy") + pick(fb, "greedy")
        sa, sb = pick(fa, "sample"), pick(fb, "sample")
        alternating = [c for pair in zip(sa, sb) for c in pair]
        pool += alternating[: max(0, n + 1 - len(pool))]
        solved += any(c.outcome == "pass" for c in pool)
    return solved


def report(path: Path) -> int:
    """Print the table (and the two-prompt mixes) of a JSON written by --json."""
    doc = json.loads(path.read_text())
    n = doc["config"]["n"]
    summaries = [FormatSummary(**s) for s in doc["summary"]]
    print(table(summaries, n))
    cands = [Candidate(**c) for c in doc["candidates"]]
    names = [s.format for s in summaries]
    tasks = [Task(name=k, folder=Path("."), instruction="", check="", file="", kind=v["kind"], text="", timeout=0)
             for k, v in doc["per_task"].items()]
    if len(names) > 1:
        print(f"\nTwo prompts, same budget ({n + 1} candidates: both greedy, then samples alternating):")
        for i, fa in enumerate(names):
            for fb in names[i + 1:]:
                print(f"  {fa} + {fb}: {mixed(cands, fa, fb, tasks, n)}/{len(tasks)}")
    for s in summaries:
        print(f"  {s.format}: {s.solved_by_kind}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", type=Path, default=DEFAULT_TASKS)
    ap.add_argument("--formats", default=",".join(FORMATS), help=f"comma-separated, of: {', '.join(FORMATS)}")
    ap.add_argument("--n", type=int, default=5, help="samples per task and format (besides the greedy one)")
    ap.add_argument("--temperature", type=float, default=0.8)
    ap.add_argument("--seed0", type=int, default=1000)
    ap.add_argument("--limit", type=int, default=0, help="only the first K tasks")
    ap.add_argument("--model", default=None, help="GGUF path or manifest name (default: the shipped model)")
    ap.add_argument("--n-ctx", type=int, default=2048)
    ap.add_argument("--max-tokens", type=int, default=320)
    ap.add_argument("--repeat-penalty", type=float, default=1.0)
    ap.add_argument("--json", type=Path, default=None, help="write summaries and every candidate here")
    ap.add_argument("--report", type=Path, default=None, help="only print the tables of a JSON written by --json")
    args = ap.parse_args(argv)
    if args.report:
        return report(args.report)

    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        ap.error(f"unknown formats {unknown}; known: {', '.join(FORMATS)}")
    tasks = load_tasks(args.tasks)
    if args.limit:
        tasks = tasks[: args.limit]
    if not tasks:
        ap.error(f"no tasks under {args.tasks}")

    from mimo_lsp.llm.models import resolve_model

    resolved = resolve_model(args.model)
    t_load = time.perf_counter()
    gen = Generator(resolved.path, args.n_ctx, args.max_tokens, args.repeat_penalty)
    load_s = time.perf_counter() - t_load
    checker = Checker()
    config: dict[str, Any] = dict(model=resolved.name, model_path=str(resolved.path), n_threads=1, n_ctx=args.n_ctx,
                                  max_tokens=args.max_tokens, repeat_penalty=args.repeat_penalty, n=args.n,
                                  temperature=args.temperature, seed0=args.seed0, tasks=len(tasks),
                                  task_dir=str(args.tasks), formats=formats, load_s=round(load_s, 2),
                                  python=platform.python_version(), machine=platform.machine())
    print(f"{resolved.name}: {len(tasks)} tasks x {len(formats)} formats x (1 greedy + {args.n} samples at "
          f"T={args.temperature}), one thread", file=sys.stderr)

    cands: list[Candidate] = []
    summaries: list[FormatSummary] = []
    t_all = time.perf_counter()
    for fmt_name in formats:
        fmt = FORMATS[fmt_name]
        for task in tasks:
            if task.target is None:
                for i in range(args.n + 1):
                    cands.append(Candidate(fmt_name, task.name, "greedy" if i == 0 else "sample", 0, 0, 0.0, "",
                                           "no_target", task.target_error or ""))
                continue
            messages = fmt.build(task.instruction, task.file, task.text, task.target)
            runs = [("greedy", 0.0, args.seed0)] + [("sample", args.temperature, args.seed0 + i) for i in range(args.n)]
            marks = []
            for mode, temp, seed in runs:
                reply, tokens, secs, finish = gen(messages, temp, seed, fmt.done)
                outcome, detail = judge(fmt_name, task, reply, checker)
                cands.append(Candidate(fmt_name, task.name, mode, seed, tokens, round(secs, 3), finish, outcome,
                                       detail[:300], reply[:800]))
                marks.append("P" if outcome == "pass" else outcome[0])
            print(f"  {fmt_name:17} {task.name:24} {' '.join(marks)}", file=sys.stderr, flush=True)
        summaries.append(summarize(fmt_name, tasks, cands))
        print(table(summaries[-1:], args.n), file=sys.stderr, flush=True)
        if args.json:
            _write(args.json, config, summaries, tasks, cands, checker, time.perf_counter() - t_all, partial=True)

    total = time.perf_counter() - t_all
    print(table(summaries, args.n))
    print(f"\n{len(cands)} candidates in {total:.0f} s; {checker.runs} check runs ({checker.seconds:.0f} s), "
          f"{sum(c.tokens for c in cands)} completion tokens")
    if args.json:
        _write(args.json, config, summaries, tasks, cands, checker, total, partial=False)
        print(f"wrote {args.json}")
    return 0


def _write(path: Path, config: dict, summaries: list[FormatSummary], tasks: list[Task], cands: list[Candidate],
           checker: Checker, seconds: float, partial: bool) -> None:
    per_task: dict[str, dict[str, Any]] = {}
    for t in tasks:
        per_task[t.name] = {"kind": t.kind, "target": t.target.name if t.target else None,
                            "target_reason": t.target.reason if t.target else t.target_error, "formats": {}}
    for c in cands:
        entry = per_task[c.task]["formats"].setdefault(c.format, {"greedy": None, "samples": []})
        if c.mode == "greedy":
            entry["greedy"] = c.outcome
        else:
            entry["samples"].append(c.outcome)
    doc = {"config": config, "partial": partial, "seconds": round(seconds, 1), "check_runs": checker.runs,
           "check_seconds": round(checker.seconds, 1), "summary": [asdict(s) for s in summaries],
           "per_task": per_task, "candidates": [asdict(c) for c in cands]}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=1))
    tmp.replace(path)


if __name__ == "__main__":
    raise SystemExit(main())
