"""Model tokens as task events, batched so a stream does not flood the editor."""

from __future__ import annotations

import threading
import time
from typing import Callable

from mimo_lsp.agent.events import TaskEvent, TokenEvent
from mimo_lsp.agent.executor import TaskCancelled


class TokenBatcher:
    """Streams model tokens as events without flooding: flushes every ~40 chars or 100 ms."""

    def __init__(self, emit: Callable[[TaskEvent], None], cancel: threading.Event) -> None:
        self.emit, self.cancel = emit, cancel
        self.purpose = ""
        self._buf: list[str] = []
        self._last = time.monotonic()

    def __call__(self, piece: str) -> None:
        if self.cancel.is_set():
            raise TaskCancelled()  # aborts generation mid-stream
        self._buf.append(piece)
        if sum(map(len, self._buf)) >= 40 or time.monotonic() - self._last > 0.1:
            self.flush()

    def flush(self) -> None:
        if self._buf:
            self.emit(TokenEvent(task_id="", text="".join(self._buf), purpose=self.purpose))
            self._buf = []
        self._last = time.monotonic()
