"""Executable acceptance checks: a command that must exit 0, run before any success is claimed; and the
evaluation of a list of checks (file predicates and commands), the same in the task and on a Ray worker."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable

from mimo_lsp.agent.goal import CheckResult, file_predicate
from mimo_lsp.agent.plan import CheckSpec

from mimo_lsp.tools.shell import run_shell


def run_check(command: str, workspace: Path, timeout_s: float, cancel: threading.Event | None = None,
              sandbox=None) -> dict[str, Any]:
    """The acceptance command, sandboxed like every command (the user gave it, so no policy prompt)."""
    from mimo_lsp.safety.sandbox import SandboxUnavailable

    t0 = time.monotonic()
    try:
        code, out, killed = run_shell(command, workspace, timeout_s, cancel, limit=6000, sandbox=sandbox)
    except (OSError, SandboxUnavailable) as exc:
        code, out, killed = None, f"cannot start: {exc}", "not started"
    return {
        "command": command,
        "passed": code == 0,
        "exit_code": code,
        "killed": killed or None,
        "output": out,
        "seconds": round(time.monotonic() - t0, 3),
    }


def evaluate_checks(specs: list[CheckSpec], workspace: Path, run: Callable[[str], dict[str, Any]],
                    verdict: Callable[[str], tuple[str, str]] | None) -> list[CheckResult]:
    """Each check's result, in order. File predicates are read here; commands go to `run` (sandboxed by the
    caller). `verdict(command) -> (verdict, reason)`: model-proposed checks run only when the policy says
    allow (None: the user's own criteria, trusted)."""
    results: list[CheckResult] = []
    for spec in specs:
        if spec.command is None:
            results.append(file_predicate(workspace, spec))
            continue
        if verdict is not None:
            said, reason = verdict(spec.command)
            if said != "allow":
                results.append(CheckResult(check=spec.label(), passed=False, evidence=(
                    f"not run: the policy says {said} ({reason}); checks must be commands the policy allows")))
                continue
        out = run(spec.command)
        results.append(CheckResult(check=spec.label(), passed=out["passed"], exit_code=out["exit_code"],
                                   evidence=out["output"][-3000:]))
    return results
