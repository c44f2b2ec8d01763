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


def capture_one(root: Path, rel: str, blobs: BlobStore, max_bytes: int) -> str:
    path = root / rel
    try:
        st = path.lstat()
        if statmod.S_ISDIR(st.st_mode):
            return f"{rel}\t0\t0\t0\t0\t-\t0"
        data = os.readlink(path).encode() if statmod.S_ISLNK(st.st_mode) else path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return f"{rel}\t0\t0\t0\t0\t-\t0"
    except OSError as exc:
        print(f"capture: {rel}: {exc}", file=sys.stderr)
        return f"{rel}\t0\t0\t0\t0\t-\t0"
    if len(data) <= max_bytes:
        digest, captured = blobs.put(data), 1
    else:
        digest, captured = content_hash(data), 0
    return f"{rel}\t{st.st_mtime_ns}\t{st.st_size}\t{st.st_mode}\t{st.st_ino}\t{digest}\t{captured}"


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
