"""Per-hunk review of a task's change set: list hunks with stable ids, reject (revert) some, accept others.

The agent's edits are on disk as soon as they are checkpointed; review decides what stays. A hunk is
the unit of a unified diff between the task-start image and the file now. Its id hashes the path and
the hunk's old and new lines (not its position), so it survives other hunks being decided first.
Rejecting a hunk replaces its new lines by its old lines in the current content; if the current content
no longer holds those new lines there, the hunk is a conflict and nothing is written.
"""

from __future__ import annotations

import difflib
import hashlib
from typing import Literal

from pydantic import BaseModel

from mimo_lsp.checkpoints.diffs import text_lines

HunkState = Literal["pending", "accepted", "rejected"]


class Hunk(BaseModel):
    id: str
    old_start: int  # 1-based; for an insertion, the line after which it goes (0 = top)
    old_lines: int
    new_start: int
    new_lines: int
    old: list[str]  # lines with their newline
    new: list[str]
    header: str
    state: HunkState = "pending"


class FileReview(BaseModel):
    path: str
    status: Literal["added", "modified", "deleted", "binary"]
    hunks: list[Hunk]
    modified_since: bool = False  # the file on disk is no longer what the agent left (someone edited it)


def hunk_id(path: str, old: list[str], new: list[str]) -> str:
    h = hashlib.sha256(path.encode())
    for part in (old, new):
        h.update(b"\0" + "".join(part).encode())
    return h.hexdigest()[:12]


def file_review(path: str, before: bytes | None, after: bytes | None) -> FileReview | None:
    """Hunks from `before` (task start) to `after` (now); None when unchanged."""
    if before == after:
        return None
    status = "added" if before is None else "deleted" if after is None else "modified"
    a, b = text_lines(before), text_lines(after)
    if a is None or b is None:
        return FileReview(path=path, status="binary", hunks=[Hunk(
            id=hunk_id(path, ["<binary>"], [hashlib.sha256(after or b"").hexdigest()]), old_start=0, old_lines=0,
            new_start=0, new_lines=0, old=[], new=[], header="binary file changed")])
    hunks = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(0):  # no context: each hunk is exactly one change
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        old, new = a[i1:i2], b[j1:j2]
        header = f"@@ -{i1 + (1 if old else 0)},{len(old)} +{j1 + (1 if new else 0)},{len(new)} @@"
        hunks.append(Hunk(id=hunk_id(path, old, new), old_start=i1 + 1 if old else i1, old_lines=len(old),
                          new_start=j1 + 1 if new else j1, new_lines=len(new), old=old, new=new, header=header))
    return FileReview(path=path, status=status, hunks=hunks)


def revert_hunk(current: bytes | None, hunk: Hunk) -> bytes | None:
    """`current` with this hunk undone; raises ValueError when the hunk's new lines are not where expected."""
    lines = text_lines(current)
    if lines is None:
        raise ValueError("binary file: reject the whole file instead")
    start = hunk.new_start - 1 if hunk.new_lines else hunk.new_start
    if lines[start:start + hunk.new_lines] != hunk.new:
        raise ValueError("the file changed where this hunk is; review it again")
    out = lines[:start] + hunk.old + lines[start + hunk.new_lines:]
    return "".join(out).encode("utf-8")
