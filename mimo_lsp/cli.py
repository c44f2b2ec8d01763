"""`mimo`: the same agent core, headless. run | index | search."""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import sys
from pathlib import Path
from typing import Any

from mimo_lsp.agent.events import CheckpointEvent, DoneEvent, NodeEvent, PlanEvent, SequencedSink, StepEvent, TaskEvent
from mimo_lsp.config import ConfigError, load_settings
from mimo_lsp.llm.port import ModelError


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
        elif isinstance(e, DoneEvent):
            c.rule("[bold]diff")
            c.print(e.diff or "(no changes)", markup=False)
            if e.check:
                c.print(f"check `{e.check['command']}` exit {e.check['exit_code']}\n{e.check['output'][-1500:]}",
                        markup=False)
            color = {"verified": "green", "unverified": "yellow"}.get(e.outcome, "red")
            c.rule(f"[bold {color}]{e.outcome}")
            c.print(e.reason, markup=False)


def make_confirm(args: argparse.Namespace, console):
    """--yes answers every `ask` with yes; a terminal gets a prompt; otherwise `ask` means no."""
    if getattr(args, "yes", False):
        return lambda request: "yes"
    if not sys.stdin.isatty():
        return None

    def ask(request: dict) -> str | None:
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


def cmd_run(args: argparse.Namespace) -> int:
    from mimo_lsp.agent.task import AgentTask
    from mimo_lsp.index.context import context_for
    from mimo_lsp.index.service import IndexService
    from mimo_lsp.llm.factory import open_model, open_role_models

    workspace = Path(args.workspace).expanduser()
    if not workspace.is_dir():
        return _fail(f"workspace is not a directory: {workspace}")
    overrides: dict[str, Any] = {"model": {"spec": args.model}} if args.model else {}
    try:
        layered = load_settings(workspace, overrides)
        model, resolved = open_model(layered)
    except (ModelError, ConfigError) as exc:
        return _fail(str(exc))
    reporter = ConsoleReporter(quiet=args.quiet, to_stderr=args.json)
    sink = SequencedSink("pending", reporter)
    index = IndexService()
    try:
        roles = open_role_models(layered)
        searcher = index.searcher(workspace)
        task = AgentTask(args.goal, workspace, model, layered.settings, sink, criteria=criteria_from_args(args),
                         search=searcher, confirm=make_confirm(args, reporter.console), roles=roles,
                         context=context_for(searcher))
    except (ValueError, OSError, ModelError) as exc:
        return _fail(str(exc))
    sink.task_id = task.task_id
    if not args.quiet:
        reporter.console.print(f"task {task.task_id} on {resolved.name} in {workspace}")
    signal.signal(signal.SIGINT, lambda *_: task.cancel())
    result = task.run()
    if args.json:
        print(json.dumps(result.model_dump(include={"task_id", "outcome", "reason", "plan", "steps", "checkpoints",
                                                    "diff", "check", "stats"}), indent=2))
    return 0 if result.outcome in ("verified", "unverified") else 1


def cmd_resume(args: argparse.Namespace) -> int:
    from mimo_lsp.agent.task import AgentTask, TaskBusy, resume_settings
    from mimo_lsp.index.context import context_for
    from mimo_lsp.index.service import IndexService
    from mimo_lsp.llm.factory import open_model, open_role_models

    workspace = Path(args.workspace).expanduser()
    try:
        layered, _row = resume_settings(workspace, args.task, args.model)
        model, resolved = open_model(layered)
        roles = open_role_models(layered)
    except (KeyError, ModelError, ConfigError) as exc:
        return _fail(str(exc.args[0]) if isinstance(exc, KeyError) else str(exc))
    reporter = ConsoleReporter(quiet=args.quiet, to_stderr=args.json)
    sink = SequencedSink(args.task, reporter)
    searcher = IndexService().searcher(workspace)
    task = AgentTask("", workspace, model, layered.settings, sink, task_id=args.task, resume=True,
                     search=searcher, confirm=make_confirm(args, reporter.console), roles=roles,
                     context=context_for(searcher))
    signal.signal(signal.SIGINT, lambda *_: task.cancel())
    try:
        result = task.run()
    except TaskBusy as exc:
        return _fail(str(exc))
    if args.json:
        print(result.model_dump_json(indent=2))
    elif result.rolled_back:
        reporter.console.print(f"rolled back the interrupted step's changes to: {', '.join(result.rolled_back)}")
    return 0 if result.outcome in ("verified", "unverified") else 1


