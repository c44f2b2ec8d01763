-- MiMo for Neovim 0.7+: starts mimo-lsp for a buffer's root, shows task progress, and hands the
-- review (code lenses, code actions, hint diagnostics) to Neovim's built-in LSP client.
--
-- require("mimo").setup({ python = "/path/to/.venv/bin/python" })

local api = vim.api
local M = {}

local defaults = {
  -- Python that has mimo_lsp installed; the server runs as `python -m mimo_lsp.server` (stdio).
  python = "python3",
  -- Full launch command; overrides `python`.
  cmd = nil,
  -- initializationOptions, the top settings layer, e.g. { model = { spec = "...", n_gpu_layers = 0 } }.
  init_options = nil,
  -- Extra client capabilities merged over Neovim's (e.g. from cmp_nvim_lsp).
  capabilities = nil,
  -- window/showMessageRequest confirmations of risky tool calls: "ask" keeps Neovim's handler
  -- (inputlist), "yes" answers Yes, "no" answers No (headless use).
  confirm = "ask",
  -- Markers of a workspace root, searched upward from the buffer's file, in this order; without one the
  -- current directory is the root when the file is inside it.
  root_markers = { ".mimo", ".git" },
  -- function(bufnr) -> root or nil: overrides the marker search.
  root_dir = nil,
  -- Attach to every file buffer under a root (nil) or only to these filetypes.
  filetypes = nil,
  -- Re-ask for code lenses on BufEnter, InsertLeave and BufWritePost in attached buffers.
  codelens_autorefresh = true,
  -- Put the model's streamed tokens into :MimoLog (noisy).
  log_tokens = false,
  -- Show task progress in the echo area.
  echo = true,
}

M.config = vim.deepcopy(defaults)

-- Plugin state, readable by users and tests.
M.state = {
  clients = {},   -- root -> client id
  last_task = {}, -- root -> task id
  last_root = nil,
  tasks = {},     -- task id -> { root, goal, outcome, reason, seq, done, events }
  log = {},       -- lines of :MimoLog
}

local configured = false
local log_buf = nil
local token_open = false
local lens_pending = {} -- bufnr -> "busy" | "again"
local ready_queue = {} -- client id -> functions waiting for `initialize`

-- ---------------------------------------------------------------------------------------------
-- log and echo

local function echo(msg, hl)
  if M.config.echo then
    api.nvim_echo({ { "MiMo: " .. msg, hl or "None" } }, false, {})
  end
end

local function log_buffer()
  if log_buf and api.nvim_buf_is_valid(log_buf) then
    return log_buf
  end
  log_buf = api.nvim_create_buf(false, true)
  api.nvim_buf_set_name(log_buf, "mimo://log")
  api.nvim_buf_set_option(log_buf, "buftype", "nofile")
  api.nvim_buf_set_option(log_buf, "bufhidden", "hide")
  api.nvim_buf_set_option(log_buf, "swapfile", false)
  api.nvim_buf_set_option(log_buf, "filetype", "mimolog")
  api.nvim_buf_set_lines(log_buf, 0, -1, false, M.state.log)
  return log_buf
end

local function follow_log(buf)
  for _, win in ipairs(api.nvim_list_wins()) do
    if api.nvim_win_get_buf(win) == buf then
      api.nvim_win_set_cursor(win, { api.nvim_buf_line_count(buf), 0 })
    end
  end
end

-- Append lines (strings may hold newlines) to the log.
local function log(text)
  token_open = false
  local lines = vim.split(text, "\n", { plain = true })
  vim.list_extend(M.state.log, lines)
  if log_buf and api.nvim_buf_is_valid(log_buf) then
    local first = #M.state.log == #lines and 0 or -1
    api.nvim_buf_set_lines(log_buf, first, -1, false, lines)
    follow_log(log_buf)
  end
end

