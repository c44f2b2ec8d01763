"""Unified diffs between file images held in the blob store (or on disk)."""

from __future__ import annotations

import difflib
from pathlib import Path

from mimo_lsp.checkpoints.blobs import BlobStore


def text_lines(data: bytes | None) -> list[str] | None:
    """Lines with their endings; [] for an absent file, None for a binary one."""
    if data is None:
        return []
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace").splitlines(keepends=True)


def unified_diff(path: str, before: bytes | None, after: bytes | None) -> str:
    """git-style diff of one file; None means absent (creation / deletion)."""
    if before == after:
        return ""
    a, b = text_lines(before), text_lines(after)
    if a is None or b is None:
        return f"Binary files a/{path} and b/{path} differ\n"
    from_name = f"a/{path}" if before is not None else "/dev/null"
    to_name = f"b/{path}" if after is not None else "/dev/null"
    lines = []
    for line in difflib.unified_diff(a, b, from_name, to_name):
        lines.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(lines)


def blob_or_none(blobs: BlobStore, digest: str | None) -> bytes | None:
    return None if digest is None else blobs.get(digest)


def disk_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