def _service(args: argparse.Namespace):
    from mimo_lsp.checkpoints.service import CheckpointService

    return CheckpointService(Path(args.workspace).expanduser())


def cmd_tasks(args: argparse.Namespace) -> int:
    rows = _service(args).tasks()
    if args.json:
        print(json.dumps([{k: r[k] for k in ("id", "goal", "status", "outcome", "reason")} for r in rows], indent=2))
    for r in [] if args.json else rows:
        print(f"{r['id']}  {r['status']:<11} {r['outcome'] or '':<10} {r['goal'][:60]}")
    return 0


def cmd_checkpoints(args: argparse.Namespace) -> int:
    try:
        cps = _service(args).list(args.task)
    except KeyError as exc:
        return _fail(str(exc.args[0]))
    if args.json:
        print(json.dumps([c.model_dump() for c in cps], indent=2))
        return 0
    for c in cps:
        flag = " (abandoned)" if c.abandoned else ""
        print(f"{c.id:>6}  step {c.step:<4} {c.tool:<20} {c.state:<11} {', '.join(c.files)[:60]}{flag}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from mimo_lsp.checkpoints.service import TaskRunning

    try:
        report = _service(args).restore(args.task, args.checkpoint, args.mode)
    except (KeyError, TaskRunning) as exc:
        return _fail(str(exc.args[0]) if isinstance(exc, KeyError) else str(exc))
    print(report.model_dump_json(indent=2) if args.json else
          f"restored {len(report.restored)} file(s); conflicts: {[c.path for c in report.conflicts] or 'none'}")
    return 3 if report.conflicts else 0


def cmd_gc(args: argparse.Namespace) -> int:
    from mimo_lsp.checkpoints.service import TaskRunning

    try:
        report = _service(args).gc(args.keep_days)
    except TaskRunning as exc:
        return _fail(str(exc))
    print(report.model_dump_json(indent=2) if args.json else
          f"deleted {len(report.deleted_tasks)} task(s), {report.deleted_blobs} blob(s), freed {report.freed_bytes} bytes;"
          f" now {report.stats.total_bytes} bytes (cap {report.stats.cap_bytes})")
    return 0


def _audit(args: argparse.Namespace):
    """(records, verification) of a task's audit trail, checked against the journal's anchor."""
    from mimo_lsp.checkpoints.journal import CheckpointJournal
    from mimo_lsp.safety.audit import audit_path, read_records, verify
    from mimo_lsp.workspace import existing_state_dir

    data_dir = existing_state_dir(Path(args.workspace).expanduser().resolve())
    if data_dir is None:
        raise KeyError(f"no tasks recorded in {args.workspace}")
    journal = CheckpointJournal(data_dir / "journal.sqlite")
    try:
        row = journal.task(args.task)
    finally:
        journal.close()
    if row is None:
        raise KeyError(f"unknown task id: {args.task}")
    path = audit_path(data_dir, args.task)
    return read_records(path)[0], verify(path, row.get("audit_head"), row.get("audit_count")), path


def cmd_audit(args: argparse.Namespace) -> int:
    try:
        records, result, path = _audit(args)
    except KeyError as exc:
        return _fail(str(exc.args[0]))
    if args.action == "verify":
        if args.json:
            print(result.model_dump_json(indent=2))
        else:
            print(f"{path}: {result.records} records, " + ("chain intact" if result.ok else f"BROKEN: {result.problem}"))
        return 0 if result.ok else 1
    if args.action == "export":
        out = Path(args.out or f"{args.task}.audit.json")
        out.write_text(json.dumps({"task_id": args.task, "verification": result.model_dump(), "records": records},
                                  indent=2))
        print(f"wrote {out} ({len(records)} records, {'intact' if result.ok else 'BROKEN: ' + str(result.problem)})")
        return 0 if result.ok else 1
    if args.json:
        print(json.dumps(records, indent=2))
        return 0 if result.ok else 1
    for r in records:
        d = r["data"]
        detail = d.get("args") or d.get("subject") or d.get("goal") or d.get("command") or ""
        extra = ""
        if r["layer"] == "authorization":
            extra = f" -> {d['verdict']}{' asked: ' + str(d['answer']) if d['asked'] else ''}, allowed={d['allowed']}"
        elif r["layer"] == "execution":
            extra = f" exit={d.get('exit_code')} sandbox={(d.get('sandbox') or {}).get('kind', '-')}"
        elif r["layer"] == "outcome":
            extra = f" files={[f['path'] for f in d.get('files', [])]}" if "files" in d else f" passed={d.get('passed')}"
        print(f"{r['seq']:>4} {r['layer']:<13} {r['event']:<12} {str(detail)[:70]}{extra}")
    print("chain intact" if result.ok else f"chain BROKEN: {result.problem}")
    return 0 if result.ok else 1


def cmd_sandbox_run(args: argparse.Namespace) -> int:
    """One command under the agent's sandbox and policy. Non-interactive: `ask` is a no unless --yes."""
    from mimo_lsp.safety.policy import Policy, default_rules
    from mimo_lsp.safety.sandbox import Sandbox, SandboxUnavailable
    from mimo_lsp.tools.shell import run_shell

    workspace = Path(args.workspace).expanduser()
    if not workspace.is_dir():
        return _fail(f"workspace is not a directory: {workspace}")
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        return _fail("no command given (mimo sandbox-run -w DIR -- CMD ARGS...)")
    try:
        settings = load_settings(workspace).settings
    except ConfigError as exc:
        return _fail(str(exc))
    line = cmd[0] if len(cmd) == 1 else " ".join(shlex.quote(a) for a in cmd)  # one arg = a shell line
    policy = Policy(default_rules() + settings.safety.rules)
    decision = policy.decide("run_command", line)
    if decision.verdict == "deny" or (decision.verdict == "ask" and not args.yes):
        print(f"refused by policy ({decision.verdict}: {decision.reason}): {decision.subject}", file=sys.stderr)
        return 126
    network = policy.decide_one("network", "*").verdict == "allow" or settings.safety.sandbox.network
    sandbox = Sandbox(workspace, settings.safety.sandbox, network=network)
    try:
        code, out, killed = run_shell(line, workspace.resolve(), settings.agent.command_timeout_s, limit=10_000_000,
                                      sandbox=sandbox)
    except SandboxUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 125
    sys.stdout.write(out)
    if killed:
        print(f"command {killed}", file=sys.stderr)
        return 124
    return code if code is not None else 1


def cmd_index(args: argparse.Namespace) -> int:
    from mimo_lsp.index.service import IndexService

    root = Path(args.path).expanduser()
    if not root.is_dir():
        return _fail(f"not a directory: {root}")
    svc = IndexService()
    try:
        stats = svc.build(root)
    finally:
        svc.close()
    for err in stats.errors:
        print(f"  error: {err}", file=sys.stderr)
    if args.json:
        print(json.dumps({"files": stats.files, "chunks": stats.chunks, "errors": len(stats.errors),
                          "seconds": round(stats.seconds, 3), "embed_seconds": round(stats.embed_seconds, 3)}))
    else:
        print(f"indexed {stats.files} files, {stats.chunks} chunks ({stats.embedded} embedded) in {stats.seconds:.1f}s"
              f" ({stats.embed_seconds:.1f}s embedding), {len(stats.errors)} error(s)")
    return 0 if stats.pending == 0 else 1


def cmd_search(args: argparse.Namespace) -> int:
    from mimo_lsp.index.hybrid import SearchFilters
    from mimo_lsp.index.service import IndexService

    root = Path(args.workspace).expanduser()
    if not root.is_dir():
        return _fail(f"not a directory: {root}")
    if args.queries:
        try:
            queries = [q.strip() for q in Path(args.queries).read_text(encoding="utf-8").splitlines() if q.strip()]
        except OSError as exc:
            return _fail(f"cannot read queries: {exc}")
    elif args.query:
        queries = [args.query]
    else:
        return _fail("give a QUERY or --queries FILE")
    filters = SearchFilters(language=args.language, path=args.path, kind=args.kind)
    svc = IndexService()
    try:
        searcher = svc.searcher(root)
        results = [searcher.search(q, args.k, filters, args.mode, args.fusion) for q in queries]
    except ValueError as exc:
        return _fail(str(exc))
    finally:
        svc.close()
    keys = ("path", "start_line", "end_line", "symbol", "score")
    rows = [[{k: getattr(h, k) for k in keys} for h in hits] for hits in results]
    if args.json:
        print(json.dumps(rows if args.queries else rows[0], indent=2))
    else:
        for q, hits in zip(queries, results):
            if args.queries:
                print(f"# {q}")
            for h in hits:
                print(f"{h.score:.4f}  {h.path}:{h.start_line}-{h.end_line}  {h.symbol or ''}")
    return 0


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="mimo", description="mimo coding agent, headless")
    sub = ap.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run", help="run a task on a workspace")
    run.add_argument("goal")
    run.add_argument("--workspace", "-w", default=".")
    run.add_argument("--check", action="append", default=[],
                     help="completion command that must exit 0 (e.g. 'pytest -q'); repeatable")
    run.add_argument("--require", action="append", default=[], metavar="PATH[:TEXT]",
                     help="completion file predicate: PATH must exist (and contain TEXT); repeatable")
    run.add_argument("--criterion", help="natural-language completion criterion, judged by the judge model")
    run.add_argument("--model", help="GGUF path, manifest name, or scripted:FILE.json")
    run.add_argument("--json", action="store_true", help="print one JSON object at the end")
    run.add_argument("--quiet", "-q", action="store_true")
    run.add_argument("--yes", "-y", action="store_true", help="answer yes when the policy asks (deny stays deny)")
    run.set_defaults(func=cmd_run)
    idx = sub.add_parser("index", help="build or update the workspace index")
    idx.add_argument("path", nargs="?", default=".")
    idx.add_argument("--json", action="store_true")
    idx.set_defaults(func=cmd_index)
    srch = sub.add_parser("search", help="search the workspace index")
    srch.add_argument("query", nargs="?")
    srch.add_argument("--workspace", "-w", default=".")
    srch.add_argument("--k", type=int, default=10)
    srch.add_argument("--json", action="store_true")
    srch.add_argument("--mode", choices=["hybrid", "vector", "lexical"], default="hybrid")
    srch.add_argument("--fusion", choices=["combsum", "rrf"], default="combsum",
                      help="how hybrid fuses BM25, vector and name matches (default combsum)")
    srch.add_argument("--queries", help="file with one query per line: prints one result list per query")
    srch.add_argument("--language", action="append", help="only these languages (repeatable)")
    srch.add_argument("--path", help="only paths matching this glob (* crosses /)")
    srch.add_argument("--kind", action="append", help="only these chunk kinds: function, method, class ...")
    srch.set_defaults(func=cmd_search)
    def command(name: str, help: str, func, *, task: bool = False) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help)
        if task:
            p.add_argument("task")
        p.add_argument("--workspace", "-w", default=".")
        p.add_argument("--json", action="store_true")
        p.set_defaults(func=func)
        return p

    res = command("resume", "continue an interrupted or restored task from its last checkpoint", cmd_resume, task=True)
    res.add_argument("--model", help="override the model the task started with")
    res.add_argument("--quiet", "-q", action="store_true")
    res.add_argument("--yes", "-y", action="store_true", help="answer yes when the policy asks (deny stays deny)")
    command("tasks", "list the workspace's tasks (interrupted ones can be resumed)", cmd_tasks)
    command("checkpoints", "list a task's checkpoints", cmd_checkpoints, task=True)
    rst = command("restore", "restore files and/or task state to a checkpoint (0 = task start)", cmd_restore,
                  task=True)
    rst.add_argument("checkpoint", type=int)
    rst.add_argument("--mode", choices=["files", "task", "both"], default="both")
    audit = command("audit", "show, verify or export a task's hash-chained audit trail", cmd_audit)
    audit.add_argument("action", choices=["show", "verify", "export"])
    audit.add_argument("task")
    audit.add_argument("--out", help="export: the JSON file to write")
    sbx = sub.add_parser("sandbox-run", help="run one command under the agent's sandbox and policy")
    sbx.add_argument("--workspace", "-w", default=".")
    sbx.add_argument("--yes", "-y", action="store_true", help="treat the policy's `ask` as yes")
    sbx.add_argument("cmd", nargs=argparse.REMAINDER)
    sbx.set_defaults(func=cmd_sandbox_run)
    gc = command("gc", "delete old tasks' checkpoint data beyond the workspace cap", cmd_gc)
    gc.add_argument("--keep-days", type=float, help="also delete finished tasks older than this")
    from mimo_lsp import cli_agent

    cli_agent.register(sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
