"""The Neovim plugin (editors/neovim) in a real headless Neovim 0.7: `:MimoTask` runs a scripted task that
makes two hunks in calc.py, then the review goes through Neovim's own LSP client: hint diagnostics, code
lenses (one rejected through `vim.lsp.codelens.run()`, arriving as workspace/applyEdit), a code action
(the other accepted through `vim.lsp.buf.code_action()`), `:MimoReview`'s quickfix list, `:MimoLog`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_script

pytestmark = pytest.mark.skipif(shutil.which("nvim") is None, reason="neovim is not installed (scripts/setup.sh installs it)")

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "editors" / "neovim"

PLAN = {"nodes": [{"id": "fix", "title": "fix calc", "depends_on": [], "expected_output": "fixed"}]}


def step(tool: str, **args) -> dict:
    return {"thought": tool, "action": {"tool": tool, **args}}


REPLIES = [PLAN, step("edit_file", path="calc.py", search="return a - b", replace="return a + b"),
           step("edit_file", path="calc.py", search="return a * b", replace="return b * a"),
           step("finish", summary="ok")]

LUA = r"""
local out = { steps = {} }
local api = vim.api

local function note(name) table.insert(out.steps, name) end

local function lenses(buf)
  local got = {}
  for _, l in ipairs(vim.lsp.codelens.get(buf)) do
    table.insert(got, { line = l.range.start.line, title = l.command and l.command.title })
  end
  table.sort(got, function(a, b) return a.line < b.line or (a.line == b.line and a.title < b.title) end)
  return got
end

local function hunk_lines(buf)
  local lines = {}
  for _, l in ipairs(lenses(buf)) do
    if l.title == "✗ Reject" then table.insert(lines, l.line) end
  end
  return lines
end

-- What the user sees: the virtual text of the codelens namespace, line by line.
local function lens_text(buf, client_id)
  local ns = vim.lsp.codelens.__namespaces[client_id]
  local shown = {}
  for _, m in ipairs(api.nvim_buf_get_extmarks(buf, ns, 0, -1, { details = true })) do
    local text = ""
    for _, chunk in ipairs(m[4].virt_text or {}) do text = text .. chunk[1] end
    table.insert(shown, { line = m[2], text = text, code = api.nvim_buf_get_lines(buf, m[2], m[2] + 1, false)[1] })
  end
  return shown
end

local function hints(buf)
  local got = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(got, { line = d.lnum, message = d.message, severity = d.severity, source = d.source })
  end
  table.sort(got, function(a, b) return a.line < b.line end)
  return got
end

-- vim.ui.select is the extension point pickers replace; here it picks by title and records the choices.
local function choose(title_prefix, record)
  vim.ui.select = function(items, opts, on_choice)
    local titles = {}
    for _, item in ipairs(items) do table.insert(titles, (opts.format_item(item))) end
    out[record] = titles
    for i, title in ipairs(titles) do
      if vim.startswith(title, title_prefix) then return on_choice(items[i], i) end
    end
    on_choice(nil, nil)
  end
end

