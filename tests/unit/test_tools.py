"""Tools: workspace confinement, exact-once edits, atomic writes, the unsaved-buffer guard, timeouts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from mimo_lsp.tools.actions import AgentAction, ToolContext
from mimo_lsp.tools.registry import run_tool

ACTION = TypeAdapter(AgentAction)


def _run(ctx: ToolContext, **action):
    return run_tool(ACTION.validate_python(action), ctx)


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "m.py").write_text("def f():\n    return 1\n")
    return ToolContext(ws, command_timeout_s=5)


@pytest.mark.parametrize("path", ["../outside.txt", "/etc/passwd", ".git/config", ".mimo/x", "sub/../../x"])
def test_paths_outside_or_protected_are_refused(ctx: ToolContext, path: str):
    res = _run(ctx, tool="write_file", path=path, content="x")
    assert not res.ok and res.output.startswith("refused:")


def test_symlink_escape_is_refused(ctx: ToolContext, tmp_path: Path):
    (tmp_path / "secret.txt").write_text("s3cret")
    os.symlink(tmp_path, ctx.workspace / "link")
    assert _run(ctx, tool="read_file", path="link/ws/m.py").ok  # resolves back inside: fine
    res = _run(ctx, tool="read_file", path="link/secret.txt")
    assert not res.ok and "outside the workspace" in res.output


def test_edit_must_match_exactly_once(ctx: ToolContext):
    (ctx.workspace / "d.py").write_text("a = 1\na = 1\n")
    assert "occurs 2 times" in _run(ctx, tool="edit_file", path="d.py", search="a = 1", replace="b").output
    assert "occurs 0 times" in _run(ctx, tool="edit_file", path="m.py", search="nope", replace="b").output
    assert _run(ctx, tool="edit_file", path="m.py", search="return 1", replace="return 2").ok
    assert (ctx.workspace / "m.py").read_text() == "def f():\n    return 2\n"


def test_write_keeps_mode_and_leaves_no_temp_files(ctx: ToolContext):
    os.chmod(ctx.workspace / "m.py", 0o755)
    assert _run(ctx, tool="write_file", path="m.py", content="print(1)\n").ok
    assert os.stat(ctx.workspace / "m.py").st_mode & 0o777 == 0o755
    assert sorted(p.name for p in ctx.workspace.iterdir()) == ["m.py"]


def test_unsaved_buffer_guard_blocks_writes(ctx: ToolContext):
    ctx.buffer_guard = lambda p: "m.py has unsaved changes" if p.name == "m.py" else None
    res = _run(ctx, tool="edit_file", path="m.py", search="return 1", replace="return 2")
    assert not res.ok and "unsaved changes" in res.output
    assert "return 1" in (ctx.workspace / "m.py").read_text()
    assert _run(ctx, tool="write_file", path="other.py", content="x").ok


def test_read_and_list(ctx: ToolContext):
    out = _run(ctx, tool="read_file", path="m.py", start_line=2).output
    assert "   2|     return 1" in out and "def f" not in out
    assert _run(ctx, tool="list_files", path=".").output == "m.py"
    assert not _run(ctx, tool="read_file", path="missing.py").ok


def test_run_command_reports_exit_codes_and_timeouts(ctx: ToolContext):
    assert _run(ctx, tool="run_command", command="echo hi").output == "exit code 0\nhi\n"
    res = _run(ctx, tool="run_command", command="echo bad >&2; exit 3")
    assert not res.ok and res.output.startswith("error: exit code 3") and "bad" in res.output
    res = _run(ctx, tool="run_command", command="sleep 20", timeout_s=0.5)
    assert not res.ok and "timed out after 0.5s" in res.output


def test_long_output_is_truncated_in_the_middle(ctx: ToolContext):
    ctx.observation_chars = 300
    out = _run(ctx, tool="run_command", command="seq 1 5000").output
    assert len(out) < 400 and "chars cut" in out and out.rstrip().endswith("5000")


def test_a_stale_editor_buffer_of_our_own_write_is_not_the_users_edit(tmp_path):
    """An editor that has not re-read the agent's first write still shows the old text: the second edit
    goes through. A buffer with text the agent never saw is the user's work: refused."""
    (tmp_path / "m.py").write_text("a = 1\nb = 2\n")
    buffer = {"text": "a = 1\nb = 2\n"}  # the open buffer, never re-read

    def guard(path):
        return None if path.read_text() == buffer["text"] else "m.py has unsaved changes in the editor"

    ctx = ToolContext(tmp_path, buffer_guard=guard, buffer_text=lambda path: buffer["text"])
    from mimo_lsp.tools.actions import EditFile

    first = run_tool(EditFile(tool="edit_file", path="m.py", search="a = 1", replace="a = 10"), ctx)
    second = run_tool(EditFile(tool="edit_file", path="m.py", search="b = 2", replace="b = 20"), ctx)
    assert first.ok and second.ok, second.output
    assert (tmp_path / "m.py").read_text() == "a = 10\nb = 20\n"
    buffer["text"] = "a = 1\nb = 2\n# the user's own line\n"
    third = run_tool(EditFile(tool="edit_file", path="m.py", search="a = 10", replace="a = 100"), ctx)
    assert not third.ok and "unsaved changes" in third.output
    assert (tmp_path / "m.py").read_text() == "a = 10\nb = 20\n"
