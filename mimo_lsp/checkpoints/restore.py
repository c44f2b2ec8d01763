"""Restore files to any checkpoint, diff between checkpoints, roll back an interrupted action.

Rules: a file is only written when its current content is what the journal last recorded for it
(otherwise someone else changed it: a conflict, reported and left alone); its current content is
stored in the blob store first, so a restore itself can always be undone. Every restore is journaled
as an action of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from mimo_lsp.checkpoints.blobs import BlobStore
from mimo_lsp.checkpoints.diffs import blob_or_none, disk_or_none, unified_diff
from mimo_lsp.checkpoints.journal import EXTERNAL_TOOL, RESTORE_TOOL, ActionRecord, CheckpointJournal
from mimo_lsp.checkpoints.tracker import FileChange, WorkspaceTracker
from mimo_lsp.fsutil import write_image

RestoreMode = Literal["files", "task", "both"]


class Conflict(BaseModel):
    path: str
    reason: str


class RestoreReport(BaseModel):
    task_id: str
    checkpoint_id: int
    mode: RestoreMode
    restored: list[str] = []
    conflicts: list[Conflict] = []
    not_captured: list[str] = []
    action_id: int | None = None


class Image(BaseModel):
    digest: str | None  # None = the file does not exist
    mode: int | None
    captured: bool = True


def images_at(actions: list[ActionRecord], checkpoint_id: int) -> tuple[dict[str, Image], dict[str, Image]]:
    """For every path changed after `checkpoint_id` (0 = task start): (image at the checkpoint, latest image)."""
    at: dict[str, Image] = {}
    latest: dict[str, Image] = {}
    for a in actions:
        if a.state not in ("done", "rolled_back") or a.id <= checkpoint_id:
            continue
        for c in a.changes:
            if c.path not in at:
                at[c.path] = Image(digest=c.pre, mode=c.pre_mode, captured=c.captured or c.pre is None)
            latest[c.path] = Image(digest=c.post, mode=c.post_mode)
    return at, latest


def restore_files(task_id: str, checkpoint_id: int, mode: RestoreMode, journal: CheckpointJournal,
                  tracker: WorkspaceTracker, blobs: BlobStore, step: int = 0, node_id: str = "-",
                  only_node: bool = False) -> RestoreReport:
    """`node_id` names the plan node whose failed attempt this undoes ("-" = a user's restore).
    `only_node`: only the files that node's own actions changed since the checkpoint (nodes that ran at
    the same time keep their work)."""
    report = RestoreReport(task_id=task_id, checkpoint_id=checkpoint_id, mode=mode)
    actions = journal.actions(task_id)
    if checkpoint_id and not any(a.id == checkpoint_id and a.state == "done" for a in actions):
        raise KeyError(f"task {task_id} has no checkpoint {checkpoint_id}")
    target, latest = images_at(actions, checkpoint_id)
    if only_node:
        mine = {c.path for a in actions if a.id > checkpoint_id and a.node_id == node_id for c in a.changes}
        target = {path: image for path, image in target.items() if path in mine}
    # Files someone else changed during the task are theirs: never reverted, reported instead.
    external = {c.path for a in actions if a.tool == EXTERNAL_TOOL and a.id > checkpoint_id for c in a.changes}
    root = tracker.root
    to_write: list[str] = []
    for path in sorted(target):
        if path in external:
            report.conflicts.append(Conflict(path=path, reason="changed outside the agent during the task"))
            continue
        want = target[path]
        current = tracker.read(path)  # also stores what is there now
        now = current.digest if current else None
        if now == want.digest and (current is None or want.mode is None or current.mode == want.mode):
            continue  # already there
        if now != latest[path].digest:
            report.conflicts.append(Conflict(path=path, reason="changed outside the agent since its last checkpoint"))
            continue
        if not want.captured:
            report.not_captured.append(path)
            continue
        write_image(root / path, blob_or_none(blobs, want.digest), want.mode)
        to_write.append(path)
    changes, states = tracker.commit(to_write)
    report.restored = [c.path for c in changes]
    summary = f"restored {len(report.restored)} file(s) to checkpoint {checkpoint_id}"
    if report.conflicts:
        summary += f"; {len(report.conflicts)} conflict(s) left alone: " + ", ".join(c.path for c in report.conflicts)
    report.action_id = journal.record_action(task_id, step, node_id, RESTORE_TOOL,
                                             {"checkpoint_id": checkpoint_id, "mode": mode}, "", summary,
                                             changes, states)
    return report


def diff_between(actions: list[ActionRecord], blobs: BlobStore, from_id: int, to_id: int | None,
                 root: Path | None = None) -> str:
    """Unified diff from checkpoint `from_id` to checkpoint `to_id`, or to the working tree (to_id None)."""
    window = actions if to_id is None else [a for a in actions if a.id <= to_id]
    before, after = images_at(window, from_id)
    parts = []
    for path in sorted(before):
        a = before[path]
        if not a.captured:
            parts.append(f"File {path} changed (content before was not captured)\n")
            continue
        old = blob_or_none(blobs, a.digest)
        if to_id is None and root is not None:
            new = disk_or_none(root / path)
        else:
            new = blob_or_none(blobs, after[path].digest)
        parts.append(unified_diff(path, old, new))
    return "".join(parts)


def change_diff(change: FileChange, blobs: BlobStore) -> str:
    if not change.captured:
        return f"File {change.path} changed (content not captured: over the size cap or never read)\n"
    return unified_diff(change.path, blob_or_none(blobs, change.pre), blob_or_none(blobs, change.post))