local ok, err = xpcall(function()
  vim.opt.runtimepath:prepend(PLUGIN)
  vim.cmd("runtime! plugin/mimo.lua")
  out.user_commands = {}
  for _, name in ipairs({ "MimoTask", "MimoLog", "MimoReview", "MimoCancel", "MimoResume", "MimoStatus" }) do
    out.user_commands[name] = vim.fn.exists(":" .. name) == 2
  end
  out.loaded_before_use = package.loaded["mimo"] ~= nil
  local mimo = require("mimo")
  mimo.setup({ python = PYTHON, confirm = "no", init_options = { model = { spec = MODEL } } })
  local root = vim.fn.getcwd()

  vim.cmd("MimoTask fix add and multiply in calc.py")
  out.task_done = vim.wait(60000, function()
    local id = mimo.state.last_task[root]
    return id ~= nil and mimo.state.tasks[id] ~= nil and mimo.state.tasks[id].done
  end, 20)
  note("task")
  local task_id = mimo.state.last_task[root]
  out.task_id = task_id
  out.outcome = mimo.state.tasks[task_id].outcome
  local client = vim.lsp.get_client_by_id(mimo.state.clients[root])

  vim.cmd("MimoLog")
  out.log_name = api.nvim_buf_get_name(0)
  out.log_lines = api.nvim_buf_get_lines(0, 0, -1, false)
  vim.cmd("close")

  vim.cmd("edit " .. vim.fn.fnameescape(root .. "/calc.py"))
  local buf = api.nvim_get_current_buf()
  out.attached = vim.lsp.buf_is_attached(buf, client.id)
  out.hints_shown = vim.wait(15000, function() return #vim.diagnostic.get(buf) == 2 end, 20)
  out.hints = hints(buf)
  note("hints")

  vim.cmd("MimoReview")
  out.review_shown = vim.wait(15000, function()
    return #vim.fn.getqflist() == 2 and #hunk_lines(buf) == 2 and #lens_text(buf, client.id) == 3
  end, 20)
  out.quickfix = {}
  for _, item in ipairs(vim.fn.getqflist()) do
    table.insert(out.quickfix, { file = vim.fn.bufname(item.bufnr), lnum = item.lnum, text = item.text })
  end
  out.lenses = lenses(buf)
  out.lens_text = lens_text(buf, client.id)
  note("review")

  -- Reject the first hunk with the lens under the cursor.
  local first, second = unpack(hunk_lines(buf))
  api.nvim_win_set_cursor(0, { first + 1, 0 })
  choose("✗ Reject", "lens_choices")
  vim.lsp.codelens.run()
  out.reverted = vim.wait(15000, function()
    return api.nvim_buf_get_lines(buf, first, first + 1, false)[1] == "    return a - b"
  end, 20)
  out.modified_after_reject = vim.bo[buf].modified
  out.rejected_relensed = vim.wait(15000, function()
    local h = hunk_lines(buf)
    return #h == 1 and h[1] == second and #hints(buf) == 1
  end, 20)
  out.lenses_after_reject = lenses(buf)
  out.hints_after_reject = hints(buf)
  note("reject")

  -- Accept the other through the code action on its line.
  api.nvim_win_set_cursor(0, { second + 1, 0 })
  choose("MiMo: Accept this change", "action_choices")
  vim.lsp.buf.code_action()
  out.accepted = vim.wait(15000, function()
    return #vim.lsp.codelens.get(buf) == 0 and #lens_text(buf, client.id) == 0 and #vim.diagnostic.get(buf) == 0
  end, 20)
  out.lens_text_after = lens_text(buf, client.id)
  note("accept")

  vim.cmd("write")
  out.modified_after_write = vim.bo[buf].modified
  out.buffer = api.nvim_buf_get_lines(buf, 0, -1, false)
  local review = client.request_sync("workspace/executeCommand",
    { command = "mimo.review.get", arguments = { { taskId = task_id } } }, 15000, buf)
  out.review = review and review.result
  out.review_err = review and review.err
  note("written")
end, debug.traceback)
""" + r"""
out.error = not ok and err or nil
out.messages = vim.split(vim.fn.execute("messages"), "\n", { trimempty = true })
out.final_log = package.loaded["mimo"] and package.loaded["mimo"].state.log
local f = io.open(OUTFILE, "w")
f:write(vim.fn.json_encode(out))
f:close()
for _, c in pairs(vim.lsp.get_active_clients()) do c.stop() end
vim.wait(3000, function() return #vim.lsp.get_active_clients() == 0 end, 50)
vim.cmd("qall!")
"""
FOOTER = LUA[LUA.index("out.error = not ok"):]

SLOW_REPLIES = [
    {"nodes": [{"id": "slow", "title": "wait, then write notes", "depends_on": [], "expected_output": "notes.md"}]},
    step("run_command", command="sleep 60"),
    step("write_file", path="notes.md", content="# notes\n"),
    step("finish", summary="ok")]

LUA_CANCEL = r"""
local out = {}
local ok, err = xpcall(function()
  vim.opt.runtimepath:prepend(PLUGIN)
  vim.cmd("runtime! plugin/mimo.lua")
  local mimo = require("mimo")
  mimo.setup({ python = PYTHON, confirm = "yes", init_options = { model = { spec = MODEL } } })
  local root = vim.fn.getcwd()
  local function logged(text)
    for _, line in ipairs(mimo.state.log) do
      if line:find(text, 1, true) then return true end
    end
    return false
  end
  local function task() return mimo.state.tasks[mimo.state.last_task[root] or ""] end

  vim.cmd("MimoTask wait, then write notes")
  -- run_command asks first: window/showMessageRequest, answered Yes by confirm = "yes".
  out.confirmed = vim.wait(30000, function() return logged("confirm (Yes): mimo wants to run run_command: sleep 60") end, 20)
  vim.cmd("MimoCancel")
  out.cancelled = vim.wait(30000, function() return task() ~= nil and task().done end, 20)
  out.task_id = mimo.state.last_task[root]
  out.outcome_cancel = task().outcome
  out.notes_after_cancel = vim.loop.fs_stat(root .. "/notes.md") ~= nil

  vim.cmd("MimoResume")
  out.resumed = vim.wait(30000, function() return not task().done end, 20)
  out.finished = vim.wait(30000, function() return task().done end, 20)
  out.outcome_resume = task().outcome
  out.same_task = mimo.state.last_task[root] == out.task_id
  out.notes = vim.fn.filereadable(root .. "/notes.md") == 1 and vim.fn.readfile(root .. "/notes.md") or nil
end, debug.traceback)
""" + FOOTER


def run_nvim(lua: str, cwd: Path, tmp_path: Path, **globals_: str) -> dict:
    """Headless Neovim with no user config; the Lua gets PYTHON, PLUGIN, OUTFILE and `globals_`, and
    writes its observations to OUTFILE."""
    outfile = tmp_path / "out.json"
    script = tmp_path / "plugin_test.lua"
    values = {"PYTHON": sys.executable, "PLUGIN": str(PLUGIN), "OUTFILE": str(outfile), **globals_}
    script.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items()) + lua)
    env = {**os.environ, "PYTHONPATH": str(REPO), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_DATA_HOME": str(tmp_path / "data")}
    proc = subprocess.run(["nvim", "--headless", "-u", "NONE", "-c", f"luafile {script}"], cwd=cwd,
                          capture_output=True, text=True, timeout=240, env=env)
    assert outfile.exists(), f"nvim wrote nothing: {proc.stdout} {proc.stderr}"
    out = json.loads(outfile.read_text())
    assert out.get("error") is None, out.get("error")
    # The server keeps its state in the workspace's .mimo/; one in the user's data dir means it fell back
    # (seen when two requests open the journal at once: both use the same `.mimo/.write-probe`).
    assert not (tmp_path / "data" / "mimo").exists(), "the server's state fell back to XDG_DATA_HOME"
    return out


def test_neovim_plugin_task_and_review(calc_workspace: Path, tmp_path: Path):
    model = write_script(tmp_path / "replies.json", REPLIES)
    out = run_nvim(LUA, calc_workspace, tmp_path, MODEL=model)
    assert not [m for m in out["messages"] if "Error" in m or "E5108" in m], out["messages"]
    assert all(out["user_commands"].values()), out["user_commands"]
    assert out["loaded_before_use"] is False, "plugin/mimo.lua must not load the module eagerly"

    # :MimoTask ran the scripted task; the notifications reached the log.
    assert out["task_done"] is True and out["outcome"] == "unverified", out
    assert out["log_name"].endswith("mimo://log")
    log = "\n".join(out["log_lines"])
    assert "plan (attempt 1): 1 step(s)" in log and "step 2 edit_file" in log and "done: unverified" in log, log

    # Hint diagnostics (Neovim 0.7 has no inlay hints): what each hunk replaced.
    assert out["attached"] is True and out["hints_shown"] is True, out
    assert [(h["line"], h["message"], h["source"]) for h in out["hints"]] == [
        (5, "was: return a - b", "mimo"), (10, "was: return a * b", "mimo")]
    assert {h["severity"] for h in out["hints"]} == {4}  # vim.diagnostic.severity.HINT

    # :MimoReview: the pending hunks in the quickfix list, lenses on the file's first line and on each hunk.
    assert out["review_shown"] is True, out
    assert [(q["file"].endswith("calc.py"), q["lnum"], q["text"]) for q in out["quickfix"]] == [
        (True, 6, "was: return a - b"), (True, 11, "was: return a * b")]
    assert [(lens["line"], lens["title"]) for lens in out["lenses"] if lens["line"] > 0] == [
        (5, "✓ Accept"), (5, "✗ Reject"), (10, "✓ Accept"), (10, "✗ Reject")]
    assert {lens["title"] for lens in out["lenses"] if lens["line"] == 0} >= {"MiMo: Accept file (2 changes)", "Reject file"}
    shown = {m["line"]: m for m in out["lens_text"]}
    assert sorted(shown) == [0, 5, 10]
    assert shown[5]["text"] == "✓ Accept | ✗ Reject" and shown[5]["code"] == "    return a + b"
    assert shown[10]["text"] == "✓ Accept | ✗ Reject" and shown[10]["code"] == "    return b * a"
    assert shown[0]["text"].startswith("MiMo: Accept file (2 changes) | Reject file")

    # The lens rejected the first hunk: the server sent workspace/applyEdit, the buffer (not the disk) changed.
    assert out["lens_choices"] == ["✓ Accept", "✗ Reject"]
    assert out["reverted"] is True and out["modified_after_reject"] is True, out
    assert out["rejected_relensed"] is True, out  # workspace/codeLens/refresh reached the plugin
    assert [(lens["line"], lens["title"]) for lens in out["lenses_after_reject"] if lens["line"] > 0] == [
        (10, "✓ Accept"), (10, "✗ Reject")]
    assert [(h["line"], h["message"]) for h in out["hints_after_reject"]] == [(10, "was: return a * b")]

    # The code action accepted the other; no lens (nor its virtual text) nor hint is left.
    assert out["action_choices"][:2] == ["MiMo: Accept this change (line 11)", "MiMo: Reject this change (line 11)"]
    assert out["accepted"] is True and out["lens_text_after"] == [], out

    # Written: the disk has the reject and the accepted change; the server's review agrees.
    assert out["modified_after_write"] is False
    text = (calc_workspace / "calc.py").read_text()
    assert "    return a - b\n" in text and "    return b * a\n" in text and "return a + b" not in text
    assert "\n".join(out["buffer"]) + "\n" == text
    (calc,) = [f for f in out["review"]["files"] if f["path"] == "calc.py"]
    states = {"".join(h["new"]).strip(): h["state"] for h in calc["hunks"]}
    assert states == {"return a + b": "rejected", "return b * a": "accepted"}, calc


def test_neovim_plugin_confirm_cancel_resume(calc_workspace: Path, tmp_path: Path):
    model = write_script(tmp_path / "replies.json", SLOW_REPLIES)
    out = run_nvim(LUA_CANCEL, calc_workspace, tmp_path, MODEL=model)
    assert out["confirmed"] is True, out["final_log"]
    assert out["cancelled"] is True and out["outcome_cancel"] == "cancelled", out["final_log"]
    assert out["notes_after_cancel"] is False
    log = "\n".join(out["final_log"])
    assert f"[{out['task_id']}] done: cancelled" in log, log
    # :MimoResume continued the same task from its checkpoint: the cancelled command is replayed, the rest
    # runs live. (Its reply is not asserted: the server answered this resume with the error "Token is
    # already registered!" -- its work-done progress token is the first run's -- while the task resumed.)
    assert out["resumed"] is True and out["finished"] is True and out["same_task"] is True, out
    assert out["outcome_resume"] == "unverified" and out["notes"] == ["# notes"], out
    assert "FAILED (replayed)" in log and "created notes.md" in log, log
