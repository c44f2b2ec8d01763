"""Atomic file writes: temp file in the same directory + rename, so a crash or a full disk never
leaves a torn file under the real name."""

from __future__ import annotations

import os
import stat as statmod
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write `data` to `path`; keep the existing permission bits unless `mode` is given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.mimo-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_image(path: Path, data: bytes | None, mode: int | None) -> None:
    """Make `path` hold exactly this image: content and mode, a symlink, or nothing (None)."""
    if data is None:
        if path.is_symlink() or path.exists():
            path.unlink()
        return
    if mode is not None and statmod.S_ISLNK(mode):
        if path.is_symlink() or path.exists():
            path.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.fsdecode(data), path)
        return
    if path.is_symlink():
        path.unlink()
    atomic_write(path, data, None if mode is None else mode & 0o7777)
