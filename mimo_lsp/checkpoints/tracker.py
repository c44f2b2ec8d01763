"""Finds what an action changed on disk, whichever tool did it (edits or shell side effects).

The first scan captures every file's content into the blob store (deduplicated, so unchanged
content costs a hash, not a copy); after each action a stat pass finds changed files, whose
pre-image is the captured blob. Files over `max_blob_bytes` are tracked by hash only.
"""

from __future__ import annotations

import stat as statmod
from pathlib import Path

from pydantic import BaseModel

from mimo_lsp.checkpoints.blobs import BlobStore, content_hash
from mimo_lsp.workspace import IgnoreRules, iter_files


class FileState(BaseModel):
    mtime_ns: int
    size: int
    mode: int
    digest: str
    captured: bool  # content is in the blob store


class FileChange(BaseModel):
    path: str
    pre: str | None  # digest before; None = did not exist
    post: str | None  # digest after; None = deleted
    pre_mode: int | None = None
    post_mode: int | None = None
    captured: bool = True  # both images are in the blob store


class WorkspaceTracker:
    def __init__(self, root: Path, blobs: BlobStore, max_blob_bytes: int = 4 << 20) -> None:
        self.root = root
        self.blobs = blobs
        self.max_blob_bytes = max_blob_bytes
        self.rules = IgnoreRules(root)
        self.state: dict[str, FileState] = {}

    def _read_state(self, rel: str, st) -> FileState | None:
        path = self.root / rel
        try:
            if statmod.S_ISLNK(st.st_mode):
                data = str(path.readlink()).encode()
            else:
                data = path.read_bytes()
        except OSError:
            return None
        if len(data) <= self.max_blob_bytes:
            digest, captured = self.blobs.put(data), True
        else:
            digest, captured = content_hash(data), False
        return FileState(mtime_ns=st.st_mtime_ns, size=st.st_size, mode=st.st_mode, digest=digest, captured=captured)

    def capture(self) -> int:
        """Baseline: record every file. Returns the number of files."""
        self.state = {}
        for rel, st in iter_files(self.root, self.rules):
            fs = self._read_state(rel, st)
            if fs is not None:
                self.state[rel] = fs
        return len(self.state)

    def refresh(self) -> list[FileChange]:
        """Changes since the last capture/refresh; the new state becomes the reference."""
        seen: dict[str, FileState] = {}
        changes: list[FileChange] = []
        for rel, st in iter_files(self.root, self.rules):
            old = self.state.get(rel)
            if old and old.mtime_ns == st.st_mtime_ns and old.size == st.st_size and old.mode == st.st_mode:
                seen[rel] = old
                continue
            new = self._read_state(rel, st)
            if new is None:
                continue
            seen[rel] = new
            if old is None or old.digest != new.digest or old.mode != new.mode:
                changes.append(FileChange(path=rel, pre=old.digest if old else None, post=new.digest,
                                          pre_mode=old.mode if old else None, post_mode=new.mode,
                                          captured=new.captured and (old is None or old.captured)))
        for rel, old in self.state.items():
            if rel not in seen:
                changes.append(FileChange(path=rel, pre=old.digest, post=None, pre_mode=old.mode, captured=old.captured))
        self.state = seen
        return sorted(changes, key=lambda c: c.path)
