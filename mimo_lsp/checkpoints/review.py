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
    # 0-based line where the hunk's new lines are now (in the open buffer, else on disk), for editors to
    # place inline actions; for a pure deletion, the line the removed lines would go back before.
    # None: not found (the user changed those lines): a reject would be a conflict.
    current_line: int | None = None


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


def locate(lines: list[str], hunk: Hunk, offset: int = 0) -> int | None:
    """Where the hunk's new lines start (0-based) in `lines`; None when they are not found.

    Tried in order: where the agent left them shifted by `offset` (the line-count change of hunks above
    that were already rejected), where the agent left them, then the one place nearest to that where the
    same lines occur (the user inserted or removed lines above). A tie between two places is None: a
    revert must not guess. A pure deletion has no new lines to look for: its place is the shifted one.
    """
    start = hunk.new_start - 1 if hunk.new_lines else hunk.new_start
    n = hunk.new_lines
    if n == 0:
        return start + offset if 0 <= start + offset <= len(lines) else None
    for cand in (start + offset, start):
        if 0 <= cand and lines[cand:cand + n] == hunk.new:
            return cand
    found = [i for i in range(len(lines) - n + 1) if lines[i:i + n] == hunk.new]
    if not found:
        return None
    found.sort(key=lambda i: abs(i - start - offset))
    if len(found) > 1 and abs(found[0] - start - offset) == abs(found[1] - start - offset):
        return None
    return found[0]


def shift_above(hunks: list[Hunk], hunk: Hunk) -> int:
    """Line-count change that rejected hunks above `hunk` already made to the file."""
    return sum(h.old_lines - h.new_lines for h in hunks
               if h.state == "rejected" and h is not hunk and h.new_start < hunk.new_start)


def revert_hunk(current: bytes | None, hunk: Hunk, offset: int = 0) -> bytes | None:
    """`current` with this hunk undone; raises ValueError when the hunk's new lines are not found."""
    lines = text_lines(current)
    if lines is None:
        raise ValueError("binary file: reject the whole file instead")
    start = locate(lines, hunk, offset)
    if start is None:
        raise ValueError("the file changed where this hunk is; review it again")
    out = lines[:start] + hunk.old + lines[start + hunk.new_lines:]
    return "".join(out).encode("utf-8")
