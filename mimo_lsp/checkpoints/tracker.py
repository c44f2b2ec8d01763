"""WorkspaceTracker: knows every file's last state and finds what an action changed.

- First snapshot = one stat pass (no reading): files whose stat matches the state persisted by an
  earlier session keep their digest; the others are captured (read, hashed, stored) by a background
  thread. That keeps the snapshot under a second on large trees.
- File tools name their targets: `prepare(paths)` captures those pre-images right before the write and
  `commit(paths)` diffs only them. No tree walk per edit.
- Shell commands may touch anything: `prepare_command()` waits for the background capture (so every
  pre-image is known) and `commit_command()` diffs the paths the watcher saw change (after a barrier),
  or, without a watcher, does a stat pass over the tree.
- A path whose content differs from the known state before an action was changed by someone else
  (the user): it is reported as an external change, not attributed to the agent.
"""

from __future__ import annotations

import os
import stat as statmod
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from mimo_lsp.checkpoints.blobs import BlobStore
from mimo_lsp.checkpoints.capture import store_file
from mimo_lsp.workspace import FileSelection, is_temp_artifact

if TYPE_CHECKING:
    from mimo_lsp.checkpoints.watcher import DirtyWatcher

__all__ = ["FileChange", "FileState", "WorkspaceTracker", "is_temp_artifact"]


class FileState(BaseModel):
    mtime_ns: int
    size: int
    mode: int
    ino: int = 0
    digest: str | None = None  # None until captured / hashed
    captured: bool = False  # content is in the blob store

    def same_stat(self, st: os.stat_result) -> bool:
        return (self.mtime_ns, self.size, self.mode, self.ino) == (st.st_mtime_ns, st.st_size, st.st_mode, st.st_ino)


class FileChange(BaseModel):
    path: str
    pre: str | None  # digest before; None = did not exist
    post: str | None  # digest after; None = deleted
    pre_mode: int | None = None
    post_mode: int | None = None
    captured: bool = True  # both images are in the blob store


