"""CheckpointJournal: the durable record of tasks, model replies, actions and file images.

Every action is written twice. `begin_action` appends an intent (the action and the pre-images of
the files it is about to touch) to an append-only intent log before it runs: one write, no database
transaction. `finish_action` commits the action with every file it changed in one SQLite (WAL)
transaction: that row is the checkpoint. An intent without a row, found after a crash, is an
interrupted action: resume rolls its effects back and runs it again.

Durability: WAL with synchronous=NORMAL survives a killed process (kill -9) at any instant; set
`fsync=True` to also survive power loss (synchronous=FULL, slower).
"""

from __future__ import annotations

from collections.abc import Mapping

import json
import os
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Iterable

from pydantic import BaseModel

from mimo_lsp.checkpoints.tracker import FileChange, FileState

SCHEMA_VERSION = 2
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
  id TEXT PRIMARY KEY, goal TEXT NOT NULL, workspace TEXT NOT NULL, model TEXT, check_cmd TEXT,
  settings_json TEXT, status TEXT NOT NULL, outcome TEXT, reason TEXT, plan_json TEXT,
  created REAL NOT NULL, updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS model_calls (
  task_id TEXT NOT NULL, seq INTEGER NOT NULL, purpose TEXT NOT NULL, text TEXT NOT NULL,
  abandoned INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL, PRIMARY KEY (task_id, seq)
);
CREATE TABLE IF NOT EXISTS actions (
  id INTEGER PRIMARY KEY AUTOINCREMENT, task_id TEXT NOT NULL, step INTEGER NOT NULL,
  node_id TEXT NOT NULL, tool TEXT NOT NULL, args_json TEXT NOT NULL, thought TEXT NOT NULL,
  state TEXT NOT NULL, observation TEXT, ok INTEGER, model_seq INTEGER NOT NULL DEFAULT 0,
  abandoned INTEGER NOT NULL DEFAULT 0, started REAL NOT NULL, finished REAL, intent_id TEXT,
  observation_blob TEXT
);
CREATE INDEX IF NOT EXISTS actions_task ON actions(task_id, id);
CREATE TABLE IF NOT EXISTS intents (
  action_id INTEGER NOT NULL, path TEXT NOT NULL, pre TEXT, pre_mode INTEGER, PRIMARY KEY (action_id, path)
);
CREATE TABLE IF NOT EXISTS file_changes (
  action_id INTEGER NOT NULL, path TEXT NOT NULL, pre TEXT, post TEXT, pre_mode INTEGER, post_mode INTEGER,
  captured INTEGER NOT NULL, PRIMARY KEY (action_id, path)
);
CREATE TABLE IF NOT EXISTS review_state (
  task_id TEXT NOT NULL, hunk_id TEXT NOT NULL, path TEXT NOT NULL, state TEXT NOT NULL, decided REAL NOT NULL,
  PRIMARY KEY (task_id, hunk_id)
);
CREATE TABLE IF NOT EXISTS candidates (
  task_id TEXT PRIMARY KEY, data_json TEXT NOT NULL, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS file_state (
  path TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL, size INTEGER NOT NULL, mode INTEGER NOT NULL,
  ino INTEGER NOT NULL, digest TEXT, captured INTEGER NOT NULL
);
"""

# Tools that are not agent actions but are journaled like them, so they show up and can be undone.
RESTORE_TOOL = "restore"
ROLLBACK_TOOL = "rollback_interrupted"
EXTERNAL_TOOL = "external_change"


class JournalError(RuntimeError):
    """The journal cannot be opened or read; the message names the file and what is wrong."""


class ActionFields(BaseModel):
    task_id: str
    step: int
    node_id: str
    tool: str
    args: dict[str, Any]
    thought: str
    model_seq: int
    started: float
    intents: list[FileChange] = []  # pre-images of the files the action named before it ran


class Intent(ActionFields):
    """What an action is about to do, logged before it runs."""

    intent_id: str


class ActionRecord(ActionFields):
    """A journaled action: a checkpoint (`done`) or an interrupted action undone on resume (`rolled_back`)."""

    id: int
    state: str
    observation: str | None
    ok: bool | None
    abandoned: bool
    finished: float | None
    observation_blob: str | None = None  # the whole output when `observation` was cut
    changes: list[FileChange] = []


class CheckpointJournal:
    def __init__(self, db_path: Path, fsync: bool = False) -> None:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        self.path = db_path
        try:
            self._db = sqlite3.connect(str(db_path), check_same_thread=False, isolation_level=None, timeout=10)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
            self._db.executescript(SCHEMA)
            cols = {r[1] for r in self._db.execute("PRAGMA table_info(actions)")}
            for col in ("intent_id", "observation_blob"):  # journals written by earlier versions
                if col not in cols:
                    self._db.execute(f"ALTER TABLE actions ADD COLUMN {col} TEXT")
            task_cols = {r[1] for r in self._db.execute("PRAGMA table_info(tasks)")}
            for col, kind in (("audit_head", "TEXT"), ("audit_count", "INTEGER")):
                if col not in task_cols:
                    self._db.execute(f"ALTER TABLE tasks ADD COLUMN {col} {kind}")
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        except sqlite3.DatabaseError as exc:
            raise JournalError(f"checkpoint journal {db_path} is unreadable ({exc}); move it aside to start afresh") from exc
        self._lock = threading.RLock()
        self.fsync = fsync
        self.intent_log = db_path.parent / "intents.log"
        self._intent_fd: int | None = None

    def close(self) -> None:
        with self._lock:
            self._db.close()
            if self._intent_fd is not None:
                os.close(self._intent_fd)
                self._intent_fd = None

    # -- low level ---------------------------------------------------------------------------
    def _tx(self, statements: Iterable[tuple[str, tuple | list]]) -> None:
        with self._lock:
            cur = self._db.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                for sql, args in statements:
                    if args and isinstance(args, list):
                        cur.executemany(sql, args)
                    elif args or args == ():
                        cur.execute(sql, args)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise

    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.DatabaseError as exc:
                raise JournalError(f"checkpoint journal {self.path}: {exc}") from exc

    # -- tasks -------------------------------------------------------------------------------
    def start_task(self, task_id: str, goal: str, workspace: Path, model: str, check: str | None,
                   settings_json: str) -> None:
        now = time.time()
        self._tx([("INSERT INTO tasks(id, goal, workspace, model, check_cmd, settings_json, status, created, updated)"
                   " VALUES (?,?,?,?,?,?,?,?,?)",
                   (task_id, goal, str(workspace), model, check, settings_json, "running", now, now))])

    def update_task(self, task_id: str, **fields: Any) -> None:
        allowed = {"status", "outcome", "reason", "plan_json", "audit_head", "audit_count"}
        sets = {k: v for k, v in fields.items() if k in allowed}
        cols = ", ".join(f"{k}=?" for k in sets)
        self._tx([(f"UPDATE tasks SET {cols}, updated=? WHERE id=?", (*sets.values(), time.time(), task_id))])

    def task(self, task_id: str) -> dict[str, Any] | None:
        with self._lock:
            cur = self._db.execute("SELECT * FROM tasks WHERE id=?", (task_id,))
            row = cur.fetchone()
            return dict(zip([d[0] for d in cur.description], row)) if row else None

    def tasks(self) -> list[dict[str, Any]]:
        with self._lock:
            cur = self._db.execute("SELECT * FROM tasks ORDER BY created")
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, row)) for row in cur.fetchall()]

    # -- model replies -----------------------------------------------------------------------
    def record_model_call(self, task_id: str, seq: int, purpose: str, text: str) -> None:
        self._tx([("INSERT OR REPLACE INTO model_calls(task_id, seq, purpose, text, created) VALUES (?,?,?,?,?)",
                   (task_id, seq, purpose, text, time.time()))])

    def model_calls(self, task_id: str) -> list[tuple[str, str]]:
        """(purpose, reply) of the task's model calls in order; purpose is `role[@lane]`."""
        rows = self._query("SELECT purpose, text FROM model_calls WHERE task_id=? AND abandoned=0 ORDER BY seq",
                           (task_id,))
        return [(r[0] or "", r[1]) for r in rows]

    # -- actions -----------------------------------------------------------------------------
    def begin_action(self, task_id: str, step: int, node_id: str, tool: str, args: dict[str, Any], thought: str,
                     model_seq: int, intents: list[FileChange]) -> Intent:
        intent = Intent(intent_id=uuid.uuid4().hex, task_id=task_id, step=step, node_id=node_id, tool=tool, args=args,
                        thought=thought, model_seq=model_seq, started=time.time(), intents=intents)
        line = (intent.model_dump_json() + "\n").encode()
        with self._lock:
            if self._intent_fd is None:
                self._intent_fd = os.open(self.intent_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            if os.write(self._intent_fd, line) != len(line):
                raise OSError(f"short write to {self.intent_log}")
            if self.fsync:
                os.fsync(self._intent_fd)
        return intent

    def finish_action(self, intent: Intent, observation: str, ok: bool, changes: list[FileChange],
                      states: Mapping[str, FileState | None], state: str = "done",
                      observation_blob: str | None = None, audit: tuple[str, int] | None = None) -> int:
        """The checkpoint: the action, its observation, file changes and new known states, atomically."""
        with self._lock:
            cur = self._db.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                cur.execute(
                    "INSERT INTO actions(task_id, step, node_id, tool, args_json, thought, state, observation, ok,"
                    " model_seq, started, finished, intent_id, observation_blob) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (intent.task_id, intent.step, intent.node_id, intent.tool, json.dumps(intent.args),
                     intent.thought, state, observation, int(ok), intent.model_seq, intent.started, time.time(),
                     intent.intent_id, observation_blob))
                action_id = int(cur.lastrowid or 0)
                if intent.intents:
                    cur.executemany("INSERT INTO intents VALUES (?,?,?,?)",
                                    [(action_id, c.path, c.pre, c.pre_mode) for c in intent.intents])
                if changes:
                    cur.executemany("INSERT OR REPLACE INTO file_changes VALUES (?,?,?,?,?,?,?)",
                                    [(action_id, c.path, c.pre, c.post, c.pre_mode, c.post_mode, int(c.captured))
                                     for c in changes])
                for sql, rows in self._state_statements(states):
                    cur.executemany(sql, rows)
                if audit is not None:  # anchor the audit chain's head: cutting records off is detectable
                    cur.execute("UPDATE tasks SET audit_head=?, audit_count=? WHERE id=?", (*audit, intent.task_id))
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
        return action_id

    def record_action(self, task_id: str, step: int, node_id: str, tool: str, args: dict[str, Any], thought: str,
                      observation: str, changes: list[FileChange], states: Mapping[str, FileState | None],
                      ok: bool = True) -> int:
        """A one-shot journaled action (restore, rollback, external change, check): one transaction, no intent."""
        intent = Intent(intent_id=uuid.uuid4().hex, task_id=task_id, step=step, node_id=node_id, tool=tool,
                        args=args, thought=thought, model_seq=0, started=time.time())
        return self.finish_action(intent, observation, ok, changes, states)

    def pending_intents(self, task_id: str) -> list[Intent]:
        """Intents of this task that never became a checkpoint: actions a crash interrupted."""
        try:
            lines = self.intent_log.read_bytes().splitlines()
        except FileNotFoundError:
            return []
        logged = []
        for line in lines:
            try:
                intent = Intent.model_validate_json(line)
            except ValueError:
                continue  # a line cut short by the crash: its action never started
            if intent.task_id == task_id:
                logged.append(intent)
        done = {r[0] for r in self._query("SELECT intent_id FROM actions WHERE task_id=? AND intent_id IS NOT NULL",
                                          (task_id,))}
        return [i for i in logged if i.intent_id not in done]

    def abandon_after(self, task_id: str, action_id: int) -> None:
        """Task-state restore: later actions and their model replies no longer count (kept, not deleted)."""
        row = self._query("SELECT model_seq FROM actions WHERE id=?", (action_id,))
        model_seq = row[0][0] if row else 0
        self._tx([
            ("UPDATE actions SET abandoned=1 WHERE task_id=? AND id>? AND tool NOT IN (?,?,?)",
             (task_id, action_id, RESTORE_TOOL, ROLLBACK_TOOL, EXTERNAL_TOOL)),
            ("UPDATE model_calls SET abandoned=1 WHERE task_id=? AND seq>?", (task_id, model_seq)),
        ])

    def actions(self, task_id: str, include_abandoned: bool = True) -> list[ActionRecord]:
        rows = self._query(
            "SELECT id, task_id, step, node_id, tool, args_json, thought, state, observation, ok, model_seq, abandoned,"
            " started, finished, observation_blob FROM actions WHERE task_id=?" + ("" if include_abandoned else " AND abandoned=0")
            + " ORDER BY id", (task_id,))
        changes: dict[int, list[FileChange]] = {}
        for a, path, pre, post, pre_mode, post_mode, captured in self._query(
                "SELECT fc.* FROM file_changes fc JOIN actions a ON a.id=fc.action_id WHERE a.task_id=?"
                " ORDER BY fc.action_id, fc.path", (task_id,)):
            changes.setdefault(a, []).append(FileChange(path=path, pre=pre, post=post, pre_mode=pre_mode,
                                                        post_mode=post_mode, captured=bool(captured)))
        intents: dict[int, list[FileChange]] = {}
        for a, path, pre, pre_mode in self._query(
                "SELECT i.* FROM intents i JOIN actions a ON a.id=i.action_id WHERE a.task_id=?", (task_id,)):
            intents.setdefault(a, []).append(FileChange(path=path, pre=pre, post=None, pre_mode=pre_mode))
        out = []
        for r in rows:
            out.append(ActionRecord(
                id=r[0], task_id=r[1], step=r[2], node_id=r[3], tool=r[4], args=json.loads(r[5]), thought=r[6],
                state=r[7], observation=r[8], ok=None if r[9] is None else bool(r[9]), model_seq=r[10],
                abandoned=bool(r[11]), started=r[12], finished=r[13], observation_blob=r[14],
                changes=changes.get(r[0], []),
                intents=intents.get(r[0], [])))
        return out

    # -- known file states (the tracker's memory across processes) ---------------------------
    def _state_statements(self, states: Mapping[str, FileState | None]) -> list[tuple[str, list]]:
        """Statements for executemany."""
        upserts = [(p, s.mtime_ns, s.size, s.mode, s.ino, s.digest, int(s.captured)) for p, s in states.items() if s]
        deletes = [(p,) for p, s in states.items() if s is None]
        out: list[tuple[str, list]] = []
        if upserts:
            out.append(("INSERT OR REPLACE INTO file_state VALUES (?,?,?,?,?,?,?)", upserts))
        if deletes:
            out.append(("DELETE FROM file_state WHERE path=?", deletes))
        return out

    def save_states(self, states: Mapping[str, FileState | None], replace_all: bool = False) -> None:
        stmts: list[tuple[str, Any]] = [("DELETE FROM file_state", ())] if replace_all else []
        self._tx(stmts + [(sql, rows) for sql, rows in self._state_statements(states)])

    def load_states(self) -> dict[str, FileState]:
        return {p: FileState(mtime_ns=m, size=s, mode=mo, ino=i, digest=d, captured=bool(c))
                for p, m, s, mo, i, d, c in self._query("SELECT * FROM file_state")}

    # -- review ------------------------------------------------------------------------------
    def set_review(self, task_id: str, decisions: list[tuple[str, str, str]]) -> None:
        """decisions: (hunk id, path, state)."""
        now = time.time()
        self._tx([("INSERT OR REPLACE INTO review_state VALUES (?,?,?,?,?)",
                   [(task_id, h, p, st, now) for h, p, st in decisions])])

    def review_states(self, task_id: str) -> dict[str, str]:
        return dict(self._query("SELECT hunk_id, state FROM review_state WHERE task_id=?", (task_id,)))

    # -- Max Mode candidates kept after the task (maxmode/kept.py): {..., "digests": [blob digests]} --
    def save_candidates(self, task_id: str, data: dict[str, Any]) -> None:
        self._tx([("INSERT OR REPLACE INTO candidates VALUES (?,?,?)", (task_id, json.dumps(data), time.time()))])

    def candidates(self, task_id: str) -> dict[str, Any] | None:
        rows = self._query("SELECT data_json FROM candidates WHERE task_id=?", (task_id,))
        return json.loads(rows[0][0]) if rows else None

    # -- disk discipline ---------------------------------------------------------------------
    def referenced_digests(self) -> set[str]:
        refs: set[str] = set()
        for (d,) in self._query("SELECT digest FROM file_state WHERE captured=1 AND digest IS NOT NULL"):
            refs.add(d)
        for pre, post in self._query("SELECT pre, post FROM file_changes"):
            refs.update(x for x in (pre, post) if x)
        for (pre,) in self._query("SELECT pre FROM intents WHERE pre IS NOT NULL"):
            refs.add(pre)
        for (blob,) in self._query("SELECT observation_blob FROM actions WHERE observation_blob IS NOT NULL"):
            refs.add(blob)
        for (data,) in self._query("SELECT data_json FROM candidates"):
            refs.update(json.loads(data).get("digests", []))
        return refs

    def delete_task(self, task_id: str) -> None:
        self._tx([
            ("DELETE FROM file_changes WHERE action_id IN (SELECT id FROM actions WHERE task_id=?)", (task_id,)),
            ("DELETE FROM intents WHERE action_id IN (SELECT id FROM actions WHERE task_id=?)", (task_id,)),
            ("DELETE FROM actions WHERE task_id=?", (task_id,)),
            ("DELETE FROM model_calls WHERE task_id=?", (task_id,)),
            ("DELETE FROM candidates WHERE task_id=?", (task_id,)),
            ("DELETE FROM tasks WHERE id=?", (task_id,)),
        ])

    def vacuum(self) -> None:
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.execute("VACUUM")
