"""Executable acceptance checks: a command that must exit 0, run before any success is claimed."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

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
