"""Apply another kept Max Mode candidate to the real tree after the task, chosen by the user.

The same path as the pick: one `apply_files` action through `CheckpointedActions.act` (policy as a write of
each file, with the user's confirmation where it asks; the unsaved-buffer guard; a checkpoint; audit records
chained onto the task's trail), so `mimo.checkpoint.restore` undoes it like any action. The files must still
hold what the task left there (its last journaled write of each, else what the candidates started from):
otherwise nothing is written and nothing is journaled.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

from mimo_lsp.agent.replay import ActionReplay
from mimo_lsp.agent.task_actions import CheckpointedActions, Confirm
from mimo_lsp.checkpoints.blobs import BlobStore
from mimo_lsp.checkpoints.journal import EXTERNAL_TOOL, CheckpointJournal
from mimo_lsp.checkpoints.locks import TaskBusy, TaskLock
from mimo_lsp.checkpoints.restore import images_at
from mimo_lsp.checkpoints.tracker import WorkspaceTracker
from mimo_lsp.config import Settings
from mimo_lsp.maxmode.kept import candidate_of, contents, record_of
from mimo_lsp.safety.audit import AuditTrail, audit_path
from mimo_lsp.safety.policy import Policy
from mimo_lsp.safety.sandbox import Sandbox
from mimo_lsp.tools.actions import ApplyFiles, BufferGuard, ToolContext
from mimo_lsp.workspace import existing_state_dir

NODE = "-"  # the user's action, as a restore is: a resumed task does not replay it


class _FinishedTaskActions(CheckpointedActions):
    """A finished task's journal, blobs and audit trail opened for one more checkpointed action."""

    def __init__(self, task_id: str, workspace: Path, data_dir: Path, settings: Settings, journal: CheckpointJournal,
                 blobs: BlobStore, buffer_guard: BufferGuard | None, buffer_text: Callable[[Path], str | None] | None,
                 confirm: Confirm | None) -> None:
        self.task_id, self.workspace, self.settings = task_id, workspace, settings
        self.journal, self.blobs = journal, blobs
        self.tracker = WorkspaceTracker(workspace, blobs, settings.checkpoints.max_blob_bytes, watch=False)
        self.tracker.state = journal.load_states()
        self.audit = AuditTrail(audit_path(data_dir, task_id))
        self.policy = Policy.from_settings(settings.safety)
        self.sandbox = Sandbox(workspace, settings.safety.sandbox, network=False)
        self.tools = ToolContext(workspace, buffer_guard=buffer_guard, buffer_text=buffer_text)
        self.model = SimpleNamespace(calls=0, last_input_digest=None)  # type: ignore[assignment]  # no model here
        self.replay = ActionReplay([])
        self.cancel_event = threading.Event()
        self.confirm = confirm
        self.steps_done, self.last_action_id, self.checkpoints = 0, 0, []
        self.step_timings = None
        self._states_saved_after_capture = True
        self.emit = lambda event: None  # the task's notifications ended with its `done`
        self.act_lock = threading.RLock()
        self._reserved_step = 0


def expected_hashes(journal: CheckpointJournal, task_id: str, record: dict[str, Any],
                    paths: list[str]) -> dict[str, str | None]:
    """What each file must hold now: the task's last journaled write of it (the pick, an earlier applied
    candidate, a restore, a review reject), else what the candidates started from. Outside edits journaled
    during the task do not count: they are the user's."""
    own = [a for a in journal.actions(task_id) if a.tool != EXTERNAL_TOOL]
    _, latest = images_at(own, 0)
    return {rel: latest[rel].digest if rel in latest else record["bases"].get(rel) for rel in paths}


def _disk_hash(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def apply_candidate(workspace: Path, settings: Settings, task_id: str, candidate_id: int,
                    buffer_guard: BufferGuard | None = None, buffer_text: Callable[[Path], str | None] | None = None,
                    confirm: Confirm | None = None) -> dict[str, Any]:
    """-> {task_id, candidate_id, checkpoint_id, files}. Raises KeyError (unknown task or candidate),
    ValueError (not Max Mode, nothing to apply, a file changed since, refused), TaskBusy (task running)."""
    workspace = workspace.resolve()
    data_dir = existing_state_dir(workspace)
    if data_dir is None:
        raise KeyError(f"unknown task id: {task_id}")
    journal = CheckpointJournal(data_dir / "journal.sqlite", fsync=settings.checkpoints.fsync)
    blobs = BlobStore(data_dir / "blobs", fsync=settings.checkpoints.fsync)
    lock = TaskLock(data_dir, task_id)
    locked = False
    try:
        record = record_of(journal, task_id)
        files = contents(blobs, task_id, candidate_of(record, task_id, candidate_id))
        if not lock.acquire():
            raise TaskBusy(f"task {task_id} is running; apply a candidate once it has stopped")
        locked = True
        expected = expected_hashes(journal, task_id, record, sorted(files))
        changed = [rel for rel in sorted(files) if _disk_hash(workspace / rel) != expected[rel]]
        if changed:
            raise ValueError(f"{', '.join(changed)} changed since the candidates were made (or since the task last "
                             f"wrote it); candidate {candidate_id} was not applied")
        if all(_disk_hash(workspace / rel) == (None if text is None else hashlib.sha256(text.encode()).hexdigest())
               for rel, text in files.items()):
            raise ValueError(f"candidate {candidate_id} is what the files hold already; nothing to apply")
        actions = _FinishedTaskActions(task_id, workspace, data_dir, settings, journal, blobs, buffer_guard,
                                       buffer_text, confirm)
        try:
            step = max((a.step for a in journal.actions(task_id)), default=0) + 1
            result = actions.act(NODE, step, ApplyFiles(tool="apply_files", files=files, base=expected,
                                                        candidate=candidate_id),
                                 f"apply candidate {candidate_id} (chosen by the user after the task)")
        finally:
            actions.tracker.stop()
            actions.audit.close()
        if not result.ok:
            raise ValueError(f"could not apply candidate {candidate_id}: {result.output}")
        return {"task_id": task_id, "candidate_id": candidate_id, "checkpoint_id": actions.last_action_id,
                "files": actions.checkpoints[-1]["files"] if actions.checkpoints else sorted(files)}
    finally:
        if locked:
            lock.release()
        blobs.close()
        journal.close()
