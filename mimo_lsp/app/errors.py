"""The errors a user's request can cause, which every adapter reports as a clear message (the CLI: exit 2;
the server: JSON-RPC InvalidParams), never as a crash."""

from __future__ import annotations

from mimo_lsp.checkpoints.locks import TaskBusy
from mimo_lsp.checkpoints.service import TaskRunning
from mimo_lsp.llm.port import ModelError

# KeyError: unknown task or checkpoint; FileNotFoundError: no such workspace; ValueError: bad values and
# config (ConfigError); ModelError: the model cannot be resolved or loaded; a task running elsewhere.
USER_ERRORS = (KeyError, FileNotFoundError, ValueError, ModelError, TaskBusy, TaskRunning)
