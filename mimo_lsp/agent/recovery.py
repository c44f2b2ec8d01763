"""Resume after a crash: the action that was running when the process died is found in the intent
log, its partial effects are journaled (so nothing is lost) and then undone exactly."""

from __future__ import annotations

from pathlib import Path

from mimo_lsp.checkpoints.blobs import BlobStore
from mimo_lsp.checkpoints.diffs import blob_or_none
from mimo_lsp.checkpoints.journal import ROLLBACK_TOOL, CheckpointJournal
from mimo_lsp.checkpoints.tracker import WorkspaceTracker
from mimo_lsp.fsutil import write_image
from mimo_lsp.tools.shell import kill_recorded_group


def recover_interrupted(task_id: str, workspace: Path, journal: CheckpointJournal, tracker: WorkspaceTracker,
                        blobs: BlobStore, group_file: Path) -> list[str]:
    """A started-but-unfinished action: journal its partial effects, then undo them exactly.
    Returns the workspace-relative paths rolled back."""
    interrupted = journal.pending_intents(task_id)
    # A command the crash interrupted may still be running (orphaned): stop it before looking.
    kill_recorded_group(group_file)
    for a in interrupted:  # an atomic write cut short leaves its temp file next to the target
        for target in a.intents:
            path = workspace / target.path
            for stray in path.parent.glob(f".{path.name}.mimo-*"):
                stray.unlink(missing_ok=True)
    changed = set(tracker.changed_since_known())
    mine: set[str] = set()
    for a in interrupted:
        if a.tool == "run_command":
            cutoff = a.started - 2.0  # file-system timestamp granularity
            for rel in changed:
                try:
                    if (workspace / rel).lstat().st_mtime >= cutoff:
                        mine.add(rel)
                except FileNotFoundError:
                    mine.add(rel)  # deleted: only an action can have done that while we were down
        else:
            mine |= {i.path for i in a.intents} & changed
    rolled: list[str] = []
    for a in interrupted:
        before = tracker.states()
        partial, states = tracker.commit(sorted(mine))
        rolled_id = journal.finish_action(a, "interrupted; rolled back on resume", False, partial, states,
                                               state="rolled_back")
        undo_paths = []
        for c in partial:
            old = before.get(c.path)
            if old is not None and not old.captured:
                continue  # cannot restore what was never captured; reported by the diff
            write_image(workspace / c.path, None if old is None else blob_or_none(blobs, old.digest),
                        None if old is None else old.mode)
            undo_paths.append(c.path)
        undo, states = tracker.commit(undo_paths)
        journal.record_action(task_id, a.step, a.node_id, ROLLBACK_TOOL, {"action_id": rolled_id}, "",
                                   f"rolled back {len(undo)} file(s) of interrupted step {a.step}", undo, states)
        rolled += [c.path for c in undo]
        mine = set()
    return rolled
