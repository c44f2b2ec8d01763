"""Content-addressed, compressed, deduplicated blob store in append-only pack files.

One record per blob: MAGIC | sha256 (32 bytes) | length (8 bytes) | zlib data. A blob costs one
append to an open file (no file creation, no rename: those metadata operations dominated the cost
of a checkpoint). Each process appends to a pack of its own; the in-memory index is rebuilt by
scanning record headers and refreshed when another process's blob is asked for. A record cut short
by a crash is ignored (it was never referenced: the journal commits after the append).
"""

from __future__ import annotations

import hashlib
import os
import struct
import threading
import uuid
import zlib
from pathlib import Path

MAGIC = b"MBLB"
HEADER = struct.Struct(">4s32sQ")


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore:
    def __init__(self, root: Path, fsync: bool = False) -> None:
        self.root = root
        # An append is whole or absent for a killed process; fsync (checkpoints.fsync) also covers power loss.
        self.fsync = fsync
        self._lock = threading.Lock()
        self._index: dict[str, tuple[Path, int, int]] = {}  # digest -> (pack, data offset, data length)
        self._scanned: dict[Path, int] = {}  # pack -> bytes already indexed
        self._fd: int | None = None
        self._pack: Path | None = None

    # -- index ------------------------------------------------------------------------------
    def _scan(self) -> None:
        if not self.root.is_dir():
            return
        for pack in sorted(self.root.glob("pack-*.dat")):
            start = self._scanned.get(pack, 0)
            try:
                size = pack.stat().st_size
            except FileNotFoundError:
                continue
            if size <= start:
                continue
            with pack.open("rb") as fh:
                pos = start
                while pos + HEADER.size <= size:
                    fh.seek(pos)
                    magic, raw, length = HEADER.unpack(fh.read(HEADER.size))
                    end = pos + HEADER.size + length
                    if magic != MAGIC or end > size:
                        break  # torn tail: stop here, never index past it
                    self._index.setdefault(raw.hex(), (pack, pos + HEADER.size, length))
                    pos = end
            self._scanned[pack] = pos

    def has(self, digest: str) -> bool:
        with self._lock:
            if digest not in self._index:
                self._scan()
            return digest in self._index

    # -- write ------------------------------------------------------------------------------
    def _open_pack(self) -> int:
        if self._fd is None:
            self.root.mkdir(parents=True, exist_ok=True)
            self._pack = self.root / f"pack-{os.getpid()}-{uuid.uuid4().hex[:8]}.dat"
            self._fd = os.open(self._pack, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            self._scanned[self._pack] = 0
        return self._fd

    def put(self, data: bytes) -> str:
        digest = content_hash(data)
        with self._lock:
            if digest not in self._index:
                if not self._scanned:
                    self._scan()
                if digest in self._index:
                    return digest
                packed = zlib.compress(data, 1)
                fd = self._open_pack()
                assert self._pack is not None
                offset = self._scanned[self._pack]
                record = HEADER.pack(MAGIC, bytes.fromhex(digest), len(packed)) + packed
                written = os.write(fd, record)
                if written != len(record):
                    raise OSError(f"short write to {self._pack}: {written} of {len(record)} bytes")
                if self.fsync:
                    os.fsync(fd)
                self._index[digest] = (self._pack, offset + HEADER.size, len(packed))
                self._scanned[self._pack] = offset + len(record)
        return digest

    # -- read -------------------------------------------------------------------------------
    def get(self, digest: str) -> bytes:
        with self._lock:
            if digest not in self._index:
                self._scan()
            entry = self._index.get(digest)
        if entry is None:
            raise KeyError(f"blob {digest} is not in {self.root}")
        pack, offset, length = entry
        with pack.open("rb") as fh:
            fh.seek(offset)
            return zlib.decompress(fh.read(length))

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    # -- garbage collection -----------------------------------------------------------------
    def disk_usage(self) -> tuple[int, int]:
        """(blob count, bytes on disk)."""
        with self._lock:
            self._scan()
            packs = sum(p.stat().st_size for p in self.root.glob("pack-*.dat")) if self.root.is_dir() else 0
            return len(self._index), packs

    def compact(self, keep: set[str]) -> tuple[int, int]:
        """Rewrite the packs with only the blobs in `keep`. Only while no task writes (the caller checks)."""
        with self._lock:
            self._scan()
            old_packs = sorted(self.root.glob("pack-*.dat")) if self.root.is_dir() else []
            before = sum(p.stat().st_size for p in old_packs)
            dropped = [d for d in self._index if d not in keep]
            if not dropped:
                return 0, 0
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            new = self.root / f"pack-gc-{uuid.uuid4().hex[:8]}.dat.tmp"
            with new.open("wb") as out:
                for digest, (pack, offset, length) in self._index.items():
                    if digest in keep:
                        with pack.open("rb") as fh:
                            fh.seek(offset)
                            out.write(HEADER.pack(MAGIC, bytes.fromhex(digest), length) + fh.read(length))
                out.flush()
                os.fsync(out.fileno())
            os.replace(new, new.with_suffix(""))
            for p in old_packs:
                p.unlink()
            self._index, self._scanned, self._pack = {}, {}, None
            self._scan()
            after = sum(p.stat().st_size for p in self.root.glob("pack-*.dat"))
            return len(dropped), before - after
