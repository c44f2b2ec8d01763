"""CheckpointService: list, diff, restore, stats and garbage collection for one workspace.

Opened by the application layer (`mimo_lsp/app/`) with the workspace's configured limits, for the CLI
and the LSP server alike; the agent's own checkpointing lives in agent/task.py.
"""

from __future__ import annotations

import builtins
import time
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel, Field

from mimo_lsp.checkpoints.blobs import BlobStore
from mimo_lsp.checkpoints.diffs import blob_or_none, disk_or_none, text_lines
from mimo_lsp.checkpoints.journal import EXTERNAL_TOOL, CheckpointJournal
from mimo_lsp.checkpoints.locks import task_is_live
from mimo_lsp.checkpoints.restore import RestoreMode, RestoreReport, diff_between, images_at, restore_files
from mimo_lsp.checkpoints.review import FileReview, file_review, locate, revert_hunk, shift_above
from mimo_lsp.fsutil import write_image
from mimo_lsp.checkpoints.tracker import FileChange, WorkspaceTracker
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


class BufferEdit(BaseModel):
    """A rejected hunk in a file open in the editor: the whole new text, for a versioned applyEdit."""

    path: str
    text: str
    # The buffer held what is on disk before the revert: once applied (and saved) the file is exactly
    # `text`, so it is journaled as such (journal_buffer_rejects); a buffer with the user's own unsaved
    # edits is not, so that a later restore still sees those edits as a conflict.
    clean: bool = Field(False, exclude=True)


class ReviewDecision(BaseModel):
    task_id: str
    verdict: str
    decided: list[str] = []  # hunk ids
    conflicts: list[dict[str, str]] = []  # {hunkId, path, reason}
    buffer_edits: list[BufferEdit] = []
    action_id: int | None = None


