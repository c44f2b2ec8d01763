"""The agent core: planner, scheduler, executor, checks. Never imports the LSP layer."""
