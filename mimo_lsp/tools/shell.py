"""run_command: a subprocess in the workspace with a timeout, killed as a group on timeout or cancel.

The bubblewrap sandbox arrives with the safety work; until then this runs unsandboxed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from mimo_lsp.tools.actions import RunCommand, ToolContext, ToolError, truncate


def _start_time(pid: int) -> str | None:
    """The kernel's start time of a process (Linux): tells a live group leader from a reused pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def record_group(path: Path, pid: int) -> None:
    """Remember a running command's process group, so a later process can kill what a crash left behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{pid} {_start_time(pid) or '-'}\n")


def kill_recorded_group(path: Path, wait_s: float = 5.0) -> bool:
    """Kill the process group a crashed agent left running (verified by start time). True if one was killed."""
    try:
        pid_text, started = path.read_text().split()
        pid = int(pid_text)
    except (OSError, ValueError):
        return False
    killed = False
    if started != "-" and _start_time(pid) == started:
        try:
            os.killpg(pid, signal.SIGKILL)
            killed = True
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + wait_s
    while killed and time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
            time.sleep(0.02)
        except ProcessLookupError:
            break
    path.unlink(missing_ok=True)
    return killed


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_shell(command: str, cwd, timeout_s: float, cancel=None, limit: int = 4000,
              group_file: Path | None = None, sandbox=None) -> tuple[int | None, str, str]:
    """Returns (exit code or None when killed, combined output, why it was killed or '').

    The command gets a process group of its own; whatever it leaves running in that group when it
    ends is killed, so nothing changes the workspace behind the checkpoint that follows. With a
    sandbox, the command runs inside it (raises SandboxUnavailable when it cannot).
    """
    if sandbox is not None:
        sandbox.check()
        argv, env = sandbox.argv(command), sandbox.env()
    else:
        argv, env = ["bash", "-c", command], None
    proc = subprocess.Popen(
        argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True, env=env,
    )
    if group_file is not None:
        record_group(group_file, proc.pid)
    try:
        return _wait(proc, timeout_s, cancel, limit)
    finally:
        _kill_group(proc.pid)
        if group_file is not None:
            group_file.unlink(missing_ok=True)
        if sandbox is not None:
            sandbox.cleanup()


def _wait(proc: subprocess.Popen, timeout_s: float, cancel, limit: int) -> tuple[int | None, str, str]:
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
                _kill_group(proc.pid)
                out, _ = proc.communicate()
                break
    text = truncate(out.decode("utf-8", errors="replace"), limit)
    return (None if killed else proc.returncode), text, killed


def run_command(a: RunCommand, ctx: ToolContext) -> str:
    from mimo_lsp.safety.sandbox import SandboxUnavailable

    timeout = min(a.timeout_s, ctx.command_timeout_s)
    try:
        code, out, killed = run_shell(a.command, ctx.workspace, timeout, ctx.cancel, ctx.output_cap_chars,
                                      ctx.group_file, ctx.sandbox)
    except SandboxUnavailable as exc:
        raise ToolError(str(exc)) from exc
    except OSError as exc:
        raise ToolError(f"cannot start command: {exc}") from exc
    ctx.last_exit_code = None if killed else code
    if killed:
        raise ToolError(f"command {killed}\n{out}")
    if code != 0:
        raise ToolError(f"exit code {code}\n{out}")
    return f"exit code 0\n{out}"
