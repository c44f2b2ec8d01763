"""Task liveness (an flock per running task) and the saved settings a resumed task runs with."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from mimo_lsp.checkpoints.journal import CheckpointJournal
from mimo_lsp.config import LayeredSettings, Settings
from mimo_lsp.workspace import state_dir


def resume_settings(workspace: Path, task_id: str, model: str | None = None):
    """The settings a task started with (model spec overridable), and its journal row."""
    journal = CheckpointJournal(state_dir(workspace.resolve()) / "journal.sqlite")
    try:
        row = journal.task(task_id)
    finally:
        journal.close()
    if row is None:
        raise KeyError(f"unknown task id: {task_id}")
    settings = Settings.model_validate_json(row["settings_json"]) if row["settings_json"] else Settings()
    source = "the task's saved settings"
    if model:
        settings.model.spec, source = model, "explicit"
    return LayeredSettings(settings=settings, model_source=source), row


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
