"""run_command: a subprocess in the workspace with a timeout, killed as a group on timeout or cancel.

The bubblewrap sandbox arrives with the safety work; until then this runs unsandboxed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

from mimo_lsp.tools.registry import RunCommand, ToolContext, ToolError, truncate


def run_shell(command: str, cwd, timeout_s: float, cancel=None, limit: int = 4000) -> tuple[int | None, str, str]:
    """Returns (exit code or None when killed, combined output, why it was killed or '')."""
    proc = subprocess.Popen(
        ["bash", "-c", command], cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.monotonic() + timeout_s
    killed = ""
    while True:
        try:
            out, _ = proc.communicate(timeout=0.2)
            break
        except subprocess.TimeoutExpired:
            if cancel is not None and cancel.is_set():
                killed = "cancelled"
            elif time.monotonic() > deadline:
                killed = f"timed out after {timeout_s:g}s"
            if killed:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                out, _ = proc.communicate()
                break
    text = truncate(out.decode("utf-8", errors="replace"), limit)
    return (None if killed else proc.returncode), text, killed


def run_command(a: RunCommand, ctx: ToolContext) -> str:
    timeout = min(a.timeout_s, ctx.command_timeout_s)
    try:
        code, out, killed = run_shell(a.command, ctx.workspace, timeout, ctx.cancel, ctx.output_cap_chars)
    except OSError as exc:
        raise ToolError(f"cannot start command: {exc}") from exc
    if killed:
        raise ToolError(f"command {killed}\n{out}")
    if code != 0:
        raise ToolError(f"exit code {code}\n{out}")
    return f"exit code 0\n{out}"
