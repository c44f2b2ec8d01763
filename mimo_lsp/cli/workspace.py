"""`mimo tasks | checkpoints | restore | gc | audit | sandbox-run`: a workspace's journal and safety."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from mimo_lsp.cli.common import USER_ERRORS, fail


def _services():
    from mimo_lsp.app.workspace import WorkspaceServices

    return WorkspaceServices()


def cmd_tasks(args: argparse.Namespace) -> int:
    rows = _services().journaled_tasks(Path(args.workspace))
    if args.json:
        print(json.dumps([{k: r[k] for k in ("id", "goal", "status", "outcome", "reason")} for r in rows], indent=2))
    for r in [] if args.json else rows:
        print(f"{r['id']}  {r['status']:<11} {r['outcome'] or '':<10} {r['goal'][:60]}")
    return 0


def cmd_checkpoints(args: argparse.Namespace) -> int:
    try:
        with _services().checkpoints(Path(args.workspace)) as svc:
            cps = svc.list(args.task)
    except USER_ERRORS as exc:
        return fail(exc)
    if args.json:
        print(json.dumps([c.model_dump() for c in cps], indent=2))
        return 0
    for c in cps:
        flag = " (abandoned)" if c.abandoned else ""
        print(f"{c.id:>6}  step {c.step:<4} {c.tool:<20} {c.state:<11} {', '.join(c.files)[:60]}{flag}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    try:
        with _services().checkpoints(Path(args.workspace)) as svc:
            report = svc.restore(args.task, args.checkpoint, args.mode)
    except USER_ERRORS as exc:
        return fail(exc)
    print(report.model_dump_json(indent=2) if args.json else
          f"restored {len(report.restored)} file(s); conflicts: {[c.path for c in report.conflicts] or 'none'}")
    return 3 if report.conflicts else 0


def cmd_gc(args: argparse.Namespace) -> int:
    try:
        with _services().checkpoints(Path(args.workspace)) as svc:
            report = svc.gc(args.keep_days)
    except USER_ERRORS as exc:
        return fail(exc)
    print(report.model_dump_json(indent=2) if args.json else
          f"deleted {len(report.deleted_tasks)} task(s), {report.deleted_blobs} blob(s), freed {report.freed_bytes} bytes;"
          f" now {report.stats.total_bytes} bytes (cap {report.stats.cap_bytes})")
    return 0


def cmd_candidates(args: argparse.Namespace) -> int:
    """A Max Mode task's kept candidates; `--apply N` applies candidate N as one checkpointed action."""
    from mimo_lsp.maxmode.kept import listing
    from mimo_lsp.maxmode.reapply import apply_candidate

    services, workspace = _services(), Path(args.workspace)
    try:
        if args.apply is not None:
            done = apply_candidate(workspace, services.settings(workspace), args.task, args.apply,
                                   confirm=lambda request: "yes" if args.yes else None)
            print(json.dumps(done, indent=2) if args.json else
                  f"applied candidate {args.apply}: {', '.join(done['files'])} (checkpoint {done['checkpoint_id']})")
            return 0
        with services.checkpoints(workspace) as svc:
            found = listing(svc.journal, svc.blobs, args.task)
    except USER_ERRORS as exc:
        return fail(exc)
    if args.json:
        print(json.dumps(found, indent=2))
        return 0
    print(f"picked: {found['picked']} ({found['reason']}); convergence {found['convergence']}")
    for c in found["candidates"]:
        files = ", ".join(f"{f['path']} ({f['status']})" for f in c["files"]) or "-"
        print(f"{'*' if c['picked'] else ' '}{c['id']:>3}  {c['outcome']:<9} checks {'pass' if c['checks_passed'] else 'fail'}"
              f"  {c['tokens']:>6} tokens  {c['convergence']:<9} {files[:60]}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    try:
        report = _services().audit(Path(args.workspace), args.task)
    except USER_ERRORS as exc:
        return fail(exc)
    records, result, path = report.records, report.verification, report.path
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
        print(_audit_line(r))
    print("chain intact" if result.ok else f"chain BROKEN: {result.problem}")
    return 0 if result.ok else 1


def _audit_line(r: dict) -> str:
    d = r["data"]
    detail = d.get("args") or d.get("subject") or d.get("goal") or d.get("command") or ""
    extra = ""
    if r["layer"] == "authorization":
        extra = f" -> {d['verdict']}{' asked: ' + str(d['answer']) if d['asked'] else ''}, allowed={d['allowed']}"
    elif r["layer"] == "execution":
        extra = f" exit={d.get('exit_code')} sandbox={(d.get('sandbox') or {}).get('kind', '-')}"
    elif r["layer"] == "outcome":
        extra = f" files={[f['path'] for f in d.get('files', [])]}" if "files" in d else f" passed={d.get('passed')}"
    return f"{r['seq']:>4} {r['layer']:<13} {r['event']:<12} {str(detail)[:70]}{extra}"


def cmd_sandbox_run(args: argparse.Namespace) -> int:
    """One command under the agent's sandbox and policy. Non-interactive: `ask` is a no unless --yes."""
    from mimo_lsp.config import load_settings
    from mimo_lsp.safety.policy import Policy
    from mimo_lsp.safety.sandbox import Sandbox, SandboxUnavailable
    from mimo_lsp.tools.shell import run_shell

    workspace = Path(args.workspace).expanduser()
    if not workspace.is_dir():
        return fail(f"workspace is not a directory: {workspace}")
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        return fail("no command given (mimo sandbox-run -w DIR -- CMD ARGS...)")
    try:
        layered = load_settings(workspace)
    except ValueError as exc:
        return fail(exc)
    settings = layered.settings
    if layered.trust is not None and layered.trust.ignored:
        print(layered.trust.message(), file=sys.stderr)
    line = cmd[0] if len(cmd) == 1 else " ".join(shlex.quote(a) for a in cmd)  # one arg = a shell line
    policy = Policy.from_settings(settings.safety)
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


def cmd_trust(args: argparse.Namespace) -> int:
    """Trust (default), show or revoke the workspace config's settings that loosen safety."""
    decision = None if args.show else (False if args.revoke else True)
    try:
        report = _services().trust(Path(args.workspace), decision)
    except USER_ERRORS as exc:
        return fail(exc)
    if args.json:
        print(report.model_dump_json(indent=2))
        return 0
    if not report.loosening:
        print(f"{report.config}: nothing in it loosens safety; it applies as it is")
        return 0
    state = "trusted: these apply" if report.trusted else "not trusted: these are ignored"
    print(f"{report.config} ({state})")
    for item in report.loosening:
        print(f"  {item.key} = {item.value!r}  ({item.why})")
    return 0


def register(sub: argparse._SubParsersAction, command) -> None:
    trust = command("trust", "trust the settings in this workspace's .mimo/config.toml that loosen safety", cmd_trust)
    mode = trust.add_mutually_exclusive_group()
    mode.add_argument("--show", action="store_true", help="only show what loosens and whether it is trusted")
    mode.add_argument("--revoke", action="store_true", help="stop trusting them")
    command("tasks", "list the workspace's tasks (interrupted ones can be resumed)", cmd_tasks)
    command("checkpoints", "list a task's checkpoints", cmd_checkpoints, task=True)
    rst = command("restore", "restore files and/or task state to a checkpoint (0 = task start)", cmd_restore,
                  task=True)
    rst.add_argument("checkpoint", type=int)
    rst.add_argument("--mode", choices=["files", "task", "both"], default="both")
    cands = command("candidates", "a Max Mode task's candidates (* = the pick); --apply N applies one", cmd_candidates,
                    task=True)
    cands.add_argument("--apply", type=int, metavar="N", help="apply candidate N (one checkpoint; restorable)")
    cands.add_argument("--yes", "-y", action="store_true", help="treat the policy's `ask` as yes")
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
