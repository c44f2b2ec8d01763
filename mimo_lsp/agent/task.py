"""AgentTask: one task from goal to outcome. Plan -> run nodes in topological order -> check -> done.

Every model reply and every action is journaled (see checkpoints/journal.py); `resume=True` rebuilds
the task from its journal: an interrupted action is rolled back, recorded replies and observations are
replayed, and the task continues live from its last checkpoint. Assembled by `mimo_lsp.app` for the
CLI, the server and the benchmarks alike.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel

from mimo_lsp.agent.effects import RemoteNodes, TaskBrief, TaskControl
from mimo_lsp.agent.events import DoneEvent, Outcome, TaskEvent
from mimo_lsp.agent.executor import TaskCancelled
from mimo_lsp.agent.goal import CheckResult, GoalCriteria, summarize_results
from mimo_lsp.agent.memory import MemoryStore
from mimo_lsp.agent.orchestrator import Orchestrator
from mimo_lsp.agent.plan import Plan
from mimo_lsp.agent.recovery import recover_interrupted
from mimo_lsp.agent.replay import ActionReplay, JournaledModel, ReplayDiverged
from mimo_lsp.agent.task_actions import CHECK_TOOL, CheckpointedActions, Confirm
from mimo_lsp.agent.tokens import TokenBatcher
from mimo_lsp.checkpoints.blobs import BlobStore
from mimo_lsp.checkpoints.journal import EXTERNAL_TOOL, ROLLBACK_TOOL, CheckpointJournal, JournalError
from mimo_lsp.checkpoints.locks import TaskBusy, TaskLock
from mimo_lsp.checkpoints.restore import diff_between
from mimo_lsp.checkpoints.tracker import WorkspaceTracker
from mimo_lsp.config import Settings
from mimo_lsp.llm.port import ChatModel, ModelError, ModelUnavailable
from mimo_lsp.safety.audit import AuditTrail, audit_path, digest
from mimo_lsp.safety.policy import Policy
from mimo_lsp.safety.sandbox import Sandbox
from mimo_lsp.tools.actions import BufferGuard, SearchFn, ToolContext
from mimo_lsp.workspace import IgnoreRules, iter_files, state_dir

log = logging.getLogger(__name__)

AGENT_TOOLS_EXCLUDED = (EXTERNAL_TOOL, ROLLBACK_TOOL, "restore")
__all__ = ["AgentTask", "TaskPorts", "TaskResult", "TaskBusy", "CHECK_TOOL", "Confirm", "new_task_id"]


@dataclass
class TaskPorts:
    """What the outside world plugs into a task (the application layer fills it in)."""

    model: ChatModel
    roles: dict[str, ChatModel] = field(default_factory=dict)  # per-role models; the rest use `model`
    search: SearchFn | None = None  # the search_code tool
    context: Callable[[str, int], str] | None = None  # planner context (repo map); else the file list
    buffer_guard: BufferGuard | None = None  # never write over an unsaved editor buffer
    buffer_text: Callable[[Path], "str | None"] | None = None  # an open buffer's text (stale-copy check)
    confirm: Confirm | None = None  # asks the user when the policy says `ask`; None = no
    # Runs after the task's lock is released and before `done` is announced (e.g. checkpoint gc).
    on_finished: Callable[[], None] | None = None


class TaskResult(BaseModel):
    task_id: str
    outcome: Outcome
    reason: str
    plan: list[dict[str, Any]]
    steps: int
    checkpoints: list[dict[str, Any]]
    diff: str
    check: dict[str, Any] | None = None
    rolled_back: list[str] = []
    # replans, retries, node_rejections, goal_rejections, failed_attempts, lessons, model_calls
    stats: dict[str, int] = {}
    # Max Mode: {"candidates": [{"id", "outcome", "checks_passed", "tokens", "diff", ...}], "picked", "convergence"}
    max: dict[str, Any] | None = None


def new_task_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


def criteria_from_journal(stored: str | None) -> GoalCriteria:
    """The journal's check column holds either one command (older tasks) or the criteria as JSON."""
    if not stored:
        return GoalCriteria()
    if stored.lstrip().startswith("{"):
        return GoalCriteria.model_validate_json(stored)
    return GoalCriteria(commands=[stored])


