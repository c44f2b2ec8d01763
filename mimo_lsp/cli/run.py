"""`mimo run` and `mimo resume`: a task in the foreground, printed as it runs."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from mimo_lsp.agent.events import (CandidateEvent, CheckpointEvent, DoneEvent, NodeEvent, PickEvent, PlanEvent,
                                   SequencedSink, StepEvent, TaskEvent)
from mimo_lsp.cli.common import USER_ERRORS, fail


class ConsoleReporter:
    """Prints the task as it runs (stderr when --json keeps stdout for the result)."""

    def __init__(self, quiet: bool, to_stderr: bool) -> None:
        from rich.console import Console

        self.console = Console(stderr=to_stderr, highlight=False)
        self.quiet = quiet

    def __call__(self, e: TaskEvent) -> None:
        if self.quiet:
            return
        c = self.console
        if isinstance(e, PlanEvent):
            c.rule("[bold]plan")
            for n in e.nodes:
                deps = f" (after {', '.join(n['depends_on'])})" if n["depends_on"] else ""
                c.print(f"  [cyan]{n['id']}[/] {n['title']}{deps}\n      expect: {n['expected_output']}")
        elif isinstance(e, NodeEvent):
            style = {"running": "yellow", "done": "green", "failed": "red", "skipped": "magenta"}[e.status]
            c.print(f"[{style}]node {e.node_id}: {e.status}[/] {e.detail[:200]}")
        elif isinstance(e, StepEvent):
            mark = "[green]ok[/]" if e.ok else "[red]failed[/]"
            c.print(f"  step {e.step} [bold]{e.tool}[/] {json.dumps(e.args)[:160]} -> {mark}")
            if e.thought:
                c.print(f"    [dim]thought: {e.thought[:200]}[/]")
            lines = e.observation.splitlines() or [""]
            shown = "\n".join("    " + line[:150] for line in lines[:6])
            more = f"\n    ... {len(lines) - 6} more lines" if len(lines) > 6 else ""
            c.print(shown + more, style="dim", markup=False)
        elif isinstance(e, CheckpointEvent):
            if e.files:
                c.print(f"  [blue]checkpoint {e.checkpoint_id}[/]: {', '.join(e.files)}")
        elif isinstance(e, CandidateEvent):
            if e.status == "done":
                mark = "[green]checks pass[/]" if e.checks_passed else f"[red]{e.outcome}[/]"
                c.print(f"  candidate {e.candidate_id}: {mark} ({e.tokens} tokens) {e.detail[:120]}")
        elif isinstance(e, PickEvent):
            c.print(candidate_table(e))
            c.print(f"[bold]picked candidate {e.candidate_id}[/] (convergence {e.convergence:.2f}"
                    f"{', judged' if e.judged else ''}): {e.reason}")
        elif isinstance(e, DoneEvent):
            c.rule("[bold]diff")
            c.print(e.diff or "(no changes)", markup=False)
            if e.check:
                c.print(f"check `{e.check['command']}` exit {e.check['exit_code']}\n{e.check['output'][-1500:]}",
                        markup=False)
            color = {"verified": "green", "unverified": "yellow"}.get(e.outcome, "red")
            c.rule(f"[bold {color}]{e.outcome}")
            c.print(e.reason, markup=False)


def candidate_table(e: PickEvent):
    """Every candidate side by side when the pick is made: round, temperature, outcome, checks, cost."""
    from rich.table import Table

    table = Table(title="Max Mode candidates", title_justify="left")
    for col in ("#", "round", "temp", "outcome", "checks", "tokens", "s", ""):
        table.add_column(col, justify="right" if col in ("#", "round", "temp", "tokens", "s") else "left")
    for cand in e.candidates:
        checks = "pass" if cand.get("checks_passed") else ("fail" if cand.get("checks") else "-")
        table.add_row(str(cand["id"]), str(cand.get("round", "")), f"{cand.get('temperature', 0):.2f}",
                      str(cand.get("outcome", "")), checks, str(cand.get("tokens", 0)),
                      f"{cand.get('seconds', 0):.1f}", "picked" if cand["id"] == e.candidate_id else "")
    return table


def make_confirm(args: argparse.Namespace, console):
    """--yes answers every `ask` with yes; a terminal gets a prompt; otherwise `ask` means no."""
    if getattr(args, "yes", False):
        return lambda request, timeout: "yes"
    if not sys.stdin.isatty():
        return None

    def ask(request: dict, timeout: float) -> str | None:
        console.print(f"[yellow]mimo wants to run {request['tool']}:[/] {request['subject']}\n  ({request['reason']})",
                      highlight=False)
        answer = input("  allow? [y]es / [n]o / [a]lways / ne[v]er: ").strip().lower()
        return {"y": "yes", "yes": "yes", "a": "always", "always": "always", "v": "never", "never": "never"}.get(
            answer, "no")

    return ask


def criteria_from_args(args: argparse.Namespace):
    from mimo_lsp.agent.goal import GoalCriteria
    from mimo_lsp.agent.plan import CheckSpec

    files = []
    for req in args.require:
        path, _, text = req.partition(":")
        files.append(CheckSpec(path=path, contains=text) if text else CheckSpec(path=path, exists=True))
    return GoalCriteria(commands=list(args.check), files=files, criterion=args.criterion)


def _run(args: argparse.Namespace, request, overrides: dict | None = None) -> int:
    from mimo_lsp.app.setup import TaskAssembly
    from mimo_lsp.index.service import IndexService

    reporter = ConsoleReporter(quiet=args.quiet, to_stderr=args.json)
    index = IndexService()
    try:
        assembly = TaskAssembly(overrides, index=index, confirm=make_confirm(args, reporter.console),
                                on_untrusted=lambda report: print(report.message(), file=sys.stderr))
        prepared = assembly.prepare(request)
        sink = SequencedSink(request.task_id or "pending", reporter)
        task = assembly.build(prepared, sink)
        sink.task_id = task.task_id
        if not args.quiet and not prepared.resume:
            reporter.console.print(f"task {task.task_id} on {prepared.model_name} in {prepared.workspace}")
        signal.signal(signal.SIGINT, lambda *_: task.cancel())
        result = task.run()
    except USER_ERRORS as exc:
        return fail(exc)
    finally:
        index.close()
    if args.json and prepared.resume:
        print(result.model_dump_json(indent=2))
    elif args.json:
        keys = {"task_id", "outcome", "reason", "plan", "steps", "checkpoints", "diff", "check", "stats"}
        out = result.model_dump(include=keys)
        if result.max is not None:  # Max Mode: the verification interface's keys
            out.update(candidates=result.max["candidates"], picked=result.max["picked"],
                       convergence=result.max["convergence"], judged=result.max["judged"])
        print(json.dumps(out, indent=2))
    elif result.rolled_back:
        reporter.console.print(f"rolled back the interrupted step's changes to: {', '.join(result.rolled_back)}")
    return 0 if result.outcome in ("verified", "unverified") else 1


def cmd_run(args: argparse.Namespace) -> int:
    from mimo_lsp.app.setup import TaskRequest

    overrides: dict = {}
    if args.max is not None:
        overrides["max"] = {"n": args.max, **({"selection": args.max_select} if args.max_select else {})}
    return _run(args, TaskRequest(workspace=Path(args.workspace), goal=args.goal, criteria=criteria_from_args(args),
                                  model=args.model), overrides)


def cmd_resume(args: argparse.Namespace) -> int:
    from mimo_lsp.app.setup import TaskRequest

    return _run(args, TaskRequest(workspace=Path(args.workspace), task_id=args.task, model=args.model))


def register(sub: argparse._SubParsersAction, command) -> None:
    run = sub.add_parser("run", help="run a task on a workspace")
    run.add_argument("goal")
    run.add_argument("--workspace", "-w", default=".")
    run.add_argument("--check", action="append", default=[],
                     help="completion command that must exit 0 (e.g. 'pytest -q'); repeatable")
    run.add_argument("--require", action="append", default=[], metavar="PATH[:TEXT]",
                     help="completion file predicate: PATH must exist (and contain TEXT); repeatable")
    run.add_argument("--criterion", help="natural-language completion criterion, judged by the judge model")
    run.add_argument("--model", help="GGUF path, manifest name, or scripted:FILE.json")
    run.add_argument("--max", type=int, metavar="N", help="Max Mode: N candidates in scratch trees, checked, one picked")
    run.add_argument("--max-select", choices=["first_pass", "judge_all"],
                     help="stop at the first candidate that passes every check (default), or make all N and judge")
    run.add_argument("--json", action="store_true", help="print one JSON object at the end")
    run.add_argument("--quiet", "-q", action="store_true")
    run.add_argument("--yes", "-y", action="store_true", help="answer yes when the policy asks (deny stays deny)")
    run.set_defaults(func=cmd_run)
    res = command("resume", "continue an interrupted or restored task from its last checkpoint", cmd_resume, task=True)
    res.add_argument("--model", help="override the model the task started with")
    res.add_argument("--quiet", "-q", action="store_true")
    res.add_argument("--yes", "-y", action="store_true", help="answer yes when the policy asks (deny stays deny)")
