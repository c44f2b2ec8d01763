"""What the orchestrator may do to the world, as a narrow interface: act, run checks, ask the judge,
roll back, emit events, record the plan. `AgentTask` implements it (journaled, checkpointed, audited);
the orchestrator never reads the task's attributes."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from mimo_lsp.agent.events import TaskEvent
from mimo_lsp.agent.executor import Attempt
from mimo_lsp.agent.goal import CheckResult, GoalCriteria
from mimo_lsp.agent.plan import CheckSpec, Plan
from mimo_lsp.tools.actions import ToolResult


@dataclass(frozen=True)
class TaskBrief:
    """What the task is: fixed for its whole life (a resumed task gets the same brief from its journal)."""

    task_id: str
    goal: str
    criteria: GoalCriteria
    criteria_text: str | None
    replaying: bool  # a resumed task: recorded answers are served first, nothing is distilled twice


@dataclass(frozen=True)
class TaskControl:
    cancel: threading.Event
    pause: threading.Event


class TaskEffects(Protocol):
    def act(self, node_id: str, step: int, action: Any, thought: str,
            preset: ToolResult | None = None) -> ToolResult: ...

    def run_checks(self, node_id: str, step: int, specs: list[CheckSpec], trusted: bool) -> list[CheckResult]: ...

    def judged(self, node_id: str, step: int, ask: Callable[[], CheckResult]) -> CheckResult: ...

    def rollback(self, checkpoint_id: int, node_id: str) -> str:
        """Files back to the checkpoint; returns a note for the retry prompt ('' when nothing changed)."""
        ...

    def emit(self, event: TaskEvent) -> None: ...

    def record_plan(self, plan: Plan, attempt: int) -> None: ...

    def record_goal_check(self, results: list[CheckResult]) -> None: ...

    def context(self, budget_tokens: int) -> str: ...

    def final_diff(self) -> str: ...

    def steps(self) -> int: ...

    def files_at_start(self) -> dict[str, bytes | None]:
        """rel -> content at the task's start (None: absent) of every file the task's own actions changed."""
        ...

    def next_step(self) -> int:
        """The next step's number (unique across plan nodes running at the same time)."""
        ...

    def last_checkpoint(self) -> int: ...


class RemoteNodes(Protocol):
    """Plan nodes run in other processes (a Ray cluster: scale/node_dispatch.py), each in its own copy of the
    tree; what they made comes back as data, and the orchestrator applies it through the task's effects."""

    where: str

    def prepare(self) -> str | None:
        """Before a group of nodes: None when they can go, else why they run in this process."""
        ...

    def run(self, attempt: Attempt, attempts: int, steps_left: int, cancel: threading.Event) -> dict[str, Any]:
        """The node's attempts elsewhere; its result (scale/node_job.py). Raises TaskCancelled on cancel."""
        ...
