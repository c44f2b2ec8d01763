"""Audit trail: per task, append-only JSONL, each record hash-chained to the previous one.

Record: {"seq", "ts", "layer", "event", "data", "prev", "hash"}; hash = sha256 of the canonical JSON of
the record without "hash". Layers: decision (what the model chose and why), authorization (rule matched,
confirmation asked / answered), execution (exact command, sandbox profile, times, exit code, output
digest), outcome (files changed with hashes, checkpoint id, verification, rollback), task (start, plan,
check, done). The chain head is also anchored in the checkpoint journal, so cutting records off the end
is detected too.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel

GENESIS = "0" * 64


def digest(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


def _record_hash(record: dict[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    return digest(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


class AuditTrail:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._pending: list[bytes] = []
        self.head, self.count = GENESIS, 0
        if path.exists():  # a resumed task continues its chain
            records, problem = read_records(path)
            if records and problem is None:
                self.head, self.count = records[-1]["hash"], len(records)

    def append(self, layer: str, event: str, data: dict[str, Any], flush: bool = True) -> str:
        """Chain one record; with flush=False it is written with the next flushed one (one write)."""
        with self._lock:
            record: dict[str, Any] = {"seq": self.count + 1, "ts": round(time.time(), 6), "layer": layer, "event": event,
                      "data": data, "prev": self.head}
            record["hash"] = _record_hash(record)
            self._pending.append((json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n").encode())
            self.head, self.count = record["hash"], record["seq"]
            if flush:
                self._flush()
            return self.head

    def _flush(self) -> None:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        data, self._pending = b"".join(self._pending), []
        if os.write(self._fd, data) != len(data):
            raise OSError(f"short write to {self.path}")

    def close(self) -> None:
        with self._lock:
            if self._pending:
                self._flush()
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def read_records(path: Path) -> tuple[list[dict[str, Any]], str | None]:
    """All records; the problem found, if any, as a message naming the first bad record."""
    records: list[dict[str, Any]] = []
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        return [], f"no audit trail at {path}"
    prev = GENESIS
    for n, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
        except ValueError:
            return records, f"record {n}: not valid JSON (edited or cut)"
        if not isinstance(record, dict) or "hash" not in record:
            return records, f"record {n}: malformed"
        if record.get("seq") != n:
            return records, f"record {n}: sequence {record.get('seq')} (inserted, deleted or reordered)"
        if record.get("prev") != prev:
            return records, f"record {n}: does not chain to record {n - 1} (inserted, deleted or reordered)"
        if _record_hash(record) != record["hash"]:
            return records, f"record {n}: content does not match its hash (edited)"
        records.append(record)
        prev = record["hash"]
    return records, None


class Verification(BaseModel):
    ok: bool
    records: int
    head: str
    problem: str | None = None


def verify(path: Path, anchor_head: str | None = None, anchor_count: int | None = None) -> Verification:
    records, problem = read_records(path)
    head = records[-1]["hash"] if records else GENESIS
    if problem is None and anchor_count is not None and anchor_head is not None:
        if len(records) < anchor_count:
            problem = f"record {len(records) + 1}: missing; the journal anchored {anchor_count} records (truncated)"
        elif records[anchor_count - 1]["hash"] != anchor_head if anchor_count else False:
            problem = f"record {anchor_count}: differs from the head anchored in the journal"
    return Verification(ok=problem is None, records=len(records), head=head, problem=problem)


def audit_path(data_dir: Path, task_id: str) -> Path:
    return data_dir / "audit" / f"{task_id}.jsonl"
