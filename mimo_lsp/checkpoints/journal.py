"""CheckpointJournal: SQLite (WAL) record of tasks and of every action with its file images."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from mimo_lsp.checkpoints.tracker import FileChange

SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
  id TEXT PRIMARY KEY, goal TEXT NOT NULL, workspace TEXT NOT NULL, model TEXT,
  status TEXT NOT NULL, outcome TEXT, reason TEXT, plan_json TEXT,
  created REAL NOT NULL, updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (
  id INTEGER PRIMARY KEY AUTOINCREMENT, task_id TEXT NOT NULL REFERENCES tasks(id),
  step INTEGER NOT NULL, node_id TEXT NOT NULL, tool TEXT NOT NULL, args_json TEXT NOT NULL,
  thought TEXT NOT NULL, observation TEXT NOT NULL, ok INTEGER NOT NULL, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS file_changes (
  checkpoint_id INTEGER NOT NULL REFERENCES checkpoints(id), path TEXT NOT NULL,
  pre TEXT, post TEXT, pre_mode INTEGER, post_mode INTEGER, captured INTEGER NOT NULL,
  PRIMARY KEY (checkpoint_id, path)
);
CREATE INDEX IF NOT EXISTS checkpoints_task ON checkpoints(task_id, step);
"""


class CheckpointRecord(BaseModel):
    id: int
    task_id: str
    step: int
    node_id: str
    tool: str
    args: dict[str, Any]
    thought: str
    observation: str
    ok: bool
    created: float
    changes: list[FileChange] = []


class CheckpointJournal:
    def __init__(self, db_path: Path) -> None:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        self.path = db_path
        self._db = sqlite3.connect(str(db_path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def start_task(self, task_id: str, goal: str, workspace: Path, model: str) -> None:
        now = time.time()
        with self._lock:
            self._db.execute(
                "INSERT INTO tasks(id, goal, workspace, model, status, created, updated) VALUES (?,?,?,?,?,?,?)",
                (task_id, goal, str(workspace), model, "running", now, now),
            )

    def update_task(self, task_id: str, **fields: Any) -> None:
        allowed = {"status", "outcome", "reason", "plan_json"}
        sets = {k: v for k, v in fields.items() if k in allowed}
        cols = ", ".join(f"{k}=?" for k in sets)
        with self._lock:
            self._db.execute(f"UPDATE tasks SET {cols}, updated=? WHERE id=?", (*sets.values(), time.time(), task_id))

    def record(self, task_id: str, step: int, node_id: str, tool: str, args: dict[str, Any], thought: str,
               observation: str, ok: bool, changes: list[FileChange]) -> int:
        """One durable checkpoint: the action, its observation and every file it changed, atomically."""
        with self._lock:
            cur = self._db.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                cur.execute(
                    "INSERT INTO checkpoints(task_id, step, node_id, tool, args_json, thought, observation, ok, created)"
                    " VALUES (?,?,?,?,?,?,?,?,?)",
                    (task_id, step, node_id, tool, json.dumps(args), thought, observation, int(ok), time.time()),
                )
                cp_id = int(cur.lastrowid)
                cur.executemany(
                    "INSERT INTO file_changes VALUES (?,?,?,?,?,?,?)",
                    [(cp_id, c.path, c.pre, c.post, c.pre_mode, c.post_mode, int(c.captured)) for c in changes],
                )
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
        return cp_id

    def checkpoints(self, task_id: str) -> list[CheckpointRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, task_id, step, node_id, tool, args_json, thought, observation, ok, created"
                " FROM checkpoints WHERE task_id=? ORDER BY id", (task_id,)
            ).fetchall()
            changes = self._db.execute(
                "SELECT fc.checkpoint_id, fc.path, fc.pre, fc.post, fc.pre_mode, fc.post_mode, fc.captured"
                " FROM file_changes fc JOIN checkpoints c ON c.id = fc.checkpoint_id WHERE c.task_id=?"
                " ORDER BY fc.checkpoint_id, fc.path", (task_id,)
            ).fetchall()
        by_cp: dict[int, list[FileChange]] = {}
        for cp, path, pre, post, pre_mode, post_mode, captured in changes:
            by_cp.setdefault(cp, []).append(FileChange(path=path, pre=pre, post=post, pre_mode=pre_mode,
                                                       post_mode=post_mode, captured=bool(captured)))
        return [
            CheckpointRecord(id=r[0], task_id=r[1], step=r[2], node_id=r[3], tool=r[4], args=json.loads(r[5]),
                             thought=r[6], observation=r[7], ok=bool(r[8]), created=r[9], changes=by_cp.get(r[0], []))
            for r in rows
        ]

    def task(self, task_id: str) -> dict[str, Any] | None:
        with self._lock:
            cur = self._db.execute("SELECT * FROM tasks WHERE id=?", (task_id,))
            row = cur.fetchone()
            return dict(zip([d[0] for d in cur.description], row)) if row else None
