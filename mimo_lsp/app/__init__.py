"""The application layer: what the CLI, the LSP server and the benchmarks share.

`setup` assembles a task (settings -> model and roles -> index searcher -> AgentTask), `tasks` runs
tasks on threads for the server, `workspace` opens the per-workspace services (checkpoints, review,
audit, lessons) with the configured limits. Adapters only parse input and format output.
"""
