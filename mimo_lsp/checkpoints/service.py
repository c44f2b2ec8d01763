"""CheckpointService: list, diff, restore, stats and garbage collection for one workspace.

Used by the CLI and the LSP server alike; the agent's own checkpointing lives in agent/task.py.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from mimo_lsp.checkpoints.blobs import BlobStore
from mimo_lsp.checkpoints.journal import CheckpointJournal
from mimo_lsp.checkpoints.restore import RestoreMode, RestoreReport, diff_between, restore_files
from mimo_lsp.checkpoints.tracker import WorkspaceTracker
from mimo_lsp.workspace import state_dir


class CheckpointInfo(BaseModel):
    id: int
    step: int
    node_id: str
    tool: str
    args: dict[str, Any]
    state: str
    ok: bool | None
    abandoned: bool
    files: list[str]
    created: float


class CheckpointStats(BaseModel):
    data_dir: str
    tasks: int
    checkpoints: int
    blobs: int
    blob_bytes: int
    journal_bytes: int
    total_bytes: int
    cap_bytes: int


class GcReport(BaseModel):
    deleted_tasks: list[str]
    deleted_blobs: int
    freed_bytes: int
    stats: CheckpointStats


class TaskRunning(RuntimeError):
    pass


class CheckpointService:
    def __init__(self, workspace: Path, max_blob_bytes: int = 4 << 20, cap_bytes: int = 2 << 30) -> None:
        self.workspace = workspace.resolve()
        self.data_dir = state_dir(self.workspace)
        self.journal = CheckpointJournal(self.data_dir / "journal.sqlite")
        self.blobs = BlobStore(self.data_dir / "blobs")
        self.max_blob_bytes = max_blob_bytes
        self.cap_bytes = cap_bytes

    def close(self) -> None:
        self.journal.close()

    def _task(self, task_id: str) -> dict[str, Any]:
        row = self.journal.task(task_id)
        if row is None:
            raise KeyError(f"unknown task id: {task_id}")
        return row

    def tasks(self) -> list[dict[str, Any]]:
        from mimo_lsp.agent.task import task_is_live

        out = []
        for row in self.journal.tasks():
            status = row["status"]
            if status == "running" and not task_is_live(self.data_dir, row["id"]):
                status = "interrupted"  # its process died mid-task: resumable
            out.append({**row, "status": status})
        return out

    def list(self, task_id: str) -> list[CheckpointInfo]:
        self._task(task_id)
        return [CheckpointInfo(id=a.id, step=a.step, node_id=a.node_id, tool=a.tool, args=a.args, state=a.state,
                               ok=a.ok, abandoned=a.abandoned, files=[c.path for c in a.changes], created=a.started)
                for a in self.journal.actions(task_id)]

    def diff(self, task_id: str, from_id: int, to_id: int | None) -> str:
        self._task(task_id)
        return diff_between(self.journal.actions(task_id), self.blobs, from_id, to_id, self.workspace)

    def restore(self, task_id: str, checkpoint_id: int, mode: RestoreMode = "both") -> RestoreReport:
        from mimo_lsp.agent.task import task_is_live

        self._task(task_id)
        if task_is_live(self.data_dir, task_id):
            raise TaskRunning(f"task {task_id} is running; cancel it before restoring")
        actions = self.journal.actions(task_id)
        if checkpoint_id and not any(a.id == checkpoint_id and a.state == "done" for a in actions):
            raise KeyError(f"task {task_id} has no checkpoint {checkpoint_id}")
        if mode in ("files", "both"):
            tracker = WorkspaceTracker(self.workspace, self.blobs, self.max_blob_bytes, watch=False)
            tracker.state = self.journal.load_states()
            report = restore_files(task_id, checkpoint_id, mode, self.journal, tracker, self.blobs)
        else:
            report = RestoreReport(task_id=task_id, checkpoint_id=checkpoint_id, mode=mode)
        if mode in ("task", "both"):
            self.journal.abandon_after(task_id, checkpoint_id)
            self.journal.update_task(task_id, status="restored", outcome=None,
                                     reason=f"restored to checkpoint {checkpoint_id}; resume to continue")
        return report

    def stats(self) -> CheckpointStats:
        blobs, blob_bytes = self.blobs.disk_usage()
        journal_bytes = sum(p.stat().st_size for p in self.data_dir.glob("journal.sqlite*"))
        log = self.data_dir / "intents.log"
        journal_bytes += log.stat().st_size if log.exists() else 0
        tasks = len(self.journal.tasks())
        checkpoints = self.journal._query("SELECT count(*) FROM actions WHERE state='done'")[0][0]
        return CheckpointStats(data_dir=str(self.data_dir), tasks=tasks, checkpoints=checkpoints, blobs=blobs,
                               blob_bytes=blob_bytes, journal_bytes=journal_bytes,
                               total_bytes=blob_bytes + journal_bytes, cap_bytes=self.cap_bytes)

    def gc(self, keep_days: float | None = None) -> GcReport:
        """Delete the oldest finished tasks while over the cap (or older than keep_days), then compact the packs.

        Refuses while any task of the workspace is live: a running task appends blobs before the
        journal references them.
        """
        from mimo_lsp.agent.task import task_is_live

        if any(task_is_live(self.data_dir, t["id"]) for t in self.journal.tasks()):
            raise TaskRunning("a task is running in this workspace; gc waits until it stops")
        stats = self.stats()
        deleted: list[str] = []
        cutoff = time.time() - keep_days * 86400 if keep_days is not None else None
        # Oldest first; a task's share of the blobs is only known after compaction, so estimate by checkpoints.
        finished = [t for t in self.journal.tasks() if t["status"] in ("finished", "cancelled")]
        total = stats.total_bytes
        per_checkpoint = total / max(1, stats.checkpoints)
        for t in finished:
            if (cutoff is not None and t["updated"] < cutoff) or total > self.cap_bytes:
                n = self.journal._query("SELECT count(*) FROM actions WHERE task_id=?", (t["id"],))[0][0]
                self.journal.delete_task(t["id"])
                deleted.append(t["id"])
                total -= int(n * per_checkpoint)
        dropped, freed = self.blobs.compact(self.journal.referenced_digests())
        self.journal.vacuum()
        return GcReport(deleted_tasks=deleted, deleted_blobs=dropped, freed_bytes=freed, stats=self.stats())
