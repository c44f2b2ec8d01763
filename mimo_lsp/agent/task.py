"""AgentTask: one task from goal to outcome. Plan -> run nodes in topological order -> check -> done."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel

from mimo_lsp.agent.checks import run_check
from mimo_lsp.agent.events import CheckpointEvent, DoneEvent, NodeEvent, Outcome, PlanEvent, TaskEvent, TokenEvent
from mimo_lsp.agent.executor import NodeRunner, TaskCancelled
from mimo_lsp.agent.plan import Plan, topological_order
from mimo_lsp.agent.planner import make_plan
from mimo_lsp.checkpoints.blobs import BlobStore
from mimo_lsp.checkpoints.diffs import blob_or_none, disk_or_none, unified_diff
from mimo_lsp.checkpoints.journal import CheckpointJournal
from mimo_lsp.checkpoints.tracker import FileChange, WorkspaceTracker
from mimo_lsp.config import Settings
from mimo_lsp.llm.port import ChatModel, ModelError
from mimo_lsp.tools.registry import BufferGuard, SearchFn, ToolContext, ToolResult
from mimo_lsp.workspace import IgnoreRules, iter_files, state_dir


class TaskResult(BaseModel):
    task_id: str
    outcome: Outcome
    reason: str
    plan: list[dict[str, Any]]
    steps: int
    checkpoints: list[dict[str, Any]]
    diff: str
    check: dict[str, Any] | None = None


def new_task_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


def workspace_context(workspace: Path, limit: int = 60) -> str:
    files = sorted(rel for rel, _ in iter_files(workspace, IgnoreRules(workspace)))
    listing = "\n".join(files[:limit])
    more = f"\n... and {len(files) - limit} more files" if len(files) > limit else ""
    return f"Files:\n{listing or '(empty)'}{more}"


class TokenBatcher:
    """Streams model tokens as events without flooding: flushes every ~40 chars or 100 ms."""

    def __init__(self, emit: Callable[[TaskEvent], None], cancel: threading.Event) -> None:
        self.emit, self.cancel = emit, cancel
        self.purpose = ""
        self._buf: list[str] = []
        self._last = time.monotonic()

    def __call__(self, piece: str) -> None:
        if self.cancel.is_set():
            raise TaskCancelled()  # aborts generation mid-stream
        self._buf.append(piece)
        if sum(map(len, self._buf)) >= 40 or time.monotonic() - self._last > 0.1:
            self.flush()

    def flush(self) -> None:
        if self._buf:
            self.emit(TokenEvent(task_id="", text="".join(self._buf), purpose=self.purpose))
            self._buf = []
        self._last = time.monotonic()


class AgentTask:
    def __init__(
        self,
        goal: str,
        workspace: Path,
        model: ChatModel,
        settings: Settings,
        emit: Callable[[TaskEvent], None],
        *,
        check: str | None = None,
        task_id: str | None = None,
        search: SearchFn | None = None,
        buffer_guard: BufferGuard | None = None,
    ) -> None:
        if not goal.strip():
            raise ValueError("goal is empty")
        if not workspace.is_dir():
            raise FileNotFoundError(f"workspace is not a directory: {workspace}")
        self.task_id = task_id or new_task_id()
        self.goal, self.check, self.model, self.settings, self.emit = goal.strip(), check, model, settings, emit
        self.workspace = workspace.resolve()
        self.cancel_event = threading.Event()
        self.data_dir = state_dir(self.workspace)
        self.blobs = BlobStore(self.data_dir / "blobs")
        self.journal = CheckpointJournal(self.data_dir / "journal.sqlite")
        self.tracker = WorkspaceTracker(self.workspace, self.blobs)
        self.tools = ToolContext(self.workspace, settings.agent.command_timeout_s, settings.agent.observation_chars,
                                 search, buffer_guard, self.cancel_event)
        self.tokens = TokenBatcher(emit, self.cancel_event)
        self.steps = 0
        self.first_pre: dict[str, FileChange] = {}
        self.checkpoints: list[dict[str, Any]] = []
        self.plan: Plan | None = None
        self.status = "created"

    def cancel(self) -> None:
        self.cancel_event.set()

    def run(self) -> TaskResult:
        self.status = "running"
        self.journal.start_task(self.task_id, self.goal, self.workspace, getattr(self.model, "name", "?"))
        try:
            outcome, reason, check = self._run()
        except TaskCancelled:
            outcome, reason, check = "cancelled", "cancelled by the user", None
        except ModelError as exc:
            outcome, reason, check = "failed", f"model error: {exc}", None
        except Exception as exc:  # never lose the outcome: report it
            outcome, reason, check = "failed", f"internal error: {type(exc).__name__}: {exc}", None
        self.tokens.flush()
        diff = self.final_diff()
        self.status = outcome
        self.journal.update_task(self.task_id, status="finished", outcome=outcome, reason=reason)
        self.emit(DoneEvent(task_id="", outcome=outcome, reason=reason, diff=diff, check=check, steps=self.steps,
                            checkpoints=len(self.checkpoints)))
        return TaskResult(task_id=self.task_id, outcome=outcome, reason=reason,
                          plan=[n.model_dump() for n in (self.plan.nodes if self.plan else [])], steps=self.steps,
                          checkpoints=self.checkpoints, diff=diff, check=check)

    def _run(self) -> tuple[Outcome, str, dict[str, Any] | None]:
        a = self.settings.agent
        self.tracker.capture()
        self.tokens.purpose = "plan"
        try:
            self.plan = make_plan(self.model, self.goal, workspace_context(self.workspace), self.check,
                                  attempts=a.max_plan_attempts, max_nodes=a.max_plan_nodes, on_token=self.tokens)
        except ModelError as exc:
            return "failed", f"planning failed: {exc}", None
        finally:
            self.tokens.flush()
        order = topological_order(self.plan)
        self.journal.update_task(self.task_id, plan_json=self.plan.model_dump_json())
        self.emit(PlanEvent(task_id="", nodes=[n.model_dump() for n in order]))
        plan_lines = "\n".join(f"- {n.id}: {n.title}" for n in order)
        runner = NodeRunner(self.model, self.tools, self.emit, self._checkpoint, self.tokens, a.max_steps_per_node,
                            a.max_structured_retries, self.settings.model.max_tokens, self.settings.model.n_ctx)
        failed: dict[str, str] = {}
        for node in order:
            blocked = [d for d in node.depends_on if d in failed]
            if blocked:
                failed[node.id] = f"skipped: depends on failed {', '.join(blocked)}"
                self.emit(NodeEvent(task_id="", node_id=node.id, status="skipped", detail=failed[node.id]))
                continue
            self.emit(NodeEvent(task_id="", node_id=node.id, status="running", detail=node.title))
            self.tokens.purpose = f"node:{node.id}"
            result = runner.run(self.goal, plan_lines, node, self.check, self.steps)
            self.tokens.flush()
            if not result.ok:
                failed[node.id] = result.detail
            self.emit(NodeEvent(task_id="", node_id=node.id, status="done" if result.ok else "failed",
                                detail=result.detail))
        if self.cancel_event.is_set():
            raise TaskCancelled()
        node_note = "; ".join(f"{k}: {v}" for k, v in failed.items())
        if self.check:
            check = run_check(self.check, self.workspace, a.check_timeout_s, self.cancel_event)
            if check["passed"]:
                extra = f" (although {len(failed)} node(s) failed: {node_note})" if failed else ""
                return "verified", f"acceptance check passed: {self.check}{extra}", check
            return "failed", f"acceptance check failed (exit {check['exit_code']}): {self.check}", check
        if failed:
            return "failed", f"{len(failed)} node(s) failed: {node_note}", None
        return "unverified", "all nodes finished; no acceptance check was given", None

    def _checkpoint(self, node_id: str, step: int, tool: str, args: dict, thought: str, result: ToolResult) -> int:
        self.steps = step
        changes = self.tracker.refresh()
        cp_id = self.journal.record(self.task_id, step, node_id, tool, args, thought, result.output, result.ok, changes)
        diff = "".join(self._change_diff(c) for c in changes)
        for c in changes:
            self.first_pre.setdefault(c.path, c)
        files = [c.path for c in changes]
        self.checkpoints.append({"id": cp_id, "node_id": node_id, "step": step, "tool": tool, "files": files})
        self.emit(CheckpointEvent(task_id="", checkpoint_id=cp_id, node_id=node_id, step=step, files=files, diff=diff))
        return cp_id

    def _change_diff(self, c: FileChange) -> str:
        if not c.captured:
            return f"Large file {c.path} changed (not captured)\n"
        return unified_diff(c.path, blob_or_none(self.blobs, c.pre), blob_or_none(self.blobs, c.post))

    def final_diff(self) -> str:
        """Task start vs now, for every file any action touched."""
        parts = []
        for path, first in sorted(self.first_pre.items()):
            if not first.captured:
                parts.append(f"Large file {path} changed (not captured)\n")
                continue
            parts.append(unified_diff(path, blob_or_none(self.blobs, first.pre), disk_or_none(self.workspace / path)))
        return "".join(parts)
