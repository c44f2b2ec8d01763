"""Typed events the agent core emits. Adapters (LSP server, CLI, tests) turn them into output.

The core never imports pygls: it only calls an EventSink.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Literal, Protocol

from pydantic import BaseModel, Field

Outcome = Literal["verified", "failed", "unverified", "cancelled"]


class TaskEvent(BaseModel):
    """Common envelope: every event carries the task id and a per-task sequence number."""

    task_id: str
    seq: int = 0
    kind: str


class PlanEvent(TaskEvent):
    kind: Literal["plan"] = "plan"
    nodes: list[dict[str, Any]]
    attempt: int = 1


class StepEvent(TaskEvent):
    kind: Literal["step"] = "step"
    node_id: str
    step: int
    thought: str = ""
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    observation: str = ""
    ok: bool = True
    replayed: bool = False  # served from the journal while a resumed task catches up


class CheckpointEvent(TaskEvent):
    kind: Literal["checkpoint"] = "checkpoint"
    checkpoint_id: int
    node_id: str
    step: int
    files: list[str] = Field(default_factory=list)
    diff: str = ""
    replayed: bool = False


class NodeEvent(TaskEvent):
    kind: Literal["node"] = "node"
    node_id: str
    status: Literal["running", "done", "failed", "skipped"]
    detail: str = ""


class TokenEvent(TaskEvent):
    kind: Literal["token"] = "token"
    text: str
    purpose: str = ""


class DoneEvent(TaskEvent):
    kind: Literal["done"] = "done"
    outcome: Outcome
    reason: str = ""
    diff: str = ""
    check: dict[str, Any] | None = None
    steps: int = 0
    checkpoints: int = 0
    stats: dict[str, int] = Field(default_factory=dict)


class CandidateEvent(TaskEvent):
    """Max Mode: one candidate started, checked, done."""

    kind: Literal["candidate"] = "candidate"
    candidate_id: int
    status: Literal["started", "checks", "done"]
    outcome: str = ""  # done: passed | failed | no_change | error; on Ray (first_pass) also discarded | cancelled
    checks_passed: bool = False
    tokens: int = 0
    diff: str = ""
    detail: str = ""


class PickEvent(TaskEvent):
    """Max Mode: the candidate picked (None: no usable one), why, and how far the candidates agree."""

    kind: Literal["pick"] = "pick"
    candidate_id: int | None
    reason: str
    convergence: float
    judged: bool = False
    candidates: list[dict[str, Any]] = Field(default_factory=list)


class EventSink(Protocol):
    def __call__(self, event: TaskEvent) -> None: ...


class SequencedSink:
    """Numbers events per task and fans them out; keeps a replay log for reconnecting clients."""

    def __init__(self, task_id: str, out: Callable[[TaskEvent], None] | None = None) -> None:
        self.task_id = task_id
        self._out = out
        self._seq = 0
        self._lock = threading.Lock()
        self.log: list[TaskEvent] = []

    def __call__(self, event: TaskEvent) -> None:
        with self._lock:
            self._seq += 1
            event.seq = self._seq
            event.task_id = self.task_id
            self.log.append(event)
        if self._out is not None:
            self._out(event)

    def since(self, after_seq: int) -> list[TaskEvent]:
        with self._lock:
            return [e for e in self.log if e.seq > after_seq]
