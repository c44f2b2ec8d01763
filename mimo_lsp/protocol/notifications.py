"""The wire shape of every server -> client task notification (`mimo/task/<kind>`), declared here once.

The agent core emits its own events (agent/events.py); `to_wire` maps them onto these models, which
forbid unknown fields: renaming or adding a core field fails loudly in the tests instead of silently
changing what editors receive. Tool-call `args` pass through as the model wrote them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from mimo_lsp.protocol.payloads import Wire


class CheckSpecWire(Wire):
    command: str | None = None
    path: str | None = None
    exists: bool | None = None
    contains: str | None = None
    not_contains: str | None = None
    matches: str | None = None


class PlanNodeWire(Wire):
    id: str
    title: str
    depends_on: list[str]
    expected_output: str
    files: list[str] = Field(default_factory=list, description="globs of the only files the node may change")
    max_steps: int | None = None
    checks: list[CheckSpecWire] = Field(default_factory=list)
    status: Literal["pending", "running", "done", "failed", "skipped"]


class TaskNotification(Wire):
    task_id: str
    seq: int = Field(description="1, 2, 3 ... per task, across kinds")
    kind: str


class PlanNotification(TaskNotification):
    kind: Literal["plan"] = "plan"
    nodes: list[PlanNodeWire]
    attempt: int = Field(1, description="> 1: a revised plan; done nodes keep status done")


class NodeNotification(TaskNotification):
    kind: Literal["node"] = "node"
    node_id: str
    status: Literal["running", "done", "failed", "skipped"]
    detail: str = ""


class StepNotification(TaskNotification):
    kind: Literal["step"] = "step"
    node_id: str
    step: int
    thought: str = ""
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    observation: str = ""
    ok: bool = True
    replayed: bool = False


class CheckpointNotification(TaskNotification):
    kind: Literal["checkpoint"] = "checkpoint"
    checkpoint_id: int
    node_id: str
    step: int
    files: list[str] = Field(default_factory=list)
    diff: str = ""
    replayed: bool = False


class TokenNotification(TaskNotification):
    kind: Literal["token"] = "token"
    text: str
    purpose: str = ""


class CheckResultWire(Wire):
    check: str
    passed: bool
    evidence: str = ""
    exit_code: int | None = None


class CheckReport(Wire):
    passed: bool
    command: str | None = Field(None, description="the first failing criterion, else the first")
    exit_code: int | None = None
    output: str = ""
    results: list[CheckResultWire] = Field(default_factory=list)


class DoneStats(Wire):
    candidates: int = 0  # Max Mode
    rounds: int = 0
    judged: int = 0
    replans: int = 0  # all of them: after failed nodes (nodeReplans) and goal rounds
    node_replans: int = 0
    retries: int = 0
    node_candidates: int = 0  # node-level Max Mode (max.node_n): candidates made, and how many passed
    node_candidates_passed: int = 0
    remote_nodes: int = 0  # plan nodes made on a Ray worker ([scale] ray_address), and their steps there
    remote_steps: int = 0
    node_rejections: int = 0
    goal_rejections: int = 0
    failed_attempts: int = 0
    lessons: int = 0
    model_calls: int = 0
    tokens: int = 0


class DoneNotification(TaskNotification):
    kind: Literal["done"] = "done"
    outcome: Literal["verified", "failed", "unverified", "cancelled"]
    reason: str = ""
    diff: str = ""
    check: CheckReport | None = None
    steps: int = 0
    checkpoints: int = 0
    stats: DoneStats = Field(default_factory=DoneStats)


class CandidateNotification(TaskNotification):
    """Max Mode: a candidate started, was checked, or is done."""

    kind: Literal["candidate"] = "candidate"
    candidate_id: int
    status: Literal["started", "checks", "done"]
    outcome: str = Field("", description="done: passed | failed | no_change | error; on Ray (first_pass) also "
                                        "discarded | cancelled")
    checks_passed: bool = False
    tokens: int = 0
    diff: str = Field("", description="done: the candidate's change, unified diff")
    detail: str = ""


class CandidateSummary(Wire):
    id: int
    round: int
    temperature: float
    outcome: str
    checks_passed: bool
    tokens: int
    seconds: float
    summary: str
    checks: list[dict[str, Any]] = Field(default_factory=list)


class PickNotification(TaskNotification):
    """Max Mode: the candidate applied (null: none usable), why, and the candidates' convergence."""

    kind: Literal["pick"] = "pick"
    candidate_id: int | None
    reason: str
    convergence: float = Field(description="share of candidates whose change (whitespace ignored) equals the pick's")
    judged: bool = False
    candidates: list[CandidateSummary] = Field(default_factory=list)


NOTIFICATIONS: dict[str, type[TaskNotification]] = {
    "plan": PlanNotification, "node": NodeNotification, "step": StepNotification,
    "checkpoint": CheckpointNotification, "token": TokenNotification, "done": DoneNotification,
    "candidate": CandidateNotification, "pick": PickNotification,
}


def to_wire(event: Any) -> dict[str, Any]:
    """A core TaskEvent -> the notification's params (camelCase)."""
    model = NOTIFICATIONS[event.kind]
    return model.model_validate(event.model_dump(mode="json")).wire()
