"""Isolated scratch copies of the working tree, one per Max Mode candidate.

Only the selected files are copied (`workspace.FileSelection`: no `.git`, no `.mimo`, no virtualenvs,
caches or `.gitignore`d build output), each as a reflink where the file system supports it (copy on
write: no data copied), else as a plain copy. Never hard links: a command run in a candidate's tree
could write through a shared inode into the user's file. The user's `.git` is never touched.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from mimo_lsp.workspace import FileSelection, iter_files

try:  # Linux FICLONE ioctl: a reflink on btrfs / xfs / overlay with reflink support
    import fcntl

    _FICLONE = 0x40049409
except ImportError:  # pragma: no cover - not Linux
    fcntl = None  # type: ignore[assignment]


def _reflink(src: Path, dst: Path) -> bool:
    if fcntl is None:
        return False
    try:
        with open(src, "rb") as s, open(dst, "wb") as d:
            fcntl.ioctl(d.fileno(), _FICLONE, s.fileno())
        shutil.copystat(src, dst)
        return True
    except OSError:
        dst.unlink(missing_ok=True)
        return False


class ScratchTree:
    """A candidate's own copy of the workspace; `changes()` says what the candidate changed."""

    def __init__(self, workspace: Path, root: Path | None = None, prefix: str = "mimo-candidate-",
                 overrides: dict[str, bytes | None] | None = None) -> None:
        """`overrides`: rel -> content (None: absent) that replaces what the workspace holds (a resumed task's
        candidates start from the files as they were before its own actions)."""
        self.workspace = workspace.resolve()
        self.root = Path(tempfile.mkdtemp(prefix=prefix, dir=root))
        self.files: dict[str, bytes] = {}  # rel -> content at copy time (the base the changes are against)
        self.reflinked = 0
        self.copied_bytes = 0
        use_reflink = True
        for rel, st in iter_files(self.workspace, FileSelection(self.workspace)):
            src, dst = self.workspace / rel, self.root / rel
            if not src.is_file() or src.is_symlink():
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            if use_reflink and _reflink(src, dst):
                self.reflinked += 1
            else:
                use_reflink = False  # the file system does not clone: do not try for every file
                shutil.copy2(src, dst)
                self.copied_bytes += st.st_size
            self.files[rel] = dst.read_bytes() if st.st_size <= 4 << 20 else b""
        for rel, data in (overrides or {}).items():
            dst = (self.root / rel).resolve()
            if not dst.is_relative_to(self.root.resolve()):
                continue
            if data is None:
                dst.unlink(missing_ok=True)
                self.files.pop(rel, None)
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.unlink(missing_ok=True)  # a reflink shares nothing, but never write through a copy's inode
            dst.write_bytes(data)
            self.files[rel] = data

    @classmethod
    def from_files(cls, files: dict[str, bytes], root: Path | None = None,
                   prefix: str = "mimo-candidate-") -> "ScratchTree":
        """A scratch tree written from a snapshot's bytes (`snapshot`): how a Ray worker, which may not see the
        coordinator's file system, gets the tree every candidate of the task starts from."""
        tree = cls.__new__(cls)
        tree.root = Path(tempfile.mkdtemp(prefix=prefix, dir=root))
        tree.workspace, tree.files, tree.reflinked, tree.copied_bytes = tree.root, {}, 0, 0
        for rel, data in files.items():
            dst = (tree.root / rel).resolve()
            if not dst.is_relative_to(tree.root.resolve()):  # a snapshot names files inside the tree only
                raise ValueError(f"snapshot path outside the tree: {rel}")
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.write_bytes(data)
            tree.copied_bytes += len(data)
            tree.files[rel] = data if len(data) <= 4 << 20 else b""
        return tree

    def changes(self) -> dict[str, bytes | None]:
        """rel -> new content (None: deleted) for every file the candidate changed, added or removed."""
        out: dict[str, bytes | None] = {}
        now = {rel for rel, _ in iter_files(self.root, FileSelection(self.root))}
        for rel in sorted(now | set(self.files)):
            path = self.root / rel
            if not path.is_file():
                out[rel] = None
                continue
            data = path.read_bytes()
            if self.files.get(rel) != data:
                out[rel] = data
        return out

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def snapshot(workspace: Path, max_bytes: int) -> dict[str, bytes]:
    """rel -> bytes of the files a scratch tree would copy (the same selection). Raises ValueError past
    `max_bytes` in all: such a tree is not shipped to workers."""
    workspace = workspace.resolve()
    out: dict[str, bytes] = {}
    total = 0
    for rel, st in iter_files(workspace, FileSelection(workspace)):
        src = workspace / rel
        if not src.is_file() or src.is_symlink():
            continue
        total += st.st_size
        if total > max_bytes:
            raise ValueError(f"the selected files exceed {max_bytes >> 20} MiB")
        out[rel] = src.read_bytes()
    return out


def normalized(changes: dict[str, bytes | None]) -> tuple[tuple[str, str | None], ...]:
    """A change set with whitespace differences ignored: what "the same fix" means for convergence."""
    def norm(data: bytes | None) -> str | None:
        if data is None:
            return None
        return "\n".join(" ".join(line.split()) for line in data.decode("utf-8", "replace").splitlines()
                         if line.strip())
    return tuple(sorted((rel, norm(data)) for rel, data in changes.items()))


__all__ = ["ScratchTree", "normalized", "snapshot"]
