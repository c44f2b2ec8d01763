"""Baseline capture worker: a separate, low-priority process that reads, hashes and stores files.

Run by WorkspaceTracker so that capturing a large workspace in the background never holds the
agent's interpreter lock. Input: NUL-separated relative paths on stdin. Output, one line per path:
`rel \\t mtime_ns \\t size \\t mode \\t ino \\t digest \\t captured` (digest "-" when the file is gone).

    python -m mimo_lsp.checkpoints.capture ROOT BLOB_DIR MAX_BLOB_BYTES
"""

from __future__ import annotations

import os
import stat as statmod
import sys
from pathlib import Path

from mimo_lsp.checkpoints.blobs import BlobStore, content_hash


def store_file(path: Path, blobs: BlobStore, max_bytes: int) -> tuple[os.stat_result, str, bool] | None:
    """(lstat, digest, captured) of one file, its content stored unless over `max_bytes` (then hashed only).
    None when it is gone or a directory; a symlink is stored as its target."""
    try:
        st = path.lstat()
        if statmod.S_ISDIR(st.st_mode):
            return None
        data = os.readlink(path).encode() if statmod.S_ISLNK(st.st_mode) else path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if len(data) <= max_bytes:
        return st, blobs.put(data), True
    return st, content_hash(data), False


def capture_one(root: Path, rel: str, blobs: BlobStore, max_bytes: int) -> str:
    try:
        stored = store_file(root / rel, blobs, max_bytes)
    except OSError as exc:
        print(f"capture: {rel}: {exc}", file=sys.stderr)
        stored = None
    if stored is None:
        return f"{rel}\t0\t0\t0\t0\t-\t0"
    st, digest, captured = stored
    return f"{rel}\t{st.st_mtime_ns}\t{st.st_size}\t{st.st_mode}\t{st.st_ino}\t{digest}\t{int(captured)}"


def main() -> int:
    root, blob_dir, max_bytes = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    try:
        os.nice(10)  # background work: the agent and the editor come first
    except OSError:
        pass
    blobs = BlobStore(blob_dir)
    out = sys.stdout
    for raw in sys.stdin.buffer.read().split(b"\0"):
        if raw:
            out.write(capture_one(root, os.fsdecode(raw), blobs, max_bytes) + "\n")
            out.flush()
    blobs.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