def workspace_context(workspace: Path, limit: int = 60) -> str:
    files = sorted(rel for rel, _ in iter_files(workspace, IgnoreRules(workspace)))
    listing = "\n".join(files[:limit])
    more = f"\n... and {len(files) - limit} more files" if len(files) > limit else ""
    return f"Files:\n{listing or '(empty)'}{more}"


class AgentTask(CheckpointedActions):
    def __init__(self, goal: str, workspace: Path, settings: Settings, emit: Callable[[TaskEvent], None],
                 ports: TaskPorts, *, criteria: GoalCriteria | None = None, task_id: str | None = None,
                 resume: bool = False, ignored_settings: list[dict[str, Any]] | None = None) -> None:
        if not workspace.is_dir():
            raise FileNotFoundError(f"workspace is not a directory: {workspace}")
        self.workspace = workspace.resolve()
        self.data_dir = state_dir(self.workspace)
        self.journal = CheckpointJournal(self.data_dir / "journal.sqlite", fsync=settings.checkpoints.fsync)
        self.resume = resume
        if resume:
            row = self.journal.task(task_id or "")
            if row is None:
                self.journal.close()
                raise KeyError(f"unknown task id: {task_id}")
            goal, criteria = row["goal"], criteria_from_journal(row["check_cmd"])
        if not goal.strip():
            self.journal.close()
            raise ValueError("goal is empty")
        self.task_id = task_id or new_task_id()
        self.act_lock = threading.RLock()  # checkpointed effects one at a time (nodes may run together)
        self._reserved_step = 0
        emit_lock = threading.Lock()

        def emit_serialized(event: TaskEvent) -> None:
            with emit_lock:
                emit(event)

        self.goal, self.criteria, self.settings = goal.strip(), criteria or GoalCriteria(), settings
        self.emit = emit_serialized
        self.ports = ports
        # Settings the workspace's own config asked for that loosen safety, ignored (untrusted): audited.
        self.ignored_settings = list(ignored_settings or [])
        self.live_model = ports.model
        self.confirm = ports.confirm
        self.pause_event = threading.Event()  # set = paused between steps
        self.cancel_event = threading.Event()
        self.blobs = BlobStore(self.data_dir / "blobs", fsync=settings.checkpoints.fsync)
        self.tracker = WorkspaceTracker(self.workspace, self.blobs, settings.checkpoints.max_blob_bytes,
                                        watch=settings.checkpoints.watch)
        self.policy = Policy.from_settings(settings.safety)
        network = self.policy.decide_one("network", "*").verdict == "allow" or settings.safety.sandbox.network
        self.sandbox = Sandbox(self.workspace, settings.safety.sandbox, network=network)
        self.audit = AuditTrail(audit_path(self.data_dir, self.task_id))
        self.tools = ToolContext(self.workspace, command_timeout_s=settings.agent.command_timeout_s,
                                 observation_chars=settings.agent.observation_chars, search=ports.search,
                                 buffer_guard=ports.buffer_guard, buffer_text=ports.buffer_text,
                                 cancel=self.cancel_event,
                                 group_file=self.data_dir / "tasks" / f"{self.task_id}.pgid", sandbox=self.sandbox)
        self.tokens = TokenBatcher(self.emit, self.cancel_event)
        self.lock = TaskLock(self.data_dir, self.task_id)
        self.memory = MemoryStore(self.data_dir, settings.memory.embedder, ports.model.count_tokens)
        self.model: JournaledModel | None = None
        self.replay = ActionReplay([])
        self.steps_done = 0
        self.checkpoints: list[dict[str, Any]] = []
        self.last_action_id = 0  # the latest checkpoint of this task (0 = task start)
        self.rolled_back: list[str] = []
        self.plan: Plan | None = None
        self.orchestrator: Any = None  # Orchestrator, or MaxModeOrchestrator in Max Mode
        self.status = "created"
        self._states_saved_after_capture = False
        self.diff_error: str | None = None
        self._answers: dict[tuple[Any, Any], str | None] = {}  # Max Mode: one question per action for the task
        # Set to a list to collect per-step timings (benchmarks): {"total_ms", "tool_ms", "report_ms"}.
        self.step_timings: list[dict[str, float]] | None = None

    def cancel(self) -> None:
        self.cancel_event.set()

    def pause(self) -> None:
        self.pause_event.set()

    def unpause(self) -> None:
        self.pause_event.clear()

    @property
    def check(self) -> str | None:
        """The first completion command (the single acceptance check of older clients)."""
        return self.criteria.commands[0] if self.criteria.commands else None

    def criteria_text(self) -> str | None:
        if self.criteria.empty():
            return None
        return "; ".join(c.label() for c in self.criteria.checks()) + (
            f"; judged: {self.criteria.criterion}" if self.criteria.criterion else "")

    def context(self, budget_tokens: int = 600) -> str:
        """Workspace context for the planner: the caller's (repo map, search) or the file list."""
        if self.ports.context is not None:
            try:
                return self.ports.context(self.goal, budget_tokens)
            except Exception as exc:  # the plan can still be made from the file list
                log.warning("task %s: repo map unavailable, planning from the file list: %s", self.task_id, exc)
                return workspace_context(self.workspace) + f"\n(repo map unavailable: {exc})"
        return workspace_context(self.workspace)

    # -- lifecycle ---------------------------------------------------------------------------
    def run(self) -> TaskResult:
        if not self.lock.acquire():
            self._close()
            raise TaskBusy(f"task {self.task_id} is running in another process")
        try:
            result, done = self._run_locked()
        finally:
            self._close()
            self.lock.release()
        if self.ports.on_finished is not None:
            try:
                self.ports.on_finished()
            except Exception as exc:  # housekeeping never changes the outcome; say what went wrong
                log.warning("task %s: after-task housekeeping failed: %s", self.task_id, exc)
        # Announced only once the task is no longer live: a client may restore or resume right away.
        self.emit(done)
        return result

    def _close(self) -> None:
        self.tracker.stop()
        self.audit.close()
        self.blobs.close()
        self.journal.close()
        self.memory.close()

    def _run_locked(self) -> tuple[TaskResult, DoneEvent]:
        self.status = "running"
        try:
            self._open()
            assert self.model is not None
            brief = TaskBrief(self.task_id, self.goal, self.criteria, self.criteria_text(), bool(self.replay))
            roles = {r: self.model.for_role(r) for r in ("planner", "executor", "judge")}
            if "summarizer" in self.model.roles:
                roles["summarizer"] = self.model.for_role("summarizer")
            control = TaskControl(self.cancel_event, self.pause_event)
            orchestrator: Any
            if self.settings.max.n >= 1:
                from mimo_lsp.maxmode.orchestrator import MaxModeOrchestrator

                fmt = self.max_format()
                orchestrator = MaxModeOrchestrator(
                    brief, self, roles, self.settings, self.tokens, control, self.workspace, fmt, self.scratch_check,
                    self.agent_candidate if fmt == "agent" else None)
            else:
                orchestrator = Orchestrator(brief, self, roles, self.settings, self.memory, self.tokens, self.tools,
                                            control, self.remote_nodes())
            self.orchestrator = orchestrator
            outcome, reason, check = orchestrator.run()
        except TaskCancelled:
            outcome, reason, check = "cancelled", "cancelled by the user", None
        except ModelError as exc:
            outcome, reason, check = "failed", f"model error: {exc}", None
        except (ReplayDiverged, JournalError) as exc:
            outcome, reason, check = "failed", str(exc), None
        except ModelUnavailable as exc:  # the model server is down: nothing to retry or learn, resume later
            outcome, reason, check = "failed", f"model server unavailable: {exc}; `mimo resume {self.task_id}` " \
                                               "once it is back", None
        except Exception as exc:  # never lose the outcome: report it
            log.exception("task %s: internal error", self.task_id)
            outcome, reason, check = "failed", f"internal error: {type(exc).__name__}: {exc}", None
        self.tokens.flush()
        self.plan = self.orchestrator.plan if self.orchestrator is not None else None
        if self.settings.max.n >= 1 and self.orchestrator is not None:
            self._keep_candidates()
        diff = self.final_diff()
        if self.diff_error:
            reason += f" (final diff unavailable: {self.diff_error})"
        self.status = outcome
        try:
            self.audit.append("task", "done", {"outcome": outcome, "reason": reason, "diff_digest": digest(diff)})
            self.journal.update_task(self.task_id, status="cancelled" if outcome == "cancelled" else "finished",
                                     outcome=outcome, reason=reason, audit_head=self.audit.head,
                                     audit_count=self.audit.count)
        except Exception as exc:  # e.g. disk full: the outcome still reaches the user
            log.warning("task %s: journal not updated: %s", self.task_id, exc)
            reason += f" (journal not updated: {exc})"
        done = DoneEvent(task_id="", outcome=outcome, reason=reason, diff=diff, check=check, steps=self.steps_done,
                         checkpoints=len(self.checkpoints), stats=self.stats())
        return TaskResult(task_id=self.task_id, outcome=outcome, reason=reason,
                          plan=[n.model_dump() for n in (self.plan.nodes if self.plan else [])], steps=self.steps_done,
                          checkpoints=self.checkpoints, diff=diff, check=check, rolled_back=self.rolled_back,
                          stats=self.stats(), max=getattr(self.orchestrator, "report", None) or None), done

    def _open(self) -> None:
        persisted = self.journal.load_states()
        if self.resume:
            self.tracker.state = dict(persisted)
            assert self.tools.group_file is not None
            self.rolled_back = recover_interrupted(self.task_id, self.workspace, self.journal, self.tracker,
                                                   self.blobs, self.tools.group_file)
            persisted = self.tracker.states()
            recorded = self.journal.model_calls(self.task_id)
            # node "-" = the user's: a restore, or a Max Mode candidate applied after the task (not replayed)
            self.replay = ActionReplay([a for a in self.journal.actions(self.task_id, include_abandoned=False)
                                        if a.state == "done" and (a.tool not in AGENT_TOOLS_EXCLUDED or
                                                                  (a.tool == "restore" and a.node_id != "-"))
                                        and not (a.tool == "apply_files" and a.node_id == "-")])
            self.journal.update_task(self.task_id, status="running")
        else:
            recorded = []
            single = self.check is not None and self.criteria == GoalCriteria(commands=[self.check])
            stored = None if self.criteria.empty() else (self.check if single else self.criteria.model_dump_json())
            self.journal.start_task(self.task_id, self.goal, self.workspace, getattr(self.live_model, "name", "?"),
                                    stored, self.settings.model_dump_json())
        self.model = JournaledModel(self.live_model, self.journal, self.task_id, recorded, self.ports.roles)
        self.audit.append("task", "resume" if self.resume else "start", {
            "goal": self.goal, "check": self.check, "criteria": self.criteria.model_dump(),
            "model": getattr(self.live_model, "name", "?"), "settings_digest": digest(self.settings.model_dump_json()),
            "sandbox": self.sandbox.profile().model_dump(), "rolled_back": self.rolled_back,
            "ignored_workspace_settings": self.ignored_settings})
        self.tracker.start(persisted, self.data_dir)
        self.journal.save_states(self.tracker.states(), replace_all=True)

    # -- what the orchestrator records through its effects ---------------------------------------
    def record_plan(self, plan: Plan, attempt: int) -> None:
        self.plan = plan
        self.journal.update_task(self.task_id, plan_json=plan.model_dump_json())
        if not self.replay:
            self.audit.append("decision", "plan", {"attempt": attempt, "nodes": [n.model_dump() for n in plan.nodes]})

    def record_goal_check(self, results: list[CheckResult]) -> None:
        self.audit.append("outcome", "check", {"results": [r.model_dump(exclude={"evidence"}) for r in results],
                                               "evidence_digest": digest(summarize_results(results)),
                                               "sandbox": self.sandbox.profile().kind})

    # -- Max Mode --------------------------------------------------------------------------------
    def remote_nodes(self) -> RemoteNodes | None:
        """Where plan nodes that run together go with `[scale] ray_address` set (scale/node_dispatch.py)."""
        if not self.settings.scale.ray_address or self.settings.agent.max_parallel_nodes < 2:
            return None
        from mimo_lsp.scale.node_dispatch import RayNodes

        return RayNodes(self.settings, self.workspace, self.policy)

    def max_format(self) -> str:
        """`function` for small models (below 1B parameters, from the GGUF), else `agent` (max.format)."""
        fmt = self.settings.max.format
        if fmt != "auto":
            return fmt
        from mimo_lsp.maxmode.edit_format import is_small_model

        count = getattr(self.live_model, "n_params", None)
        return "function" if callable(count) and is_small_model(count()) else "agent"

    def scratch_check(self, command: str, tree: Path) -> dict[str, Any]:
        """A completion check in a candidate's scratch tree, sandboxed there (no network)."""
        from mimo_lsp.agent.checks import run_check

        return run_check(command, tree, self.settings.agent.check_timeout_s, self.cancel_event,
                         Sandbox(tree, self.settings.safety.sandbox, network=False))

    def agent_candidate(self, tree: Path, temperature: float) -> tuple[str, int]:
        """One whole agent run in a scratch tree (Max Mode's agent format); its confirmations are the
        task's (asked once for the task)."""
        settings = self.settings.model_copy(deep=True)
        settings.model.temperature, settings.max.n = temperature, 0
        settings.memory.lessons = False
        ports = TaskPorts(model=self.live_model, roles=self.ports.roles, confirm=self._confirm_once)
        result = AgentTask(self.goal, tree, settings, lambda e: None, ports, criteria=self.criteria).run()
        return f"{result.outcome}: {result.reason[:200]}", result.stats.get("tokens", 0)

    def _keep_candidates(self) -> None:
        """The candidates' files outlive the task: an editor shows them and may apply another (maxmode/kept.py)."""
        from mimo_lsp.maxmode.kept import keep

        try:
            keep(self.journal, self.blobs, self.task_id, self.orchestrator, self.settings.checkpoints.max_blob_bytes)
        except Exception as exc:  # the task's outcome stands; only the later look at its candidates is lost
            log.warning("task %s: Max Mode candidates not kept: %s", self.task_id, exc)

    def _confirm_once(self, request: dict[str, Any]) -> str | None:
        key = (request.get("tool"), request.get("subject"))
        if key not in self._answers:
            self._answers[key] = self.confirm(request) if self.confirm is not None else None
        return self._answers[key]

    def stats(self) -> dict[str, int]:
        out = dict(self.orchestrator.stats) if self.orchestrator is not None else {}
        out["model_calls"] = self.model.calls if self.model is not None else 0
        out["tokens"] = self.model.tokens if self.model is not None else 0
        return out

    def final_diff(self) -> str:
        """Task start vs now, for every file any action touched (user edits included, marked in the journal)."""
        try:
            return diff_between(self.journal.actions(self.task_id), self.blobs, 0, None, self.workspace)
        except Exception as exc:  # reported in the outcome's reason, never passed off as a diff
            log.warning("task %s: final diff unavailable: %s", self.task_id, exc)
            self.diff_error = f"{type(exc).__name__}: {exc}"
            return ""