-- Streamed model output continues the last log line.
local function log_tokens(text)
  local parts = vim.split(text, "\n", { plain = true })
  local logl = M.state.log
  if not token_open or #logl == 0 then
    table.insert(logl, "  > ")
  end
  logl[#logl] = logl[#logl] .. parts[1]
  for i = 2, #parts do
    table.insert(logl, "  > " .. parts[i])
  end
  token_open = true
  if log_buf and api.nvim_buf_is_valid(log_buf) then
    local n = #logl - #parts
    api.nvim_buf_set_lines(log_buf, n, -1, false, vim.list_slice(logl, n + 1))
    follow_log(log_buf)
  end
end

function M.open_log()
  local buf = log_buffer()
  local win = vim.fn.bufwinid(buf)
  if win == -1 then
    vim.cmd("botright sbuffer " .. buf)
    win = api.nvim_get_current_win()
  end
  api.nvim_set_current_win(win)
  api.nvim_win_set_cursor(win, { api.nvim_buf_line_count(buf), 0 })
  return buf
end

local function short(value, n)
  local s = type(value) == "string" and value or vim.fn.json_encode(value)
  s = vim.trim((s:gsub("%s+", " ")))
  if #s > n then
    s = s:sub(1, n - 3) .. "..."
  end
  return s
end

-- ---------------------------------------------------------------------------------------------
-- roots and clients

local function dirname(path)
  return vim.fn.fnamemodify(path, ":h")
end

local function is_inside(path, dir)
  return path == dir or vim.startswith(path, dir:sub(-1) == "/" and dir or dir .. "/")
end

function M.find_root(bufnr)
  bufnr = bufnr or api.nvim_get_current_buf()
  if M.config.root_dir then
    return M.config.root_dir(bufnr)
  end
  local name = api.nvim_buf_get_name(bufnr)
  local cwd = vim.fn.getcwd()
  if name == "" then
    return cwd
  end
  local dir = dirname(vim.fn.fnamemodify(name, ":p"))
  for _, marker in ipairs(M.config.root_markers or {}) do
    local cur = dir
    while true do
      if vim.loop.fs_stat(cur .. "/" .. marker) then
        return cur
      end
      local parent = dirname(cur)
      if parent == cur then
        break
      end
      cur = parent
    end
  end
  if is_inside(dir, cwd) then
    return cwd
  end
  return nil
end

local function live(id)
  local client = id and vim.lsp.get_client_by_id(id)
  if client and not client.is_stopped() then
    return client
  end
  return nil
end

local function root_of_client(client_id)
  for root, id in pairs(M.state.clients) do
    if id == client_id then
      return root
    end
  end
  return nil
end

local function handle_codelens(client_id, bufnr, result)
  local lenses = result or {}
  vim.lsp.codelens.on_codelens(nil, lenses, { bufnr = bufnr, client_id = client_id, method = "textDocument/codeLens" })
  if #lenses == 0 then
    -- Neovim 0.7 keeps the old virtual text when no lens is left.
    api.nvim_buf_clear_namespace(bufnr, vim.lsp.codelens.__namespaces[client_id], 0, -1)
  end
end

-- Ask the server for the lenses of one buffer (at most one request per buffer in flight).
local function request_lenses(client, bufnr)
  if lens_pending[bufnr] then
    lens_pending[bufnr] = "again"
    return
  end
  lens_pending[bufnr] = "busy"
  local params = { textDocument = { uri = vim.uri_from_bufnr(bufnr) } }
  client.request("textDocument/codeLens", params, function(err, result)
    local again = lens_pending[bufnr] == "again"
    lens_pending[bufnr] = nil
    if not err and api.nvim_buf_is_loaded(bufnr) then
      handle_codelens(client.id, bufnr, result)
    end
    if again and api.nvim_buf_is_loaded(bufnr) then
      request_lenses(client, bufnr)
    end
  end, bufnr)
end

-- Refresh the code lenses of every buffer attached to mimo (or to one client).
function M.refresh_lenses(client_id)
  for _, id in pairs(client_id and { client_id } or M.state.clients) do
    local client = live(id)
    if client then
      for _, bufnr in ipairs(vim.lsp.get_buffers_by_client_id(id)) do
        if api.nvim_buf_is_loaded(bufnr) then
          request_lenses(client, bufnr)
        end
      end
    end
  end
end

local function task_entry(params, client_id, method)
  local id = params.taskId
  local task = M.state.tasks[id]
  if task and task.done and method ~= "mimo/task/done" then
    task.done = false -- resumed: it streams again
  end
  if not task then
    local root = root_of_client(client_id)
    task = { root = root, seq = 0, done = false, events = 0 }
    M.state.tasks[id] = task
    if root then
      M.state.last_task[root] = id
      M.state.last_root = root
    end
  end
  task.seq = math.max(task.seq, params.seq or 0)
  task.events = task.events + 1
  return task
end

-- Reload buffers whose files the agent changed (with 'autoread', unmodified buffers reload silently),
-- so that the server sees them equal to the disk again.
local function reload(root, files)
  if not root or not files then
    return
  end
  for _, rel in ipairs(files) do
    local bufnr = vim.fn.bufnr(root .. "/" .. rel)
    if bufnr ~= -1 and api.nvim_buf_is_loaded(bufnr) then
      vim.cmd("checktime " .. bufnr)
    end
  end
end

local notify = {}

notify["mimo/task/plan"] = function(p, task)
  log(string.format("[%s] plan (attempt %d): %d step(s)", p.taskId, p.attempt or 1, #(p.nodes or {})))
  for _, node in ipairs(p.nodes or {}) do
    log(string.format("    %s %s: %s", node.status == "done" and "x" or "-", node.id, node.title or ""))
  end
  echo(string.format("plan with %d step(s)", #(p.nodes or {})))
end

notify["mimo/task/node"] = function(p)
  log(string.format("[%s] %s %s: %s", p.taskId, p.nodeId, p.status, short(p.detail or "", 200)))
  echo(string.format("%s %s: %s", p.nodeId, p.status, short(p.detail or "", 60)),
    p.status == "failed" and "WarningMsg" or nil)
end

notify["mimo/task/step"] = function(p)
  local mark = p.ok == false and "FAILED" or "ok"
  log(string.format("[%s] step %d %s %s %s%s", p.taskId, p.step or 0, p.tool or "?", short(p.args or {}, 120), mark,
    p.replayed and " (replayed)" or ""))
  if p.thought and p.thought ~= "" then
    log("    thought: " .. short(p.thought, 300))
  end
  if p.observation and p.observation ~= "" then
    log("    -> " .. short(p.observation, 300))
  end
  echo(string.format("step %d: %s %s", p.step or 0, p.tool or "?", mark))
end

notify["mimo/task/checkpoint"] = function(p, task)
  local files = #(p.files or {}) > 0 and table.concat(p.files, ", ") or "(no file changed)"
  log(string.format("[%s] checkpoint %s: %s", p.taskId, tostring(p.checkpointId), files))
  reload(task.root, p.files)
end

notify["mimo/task/token"] = function(p)
  if M.config.log_tokens and p.text then
    log_tokens(p.text)
  end
end

notify["mimo/task/done"] = function(p, task)
  task.done = true
  task.outcome = p.outcome
  task.reason = p.reason
  local line = string.format("[%s] done: %s%s (%s steps, %s checkpoints)", p.taskId, p.outcome or "?",
    (p.reason and p.reason ~= "") and (" - " .. p.reason) or "", tostring(p.steps or "?"),
    tostring(p.checkpoints or "?"))
  log(line)
  if p.check and p.check ~= vim.NIL then
    log(string.format("    check %s: %s (exit %s)", p.check.passed and "passed" or "failed", p.check.command or "",
      tostring(p.check.exitCode)))
  end
  local files = {}
  for path in (type(p.diff) == "string" and p.diff or ""):gmatch("\n%+%+%+ b/([^\n]+)") do
    table.insert(files, path)
  end
  reload(task.root, files)
  vim.notify("MiMo: task " .. (p.outcome or "done") .. ((p.reason and p.reason ~= "") and (": " .. p.reason) or "")
    .. " - :MimoReview to review", p.outcome == "failed" and vim.log.levels.WARN or vim.log.levels.INFO)
end

local function notification_handler(method)
  return function(_, params, ctx)
    if type(params) ~= "table" or not params.taskId then
      return
    end
    local task = task_entry(params, ctx.client_id, method)
    local ok, err = pcall(notify[method], params, task)
    if not ok then
      log("mimo.nvim: " .. method .. ": " .. tostring(err))
    end
  end
end

local function confirm_handler(err, params, ctx, config)
  local answer = M.config.confirm
  if answer == "yes" or answer == "no" then
    local want = answer == "yes" and "Yes" or "No"
    log(string.format("confirm (%s): %s", want, params and params.message or ""))
    for _, action in ipairs(params and params.actions or {}) do
      if action.title == want then
        return action
      end
    end
    return vim.NIL
  end
  return vim.lsp.handlers["window/showMessageRequest"](err, params, ctx, config)
end

local function handlers()
  local h = {
    ["window/showMessageRequest"] = confirm_handler,
    -- Neovim 0.7 has no handler for this request; the plugin declares refreshSupport and answers it.
    ["workspace/codeLens/refresh"] = function(_, _, ctx)
      vim.schedule(function()
        M.refresh_lenses(ctx.client_id)
      end)
      return vim.NIL
    end,
  }
  for method in pairs(notify) do
    h[method] = notification_handler(method)
  end
  return h
end

local function capabilities()
  local caps = vim.lsp.protocol.make_client_capabilities()
  caps.workspace = caps.workspace or {}
  caps.workspace.codeLens = { refreshSupport = true }
  if M.config.capabilities then
    caps = vim.tbl_deep_extend("force", caps, M.config.capabilities)
  end
  return caps
end

-- The client of a root, started when there is none.
function M.client_for(root)
  local client = live(M.state.clients[root])
  if client then
    return client
  end
  local cmd = M.config.cmd or { M.config.python, "-m", "mimo_lsp.server" }
  local id = vim.lsp.start_client({
    name = "mimo",
    cmd = cmd,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = vim.fn.fnamemodify(root, ":t") } },
    init_options = M.config.init_options,
    capabilities = capabilities(),
    handlers = handlers(),
    on_init = function(client)
      local waiting = ready_queue[client.id] or {}
      ready_queue[client.id] = nil
      -- Requests made while the server was starting (e.g. the :MimoTask that started it) go out now.
      vim.schedule(function()
        for _, fn in ipairs(waiting) do
          fn(client)
        end
      end)
    end,
    on_exit = function(code, signal, client_id)
      vim.schedule(function()
        if M.state.clients[root] == client_id then
          M.state.clients[root] = nil
        end
        if code ~= 0 then
          local msg = string.format("server for %s exited (code %s, signal %s): %s", root, tostring(code),
            tostring(signal), table.concat(cmd, " "))
          log(msg)
          vim.notify("MiMo: " .. msg .. "; does that Python have mimo_lsp? (require('mimo').setup({ python = ... }))",
            vim.log.levels.WARN)
        end
      end)
    end,
  })
  if not id then
    error("mimo: could not start the server: " .. table.concat(cmd, " "))
  end
  M.state.clients[root] = id
  return vim.lsp.get_client_by_id(id)
end

-- Attach a buffer to the client of its root (starting the server if needed).
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and api.nvim_get_current_buf() or bufnr
  if not api.nvim_buf_is_loaded(bufnr) or api.nvim_buf_get_option(bufnr, "buftype") ~= ""
    or api.nvim_buf_get_name(bufnr) == "" then
    return nil
  end
  local fts = M.config.filetypes
  if fts and not vim.tbl_contains(fts, api.nvim_buf_get_option(bufnr, "filetype")) then
    return nil
  end
  local root = M.find_root(bufnr)
  if not root then
    return nil
  end
  local client = M.client_for(root)
  vim.lsp.buf_attach_client(bufnr, client.id)
  return client
end

-- ---------------------------------------------------------------------------------------------
-- commands

local function current_root()
  local bufnr = api.nvim_get_current_buf()
  if api.nvim_buf_get_option(bufnr, "buftype") == "" then
    local root = M.find_root(bufnr)
    if root then
      return root
    end
  end
  return M.state.last_root or vim.fn.getcwd()
end

local function request_command(client, command, args, on_result)
  client.request("workspace/executeCommand", { command = command, arguments = { args } }, function(err, result)
    if err then
      vim.notify("MiMo: " .. command .. ": " .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      log(command .. " failed: " .. (err.message or vim.inspect(err)))
      return
    end
    if on_result then
      on_result(result)
    end
  end, api.nvim_get_current_buf())
end

-- Run fn(client) once the client of this root has answered `initialize`.
local function when_ready(root, fn)
  local client = M.client_for(root)
  if client.initialized then
    return fn(client)
  end
  ready_queue[client.id] = ready_queue[client.id] or {}
  table.insert(ready_queue[client.id], fn)
end

local function execute(root, command, args, on_result)
  when_ready(root, function(client)
    request_command(client, command, args, on_result)
  end)
end

local function task_arg(task_id, root)
  local id = (task_id and task_id ~= "") and task_id or M.state.last_task[root]
  if not id then
    vim.notify("MiMo: no task yet in " .. root .. " (give its id; :MimoStatus lists them)", vim.log.levels.WARN)
  end
  return id
end

-- Start a task: opts = { goal, model?, check?, criteria?, workspace? }; on_started(result) gets {taskId, model}.
function M.start_task(opts, on_started)
  if type(opts) == "string" then
    opts = { goal = opts }
  end
  assert(opts and opts.goal and opts.goal ~= "", "mimo: a goal is required")
  local root = opts.workspace or current_root()
  local args = { goal = opts.goal, workspace = root, model = opts.model, check = opts.check, criteria = opts.criteria }
  execute(root, "mimo.task.start", args, function(result)
    M.state.last_task[root] = result.taskId
    M.state.last_root = root
    local task = M.state.tasks[result.taskId] or { seq = 0, done = false, events = 0 }
    task.root, task.goal, task.model = root, opts.goal, result.model
    M.state.tasks[result.taskId] = task
    log(string.format("[%s] started in %s with %s: %s", result.taskId, root, tostring(result.model), opts.goal))
    echo("task " .. result.taskId .. " started (:MimoLog)")
    if on_started then
      on_started(result)
    end
  end)
end

function M.cancel(task_id)
  local root = current_root()
  local id = task_arg(task_id, root)
  if id then
    execute(root, "mimo.task.cancel", { taskId = id }, function(r)
      log(string.format("[%s] cancel: %s", id, tostring(r.status)))
      echo("cancel " .. id .. ": " .. tostring(r.status))
    end)
  end
end

function M.resume(task_id, opts)
  local root = current_root()
  local id = task_arg(task_id, root)
  if id then
    local args = { taskId = id, workspace = root, model = opts and opts.model }
    execute(root, "mimo.task.resume", args, function(r)
      M.state.last_task[root] = r.taskId
      local task = M.state.tasks[r.taskId]
      if task then
        task.done = false
      end
      log(string.format("[%s] resumed with %s", r.taskId, tostring(r.model)))
      echo("task " .. r.taskId .. " resumed")
    end)
  end
end

function M.status()
  local root = current_root()
  execute(root, "mimo.task.status", { workspace = root }, function(r)
    log("tasks in " .. root .. ":")
    for _, t in ipairs(r.tasks or {}) do
      log(string.format("    %s %s%s: %s", t.taskId, t.status, (t.outcome and t.outcome ~= vim.NIL)
        and ("/" .. t.outcome) or "", short(t.goal or "", 80)))
    end
    echo(#(r.tasks or {}) .. " task(s) (:MimoLog)")
  end)
end

-- Quickfix items for the pending hunks of a mimo.review.get result.
function M.review_items(root, review)
  local items = {}
  for _, file in ipairs(review.files or {}) do
    local filename = root .. "/" .. file.path
    local pending = 0
    for _, h in ipairs(file.hunks or {}) do
      if h.state == "pending" then
        pending = pending + 1
        local old = table.concat(vim.tbl_map(vim.trim, h.old or {}), " | ")
        local new = table.concat(vim.tbl_map(vim.trim, h.new or {}), " | ")
        local text
        if #(h.old or {}) == 0 then
          text = "added: " .. short(new, 160)
        elseif #(h.new or {}) == 0 then
          text = "was: " .. short(old, 160) .. " (deleted)"
        else
          text = "was: " .. short(old, 160)
        end
        local line = h.currentLine
        if line == nil or line == vim.NIL then
          table.insert(items, { filename = filename, lnum = math.max(h.newStart or 1, 1), type = "W",
            text = "(lines not found: a reject would conflict) " .. text })
        else
          table.insert(items, { filename = filename, lnum = line + 1, text = text })
        end
      end
    end
    if pending == 0 and (file.status == "binary") then
      table.insert(items, { filename = filename, lnum = 1, text = file.status .. " file changed" })
    end
  end
  return items
end

-- Put the last task's pending hunks in the quickfix list, then refresh the lenses (one request after
-- the other: the server answers both from the same journal).
function M.review(task_id, on_done)
  local root = current_root()
  local id = task_arg(task_id, root)
  if not id then
    M.refresh_lenses()
    return
  end
  execute(root, "mimo.review.get", { taskId = id, workspace = root }, function(review)
    M.refresh_lenses()
    local items = M.review_items(root, review)
    vim.fn.setqflist({}, " ", { title = "MiMo review " .. id, items = items })
    echo(string.format("%d pending change(s) of task %s in the quickfix list", #items, id))
    if #items > 0 then
      local win = api.nvim_get_current_win()
      vim.cmd("botright cwindow")
      if api.nvim_win_is_valid(win) then
        api.nvim_set_current_win(win) -- the quickfix window opens; the cursor stays in the code
      end
    end
    if on_done then
      on_done(review, items)
    end
  end)
end

-- ---------------------------------------------------------------------------------------------
-- setup

function M.setup(opts)
  M.config = vim.tbl_deep_extend("force", vim.deepcopy(defaults), opts or {})
  -- lists replace, they are not merged by index
  if opts and opts.root_markers then
    M.config.root_markers = opts.root_markers
  end
  if opts and opts.cmd then
    M.config.cmd = opts.cmd
  end
  configured = true
  local group = api.nvim_create_augroup("mimo", { clear = true })
  api.nvim_create_autocmd({ "BufReadPost", "BufNewFile", "FileType" }, {
    group = group,
    callback = function(ev)
      M.attach(ev.buf)
    end,
  })
  if M.config.codelens_autorefresh then
    api.nvim_create_autocmd({ "BufEnter", "InsertLeave", "BufWritePost" }, {
      group = group,
      callback = function(ev)
        for _, client in pairs(vim.lsp.buf_get_clients(ev.buf)) do
          if client.name == "mimo" and root_of_client(client.id) and client.initialized then
            request_lenses(client, ev.buf)
          end
        end
      end,
    })
  end
  for _, bufnr in ipairs(api.nvim_list_bufs()) do
    if api.nvim_buf_is_loaded(bufnr) then
      M.attach(bufnr)
    end
  end
  return M
end

-- Commands call this first: setup() with the defaults if the user did not call it.
function M.ensure_setup()
  if not configured then
    M.setup({})
  end
  return M
end

return M
