"""A third-party LSP client: Neovim 0.7 headless runs initialize, mimo.task.status and mimo.index.search."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("nvim") is None, reason="neovim is not installed (scripts/setup.sh installs it)")

LUA = r"""
local out = {}
local client_id = vim.lsp.start_client({
  name = "mimo",
  cmd = { PYTHON, "-m", "mimo_lsp.server" },
  root_dir = WORKSPACE,
  workspace_folders = { { uri = vim.uri_from_fname(WORKSPACE), name = "ws" } },
})
local client = vim.lsp.get_client_by_id(client_id)
out.initialized = vim.wait(20000, function() return client.initialized end, 50)
local exec = client.server_capabilities.executeCommandProvider
out.commands = exec and exec.commands or {}
local status = client.request_sync("workspace/executeCommand",
  { command = "mimo.task.status", arguments = { {} } }, 10000, 0)
out.status = status and status.result
local search = client.request_sync("workspace/executeCommand",
  { command = "mimo.index.search", arguments = { { query = "multiply two numbers", k = 3 } } }, 180000, 0)
out.search = search and search.result
out.search_err = search and search.err
local bad = client.request_sync("workspace/executeCommand",
  { command = "mimo.task.status", arguments = { { taskId = "nope" } } }, 10000, 0)
out.bad_err = bad and bad.err and bad.err.message
local f = io.open(OUTFILE, "w")
f:write(vim.fn.json_encode(out))
f:close()
client.stop()
vim.wait(2000, function() return client.is_stopped() end, 50)
vim.cmd("qall!")
"""


def test_neovim_client(calc_workspace: Path, tmp_path: Path):
    outfile = tmp_path / "out.json"
    script = tmp_path / "client.lua"
    script.write_text(
        f"PYTHON = {json.dumps(sys.executable)}\nWORKSPACE = {json.dumps(str(calc_workspace))}\n"
        f"OUTFILE = {json.dumps(str(outfile))}\n" + LUA
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_STATE_HOME": str(tmp_path / "state"),
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.run(["nvim", "--headless", "-u", "NONE", "-c", f"luafile {script}"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert outfile.exists(), f"nvim wrote nothing: {proc.stdout} {proc.stderr}"
    out = json.loads(outfile.read_text())
    assert out["initialized"] is True
    assert "mimo.task.start" in out["commands"]
    assert out.get("status") == {"tasks": []}, out
    assert out["search"]["hits"][0]["symbol"] == "multiply", out
    assert "unknown task id" in out["bad_err"]
