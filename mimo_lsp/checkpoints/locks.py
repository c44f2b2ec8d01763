"""Task liveness: an flock per running task. A task marked running whose lock can be taken died.

Lives with the checkpoints (the journal's readers ask it) so that nothing here imports the agent."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class TaskBusy(RuntimeError):
    """Another live process is running this task."""


class TaskLock:
    """An flock held while a task runs: a task whose lock can be taken is not running anywhere."""

    def __init__(self, data_dir: Path, task_id: str) -> None:
        (data_dir / "tasks").mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "tasks" / f"{task_id}.lock"
        self._fd: int | None = None

    def acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def task_is_live(data_dir: Path, task_id: str) -> bool:
    lock = TaskLock(data_dir, task_id)
    if lock.acquire():
        lock.release()
        return False
    return True
