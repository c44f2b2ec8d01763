"""Dispatch of tool actions to their implementations (`files`, `shell`); the models live in `actions`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel

from mimo_lsp.tools import files, shell
from mimo_lsp.tools.actions import ToolContext, ToolError, ToolResult, truncate

def write_targets(action: BaseModel, workspace: Path) -> list[str] | None:
    """Workspace-relative paths the action may change: [] for read-only tools, None = anything (shell)."""
    from mimo_lsp.workspace import resolve_inside

    tool = getattr(action, "tool")
    if tool == "run_command":
        return None
    if tool == "apply_files":
        out = []
        for rel in getattr(action, "files"):
            try:
                out.append(resolve_inside(workspace, rel).relative_to(workspace.resolve()).as_posix())
            except (PermissionError, ValueError, OSError):
                pass  # the tool refuses it
        return out
    if tool in ("write_file", "edit_file"):
        try:
            return [resolve_inside(workspace, getattr(action, "path")).relative_to(workspace.resolve()).as_posix()]
        except (PermissionError, ValueError, OSError):
            return []  # the tool refuses it; nothing can change
    return []


def run_tool(action: BaseModel, ctx: ToolContext) -> ToolResult:
    handlers: dict[str, Callable[[Any, ToolContext], str]] = {
        "read_file": files.read_file,
        "list_files": files.list_files,
        "search_code": files.search_code,
        "write_file": files.write_file,
        "edit_file": files.edit_file,
        "apply_files": files.apply_files,
        "run_command": shell.run_command,
        "finish": lambda a, c: a.summary,
    }
    name = getattr(action, "tool")
    ctx.last_exit_code = None
    try:
        out = handlers[name](action, ctx)
        ok = True
    except ToolError as exc:
        out, ok = f"error: {exc}", False
    except PermissionError as exc:
        out, ok = f"refused: {exc}", False
    except OSError as exc:
        out, ok = f"error: {exc.strerror or exc} ({getattr(exc, 'filename', '') or ''})", False
    shown = truncate(out, ctx.observation_chars)
    return ToolResult(ok=ok, output=shown, full_output=out if shown != out else None, exit_code=ctx.last_exit_code)


