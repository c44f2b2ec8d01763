"""What every `mimo` command shares: user errors and how they are reported."""

from __future__ import annotations

import sys

from mimo_lsp.checkpoints.locks import TaskBusy
from mimo_lsp.checkpoints.service import TaskRunning
from mimo_lsp.llm.port import ModelError

# KeyError: unknown task or checkpoint; FileNotFoundError: no such workspace; ValueError: bad values and
# config (ConfigError); ModelError: the model cannot be resolved or loaded; a task running elsewhere.
USER_ERRORS = (KeyError, FileNotFoundError, ValueError, ModelError, TaskBusy, TaskRunning)


def fail(error: BaseException | str) -> int:
    if isinstance(error, KeyError) and error.args:
        error = str(error.args[0])
    print(f"error: {error}", file=sys.stderr)
    return 2
