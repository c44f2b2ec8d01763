"""Per-task notification log on disk, so `mimo.task.events` still answers after a server restart.

The in-memory replay log (SequencedSink.log) dies with the server process; a client that reconnects
to a new server (crash, restart, window reload) asks for its task's events again to refill its views.
Each task's notifications are appended, as sent, to `<state dir>/events/<taskId>.jsonl`; a resumed
task starts its file again (its sequence numbers start again at 1). Only the newest KEEP logs stay.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from pathlib import Path
from typing import Any

from mimo_lsp.workspace import existing_state_dir, state_dir

log = logging.getLogger(__name__)
KEEP = 200
_SAFE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


def _name(task_id: str) -> str:
    if not _SAFE_ID.match(task_id) or task_id.startswith("."):
        raise KeyError(f"unknown task id: {task_id}")
    return f"{task_id}.jsonl"


class EventLog:
    """Appends one task's notifications; never raises into the task (a full disk loses replay, not work)."""

    def __init__(self, workspace: Path, task_id: str) -> None:
        self._lock = threading.Lock()
        self._fh = None
        try:
            folder = state_dir(workspace) / "events"
            folder.mkdir(exist_ok=True)
            self._fh = (folder / _name(task_id)).open("w", encoding="utf-8")
            _prune(folder)
        except (OSError, KeyError):
            log.exception("no event log for task %s", task_id)

    def append(self, payload: dict[str, Any]) -> None:
        with self._lock:
            if self._fh is None:
                return
            try:
                self._fh.write(json.dumps(payload, separators=(",", ":")) + "\n")
                self._fh.flush()
            except (OSError, TypeError, ValueError):
                log.exception("could not log event %s", payload.get("kind"))

    def close(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None


def read_events(workspace: Path, task_id: str, after_seq: int) -> list[dict[str, Any]]:
    """The logged notifications of a task with seq > after_seq; KeyError when none were logged."""
    folder = existing_state_dir(workspace.resolve())
    path = folder / "events" / _name(task_id) if folder is not None else None
    if path is None or not path.is_file():
        raise KeyError(f"unknown task id: {task_id}")
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            try:
                ev = json.loads(line)
            except ValueError:  # a line cut short by a crash mid-write
                continue
            if isinstance(ev, dict) and isinstance(ev.get("seq"), int) and ev["seq"] > after_seq:
                out.append(ev)
    return out


def _prune(folder: Path) -> None:
    logs = sorted(folder.glob("*.jsonl"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in logs[KEEP:]:
        old.unlink(missing_ok=True)