class CheckpointService:
    def __init__(self, workspace: Path, max_blob_bytes: int, cap_bytes: int, fsync: bool = False) -> None:
        self.workspace = workspace.resolve()
        self.data_dir = state_dir(self.workspace)
        self.journal = CheckpointJournal(self.data_dir / "journal.sqlite", fsync=fsync)
        self.blobs = BlobStore(self.data_dir / "blobs", fsync=fsync)
        self.max_blob_bytes = max_blob_bytes
        self.cap_bytes = cap_bytes

    def close(self) -> None:
        try:
            self.blobs.close()
        finally:
            self.journal.close()

    def __enter__(self) -> "CheckpointService":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _task(self, task_id: str) -> dict[str, Any]:
        row = self.journal.task(task_id)
        if row is None:
            raise KeyError(f"unknown task id: {task_id}")
        return row

    def tasks(self) -> list[dict[str, Any]]:
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

    # -- review ------------------------------------------------------------------------------
    def review(self, task_id: str, open_text: "Callable[[str], str | None] | None" = None,
               only: str | None = None) -> builtins.list[FileReview]:
        """The task's change set (task start -> now), per file and hunk, with each hunk's decision and,
        for pending ones, where its lines are now (in the open buffer from `open_text`, else on disk).
        `only`: just this workspace-relative path (an editor asking about one document)."""
        self._task(task_id)
        actions = [a for a in self.journal.actions(task_id) if a.tool not in (EXTERNAL_TOOL, "review_reject")]
        before, latest = images_at(actions, 0)
        states = self.journal.review_states(task_id)
        out = []
        for path, img in sorted(before.items()):
            if not img.captured or (only is not None and path != only):
                continue
            old = blob_or_none(self.blobs, img.digest)
            # What the agent left (not whatever is on disk now: the user's own edits are not the agent's hunks).
            new = blob_or_none(self.blobs, latest[path].digest)
            fr = file_review(path, old, new)
            if fr is not None:
                disk = self._disk(path)
                fr.modified_since = disk != new
                for h in fr.hunks:
                    h.state = states.get(h.id, "pending")  # type: ignore[assignment]
                buffer = open_text(path) if open_text else None
                lines = text_lines(buffer.encode() if buffer is not None else disk)
                for h in fr.hunks:
                    if h.state == "pending" and lines is not None and fr.status != "binary":
                        h.current_line = locate(lines, h, shift_above(fr.hunks, h))
                out.append(fr)
        return out

    def decide(self, task_id: str, verdict: str, path: str | None = None, hunk_ids: "builtins.list[str] | None" = None,
               open_text: "Callable[[str], str | None] | None" = None) -> ReviewDecision:
        """Accept (keep) or reject (revert) hunks: all of the task, all of one file, or the named ones.

        Rejected hunks in files open in the editor come back as buffer edits (the editor applies them,
        keeping its undo stack); others are written to disk and journaled as a checkpoint.
        """
        if task_is_live(self.data_dir, task_id):
            raise TaskRunning(f"task {task_id} is running; review it when it has stopped")
        report = ReviewDecision(task_id=task_id, verdict=verdict)
        wanted: set[str] = set(hunk_ids or [])
        files = [f for f in self.review(task_id) if path is None or f.path == path]
        if hunk_ids:
            known = {h.id for f in files for h in f.hunks}
            report.conflicts += [{"hunkId": h, "path": path or "", "reason": "no such pending hunk (reviewed again?)"}
                                 for h in wanted - known]
        decisions: list[tuple[str, str, str]] = []
        start_images, _ = images_at(self.journal.actions(task_id), 0)
        tracker = WorkspaceTracker(self.workspace, self.blobs, self.max_blob_bytes, watch=False)
        tracker.state = self.journal.load_states()
        written: list[str] = []
        for f in files:
            chosen = [h for h in f.hunks if (not wanted or h.id in wanted) and h.state == "pending"]
            chosen.sort(key=lambda h: -h.new_start)  # bottom-up: earlier hunks keep their positions
            if verdict == "accept":
                decisions += [(h.id, f.path, "accepted") for h in chosen]
                continue
            buffer = open_text(f.path) if open_text else None
            current: bytes | None = buffer.encode() if buffer is not None else self._disk(f.path)
            for h in chosen:
                try:
                    if f.status == "binary" or (f.status == "added" and len(chosen) == len(f.hunks)) or \
                            (f.status == "deleted"):
                        if f.modified_since:
                            raise ValueError("the file changed since the agent's last write; reject its hunks "
                                             "one by one or restore it")
                        current = blob_or_none(self.blobs, start_images[f.path].digest)
                    else:
                        current = revert_hunk(current, h, shift_above(f.hunks, h))
                except ValueError as exc:
                    report.conflicts.append({"hunkId": h.id, "path": f.path, "reason": str(exc)})
                    continue
                decisions.append((h.id, f.path, "rejected"))
            if buffer is not None:
                report.buffer_edits.append(BufferEdit(path=f.path, text=(current or b"").decode("utf-8"),
                                                      clean=buffer.encode() == self._disk(f.path)))
            elif current != self._disk(f.path):
                mode = (self.workspace / f.path).stat().st_mode if (self.workspace / f.path).exists() else None
                write_image(self.workspace / f.path, current, mode)
                written.append(f.path)
        if written:
            changes, states = tracker.commit(written)
            report.action_id = self.journal.record_action(task_id, 0, "-", "review_reject", {"paths": written}, "",
                                                          f"rejected hunks in {len(written)} file(s)", changes, states)
        self.journal.set_review(task_id, decisions)
        report.decided = [d[0] for d in decisions]
        return report

    def journal_buffer_rejects(self, task_id: str, applied: builtins.list[BufferEdit]) -> int | None:
        """Journal reverts the editor applied to clean open buffers as a `review_reject` checkpoint whose
        post-image is the reverted text: after the user saves, a restore sees the file as the journal's."""
        changes = []
        for edit in applied:
            disk = self._disk(edit.path)
            if not edit.clean or disk is None:
                continue
            mode = (self.workspace / edit.path).stat().st_mode
            changes.append(FileChange(path=edit.path, pre=self.blobs.put(disk), post=self.blobs.put(edit.text.encode()),
                                      pre_mode=mode, post_mode=mode))
        if not changes:
            return None
        return self.journal.record_action(task_id, 0, "-", "review_reject",
                                          {"paths": [c.path for c in changes], "buffers": True}, "",
                                          f"rejected hunks in {len(changes)} open file(s); the editor saves them",
                                          changes, {})

    def _disk(self, path: str) -> bytes | None:
        return disk_or_none(self.workspace / path)

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
