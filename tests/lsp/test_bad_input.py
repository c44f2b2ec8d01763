"""Bad input gets a clear error and the server stays alive."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcException

from tests.conftest import fix_add_script, python_check, write_script
from tests.lsp_client import SERVER_CMD, start_client, stop_client


@pytest.fixture
async def lsp(calc_workspace: Path, tmp_path: Path):
    client = await start_client(calc_workspace, env={**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")})
    yield client
    await stop_client(client)


async def _error(lsp, name: str, *args) -> str:
    with pytest.raises(JsonRpcException) as info:
        await lsp.command(name, *args)
    return str(info.value.message if hasattr(info.value, "message") else info.value)


async def _alive(lsp) -> None:
    assert "tasks" in await lsp.command("mimo.task.status", {})


async def test_unknown_command(lsp):
    assert "mimo.nope" in await _error(lsp, "mimo.nope", {})
    await _alive(lsp)


@pytest.mark.parametrize("args, fragment", [
    ((), "goal: Field required"),
    (({"goal": 5},), "goal: Input should be a valid string"),
    (("fix it",), "expected an object argument"),
    (({"goal": "x"}, {"goal": "y"}), "expected one argument object"),
    (({"goal": "x", "bogus": 1},), "bogus: Extra inputs are not permitted"),
])
async def test_wrong_argument_types(lsp, args, fragment):
    assert fragment in await _error(lsp, "mimo.task.start", *args)
    await _alive(lsp)


async def test_nonexistent_workspace(lsp, tmp_path: Path):
    msg = await _error(lsp, "mimo.task.start", {"goal": "x", "workspace": str(tmp_path / "missing")})
    assert "workspace is not a directory" in msg and "missing" in msg
    msg = await _error(lsp, "mimo.index.search", {"query": "x", "workspace": str(tmp_path / "missing")})
    assert "not a directory" in msg
    await _alive(lsp)


async def test_unknown_task_id(lsp):
    assert "unknown task id: t-404" in await _error(lsp, "mimo.task.cancel", {"taskId": "t-404"})
    assert "unknown task id" in await _error(lsp, "mimo.task.status", {"taskId": "t-404"})
    await _alive(lsp)


async def test_missing_and_corrupt_model_files(lsp, tmp_path: Path):
    missing = tmp_path / "nope" / "model.gguf"
    assert f"model file not found: {missing}" in await _error(lsp, "mimo.task.start", {"goal": "x", "model": str(missing)})
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a model at all" * 100)
    assert "not GGUF" in await _error(lsp, "mimo.task.start", {"goal": "x", "model": str(junk)})
    assert "unknown model 'no-such-model'" in await _error(lsp, "mimo.task.start", {"goal": "x", "model": "no-such-model"})
    # Right magic, garbage body: only llama.cpp can tell; the task fails with the path named.
    torn = tmp_path / "torn.gguf"
    torn.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + os.urandom(4096))
    started = await lsp.command("mimo.task.start", {"goal": "x", "model": str(torn)})
    done = await lsp.wait_done(started["taskId"])
    assert done["outcome"] == "failed" and str(torn) in done["reason"]
    await _alive(lsp)


async def test_malformed_scripted_reply_fails_cleanly(lsp, tmp_path: Path):
    model = write_script(tmp_path / "s.json", ["this is not json", "{\"nodes\": []}", "{\"nodes\": [{\"id\": 1}]}"])
    started = await lsp.command("mimo.task.start", {"goal": "x", "model": model})
    done = await lsp.wait_done(started["taskId"])
    assert done["outcome"] == "failed"
    assert "planning failed" in done["reason"] and "after 3 attempts" in done["reason"]


def _make_read_only(path: Path) -> callable:
    """chmod is enough for a normal user; root needs a read-only bind mount."""
    if os.geteuid() != 0:
        os.chmod(path, 0o555)
        for f in path.iterdir():
            os.chmod(f, 0o444)
        return lambda: [os.chmod(path, 0o755)] and None
    r = subprocess.run(["mount", "--bind", str(path), str(path)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot make a read-only directory as root here: {r.stderr.decode()}")
    subprocess.run(["mount", "-o", "remount,ro,bind", str(path)], check=True)
    return lambda: subprocess.run(["umount", str(path)], check=True)


async def test_task_on_read_only_workspace(lsp, calc_workspace: Path, tmp_path: Path):
    model = write_script(tmp_path / "s.json", fix_add_script())
    undo = _make_read_only(calc_workspace)
    try:
        started = await lsp.command("mimo.task.start", {"goal": "fix add", "check": python_check(), "model": model,
                                                        "workspace": str(calc_workspace)})
        done = await lsp.wait_done(started["taskId"])
    finally:
        undo()
    steps = [e for e in lsp.events[started["taskId"]] if e["_method"] == "step"]
    edit = next(s for s in steps if s["tool"] == "edit_file")
    assert edit["ok"] is False
    assert "Read-only file system" in edit["observation"] or "Permission denied" in edit["observation"]
    assert done["outcome"] == "failed"
    assert "return a - b" in (calc_workspace / "calc.py").read_text()
    # The journal went to the per-user data dir instead of the read-only workspace.
    assert list((tmp_path / "data" / "mimo" / "workspaces").glob("*/journal.sqlite"))
    await _alive(lsp)


def _frame(obj: dict | str) -> bytes:
    body = (obj if isinstance(obj, str) else json.dumps(obj)).encode()
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def test_malformed_json_rpc_does_not_kill_the_server():
    msgs = [
        _frame("{this is not json"),
        _frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
        _frame({"jsonrpc": "2.0", "id": 2, "method": "workspace/executeCommand", "params": {"command": 42}}),
        _frame({"jsonrpc": "2.0", "id": 3, "method": "workspace/executeCommand",
                "params": {"command": "mimo.task.status", "arguments": [{}]}}),
        _frame({"jsonrpc": "2.0", "id": 4, "method": "shutdown"}),
        _frame({"jsonrpc": "2.0", "method": "exit"}),
    ]
    proc = subprocess.run(SERVER_CMD, input=b"".join(msgs), capture_output=True, timeout=60)
    out = proc.stdout.decode()
    assert '"id": 1' in out and '"capabilities"' in out
    assert '"id": 2' in out and '"error"' in out
    assert '"id": 3' in out and '"tasks": []' in out
