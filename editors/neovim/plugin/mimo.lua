-- User commands of MiMo; the module loads on first use. Nothing is mapped.
if vim.g.loaded_mimo then
  return
end
vim.g.loaded_mimo = true

local function mimo()
  return require("mimo").ensure_setup()
end

local command = vim.api.nvim_create_user_command

command("MimoTask", function(o)
  mimo().start_task({ goal = o.args })
end, { nargs = "+", desc = "MiMo: start an agent task with this goal in the buffer's root" })

command("MimoLog", function()
  mimo().open_log()
end, { nargs = 0, desc = "MiMo: open the task log" })

command("MimoReview", function(o)
  mimo().review(o.args)
end, { nargs = "?", desc = "MiMo: refresh code lenses; pending hunks of the last (or given) task to quickfix" })

command("MimoCancel", function(o)
  mimo().cancel(o.args)
end, { nargs = "?", desc = "MiMo: cancel the last (or given) task" })

command("MimoResume", function(o)
  mimo().resume(o.args)
end, { nargs = "?", desc = "MiMo: resume the last (or given) task" })

command("MimoStatus", function()
  mimo().status()
end, { nargs = 0, desc = "MiMo: list the tasks of this workspace in the log" })