class WorkspaceTracker:
    def __init__(self, root: Path, blobs: BlobStore, max_blob_bytes: int = 4 << 20, watch: bool = True) -> None:
        self.root = root
        self.blobs = blobs
        self.max_blob_bytes = max_blob_bytes
        self.selection = FileSelection(root)  # the workspace's files: the same selection as the walker's
        self.state: dict[str, FileState] = {}
        self._lock = threading.RLock()
        self._captured = threading.Event()
        self._stop = threading.Event()
        self._capture_thread: threading.Thread | None = None
        self.watcher: DirtyWatcher | None = None
        self._watch = watch

    # -- snapshot ---------------------------------------------------------------------------
    def scan(self) -> dict[str, os.stat_result]:
        return dict(self.selection.walk())

    def start(self, persisted: dict[str, FileState], data_dir: Path) -> int:
        """One stat pass; reuse what the journal knew; capture the rest in the background."""
        if self._watch:
            from mimo_lsp.checkpoints.watcher import DirtyWatcher

            watcher = DirtyWatcher(self.root, data_dir)
            self.watcher = watcher if watcher.start() else None
        found = self.scan()
        with self._lock:
            self.state = {}
            for rel, st in found.items():
                old = persisted.get(rel)
                if old is not None and old.same_stat(st) and old.digest is not None:
                    self.state[rel] = old
                else:
                    self.state[rel] = FileState(mtime_ns=st.st_mtime_ns, size=st.st_size, mode=st.st_mode,
                                                ino=st.st_ino)
        self._capture_thread = threading.Thread(target=self._capture_all, name="mimo-baseline", daemon=True)
        self._capture_thread.start()
        return len(found)

    def stop(self) -> None:
        self._stop.set()
        worker = getattr(self, "_worker", None)
        if worker is not None and worker.poll() is None:
            worker.kill()
        if self.watcher is not None:
            self.watcher.stop()
        if self._capture_thread is not None:
            self._capture_thread.join(timeout=10)

    def _capture_all(self) -> None:
        with self._lock:
            pending = [rel for rel, fs in self.state.items() if fs.digest is None]
        try:
            if pending:
                self._capture_in_worker(pending)
        except Exception:  # the worker could not run: capture here, slower for the agent but complete
            self._capture_here(pending)
        finally:
            self._captured.set()

    def _capture_in_worker(self, pending: list[str]) -> None:
        import subprocess
        import sys

        proc = subprocess.Popen(
            [sys.executable, "-m", "mimo_lsp.checkpoints.capture", str(self.root), str(self.blobs.root),
             str(self.max_blob_bytes)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=False)
        self._worker = proc
        stdin, stdout = proc.stdin, proc.stdout
        assert stdin is not None and stdout is not None
        feeder = threading.Thread(target=lambda: (stdin.write(b"\0".join(os.fsencode(p) for p in pending)),
                                                  stdin.close()), daemon=True)
        feeder.start()
        seen = 0
        for line in stdout:
            rel, mtime, size, mode, ino, digest, captured = os.fsdecode(line.rstrip(b"\n")).split("\t")
            seen += 1
            fs = None if digest == "-" else FileState(mtime_ns=int(mtime), size=int(size), mode=int(mode),
                                                      ino=int(ino), digest=digest, captured=captured == "1")
            self._settle(rel, fs)
        feeder.join()
        if proc.wait() != 0 or seen != len(pending):
            raise RuntimeError(f"capture worker stopped after {seen} of {len(pending)} files")

    def _capture_here(self, pending: list[str]) -> None:
        for rel in pending:
            if self._stop.is_set():
                return
            with self._lock:
                known = self.state.get(rel)
            if known is None or known.digest is not None:
                continue
            self._settle(rel, self.read(rel))

    def _settle(self, rel: str, current: FileState | None) -> None:
        with self._lock:
            known = self.state.get(rel)
            if known is None or known.digest is not None:
                return  # an action recorded this file meanwhile; its state wins
            # Changed between the stat pass and now: this is its content now, and the
            # pre-action state for whatever changes it next.
            if current is None:
                self.state.pop(rel, None)
            else:
                self.state[rel] = current

    def wait_captured(self, timeout: float | None = None) -> bool:
        return self._captured.wait(timeout)

    def states(self) -> dict[str, FileState]:
        with self._lock:
            return dict(self.state)

    # -- one file ---------------------------------------------------------------------------
    def read(self, rel: str) -> FileState | None:
        """Current state of one file, its content stored (unless over the size cap)."""
        stored = store_file(self.root / rel, self.blobs, self.max_blob_bytes)
        if stored is None:
            return None
        st, digest, captured = stored
        return FileState(mtime_ns=st.st_mtime_ns, size=st.st_size, mode=st.st_mode, ino=st.st_ino, digest=digest,
                         captured=captured)

    def _diff(self, paths: set[str]) -> tuple[list[FileChange], dict[str, FileState | None]]:
        """Compare the named paths against the known state; the new state becomes known."""
        changes: list[FileChange] = []
        updates: dict[str, FileState | None] = {}
        with self._lock:
            for rel in sorted(paths):
                if is_temp_artifact(rel):
                    continue
                old = self.state.get(rel)
                try:
                    st = (self.root / rel).lstat()
                except (FileNotFoundError, NotADirectoryError):
                    st = None
                if st is not None and statmod.S_ISDIR(st.st_mode):
                    continue
                if old is not None and st is not None and old.same_stat(st):
                    if old.digest is None:  # unchanged, not yet captured: capture now, no change
                        fresh = self.read(rel)
                        if fresh is not None:
                            self.state[rel] = fresh
                            updates[rel] = fresh
                    continue
                new = self.read(rel) if st is not None else None
                if old is None and new is None:
                    continue
                if old is not None and old.digest is None:  # changed before it was captured: pre-image unknown
                    old = old.model_copy(update={"captured": False})
                if new is not None:
                    self.state[rel] = new
                else:
                    self.state.pop(rel, None)
                updates[rel] = new
                if old is not None and new is not None and old.digest == new.digest and old.mode == new.mode:
                    continue  # touched, not changed
                changes.append(FileChange(
                    path=rel, pre=old.digest if old else None, post=new.digest if new else None,
                    pre_mode=old.mode if old else None, post_mode=new.mode if new else None,
                    captured=(old is None or old.captured) and (new is None or new.captured)))
        return changes, updates

    # -- actions ----------------------------------------------------------------------------
    def prepare(self, paths: list[str]) -> tuple[list[FileChange], list[FileChange], dict[str, FileState | None]]:
        """Before a file tool writes: (external changes found, intents with pre-images, state updates)."""
        external, updates = self._diff(set(paths))
        with self._lock:
            intents = [FileChange(path=p, pre=self.state[p].digest if p in self.state else None, post=None,
                                  pre_mode=self.state[p].mode if p in self.state else None) for p in paths]
        return external, intents, updates

    def commit(self, paths: list[str]) -> tuple[list[FileChange], dict[str, FileState | None]]:
        return self._diff(set(paths))

    def prepare_command(self) -> tuple[list[FileChange], dict[str, FileState | None]]:
        """Before a shell command: every pre-image known, and user edits so far set apart."""
        self.wait_captured()
        return self._diff(self._dirty_candidates())

    def commit_command(self) -> tuple[list[FileChange], dict[str, FileState | None]]:
        return self._diff(self._dirty_candidates())

    def _dirty_candidates(self) -> set[str]:
        if self.watcher is not None and self.watcher.active and self.watcher.barrier():
            dirty = self.watcher.drain()
            out: set[str] = set()
            with self._lock:
                known = list(self.state)
            for entry in dirty:
                rel = entry.rstrip("/")
                if not entry.endswith("/"):
                    out.add(rel)
                    continue
                full = self.root / rel
                if full.is_dir() and not full.is_symlink():  # created or moved-in directory: all of it
                    out.update(r for r, _ in self.selection.walk(under=rel))
                prefix = rel + "/"
                out.update(k for k in known if k.startswith(prefix))  # deleted / moved-away directory
            # What a stat scan would see: the same selection, each parent folder included.
            return {p for p in out if self.selection.selected(p)}
        # No watcher: a stat pass over the whole tree.
        found = self.scan()
        with self._lock:
            changed = {rel for rel, st in found.items()
                       if rel not in self.state or not self.state[rel].same_stat(st)}
            changed |= set(self.state) - set(found)
        return changed

    def changed_since_known(self) -> list[str]:
        """Stat pass: paths whose state differs from the known one (after a crash, before resume)."""
        found = self.scan()
        with self._lock:
            out = {rel for rel, st in found.items() if rel not in self.state or not self.state[rel].same_stat(st)}
            out |= set(self.state) - set(found)
        return sorted(out)
