"""TaskService: runs tasks on worker threads for the server and forwards their events; a task's
notifications are also logged per task so a reconnecting client can catch up. Knows nothing of pygls."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from mimo_lsp.agent.events import DoneEvent, SequencedSink, StepEvent, TaskEvent
from mimo_lsp.agent.task import AgentTask, TaskBusy, new_task_id
from mimo_lsp.app.event_log import EventLog, read_events
from mimo_lsp.app.setup import PreparedTask, TaskAssembly, TaskRequest
from mimo_lsp.app.workspace import WorkspaceServices
from mimo_lsp.llm.port import ModelError
from mimo_lsp.protocol.notifications import to_wire
from mimo_lsp.protocol.payloads import TaskInfo

log = logging.getLogger(__name__)
Notify = Callable[[TaskEvent], None]


@dataclass
class TaskRecord:
    task_id: str
    goal: str
    workspace: Path
    sink: SequencedSink
    task: AgentTask | None = None
    thread: threading.Thread | None = None
    status: str = "starting"
    outcome: str | None = None
    reason: str | None = None
    steps: int = 0
    cancel_requested: threading.Event = field(default_factory=threading.Event)
    event_log: EventLog | None = None

    def info(self) -> TaskInfo:
        return TaskInfo(task_id=self.task_id, goal=self.goal, workspace=str(self.workspace), status=self.status,
                        outcome=self.outcome, reason=self.reason, steps=self.steps,
                        last_seq=self.sink.log[-1].seq if self.sink.log else 0)


class TaskService:
    def __init__(self, assembly: TaskAssembly, notify: Notify, workspaces: WorkspaceServices) -> None:
        self.assembly = assembly
        self.notify = notify
        self.workspaces = workspaces
        self.tasks: dict[str, TaskRecord] = {}
        self._lock = threading.Lock()

    def start(self, request: TaskRequest) -> tuple[str, str]:
        """Validates synchronously (bad workspace / config / model -> exception with a clear message), then runs."""
        prepared = self.assembly.prepare(request)
        return self._launch(new_task_id(), prepared), prepared.model_name

    def resume(self, task_id: str, workspace: Path, model: str | None = None) -> tuple[str, str]:
        """Continue an interrupted, cancelled or restored task from its journal."""
        rec = self.tasks.get(task_id)
        if rec is not None and rec.status != "finished":
            raise ValueError(f"task {task_id} is still running")
        prepared = self.assembly.prepare(TaskRequest(workspace=workspace, task_id=task_id, model=model))
        prepared.request.goal = prepared.journal_row.get("goal", "")
        return self._launch(task_id, prepared), prepared.model_name

    def _launch(self, task_id: str, prepared: PreparedTask) -> str:
        prepared.request.task_id = task_id
        sink = SequencedSink(task_id, lambda e: self._forward(task_id, e))
        rec = TaskRecord(task_id, prepared.request.goal, prepared.workspace, sink)
        rec.event_log = EventLog(rec.workspace, task_id)
        with self._lock:
            self.tasks[task_id] = rec
        rec.thread = threading.Thread(target=self._run, args=(rec, prepared), name=f"task-{task_id}", daemon=True)
        rec.thread.start()
        return task_id

    def _forward(self, task_id: str, event: TaskEvent) -> None:
        rec = self.tasks.get(task_id)
        if rec is not None and isinstance(event, StepEvent):
            rec.steps = event.step
        if rec is not None and isinstance(event, DoneEvent):
            rec.status, rec.outcome, rec.reason = "finished", event.outcome, event.reason
        if rec is not None and rec.event_log is not None:
            rec.event_log.append(to_wire(event))
            if isinstance(event, DoneEvent):
                rec.event_log.close()
        self.notify(event)

    def _run(self, rec: TaskRecord, prepared: PreparedTask) -> None:
        rec.status = "running"
        try:
            rec.task = self.assembly.build(prepared, rec.sink)
            if rec.cancel_requested.is_set():
                rec.task.cancel()
            result = rec.task.run()
            rec.outcome, rec.reason = result.outcome, result.reason
        except (ModelError, OSError, ValueError, KeyError, TaskBusy) as exc:
            self._failed(rec, str(exc.args[0]) if isinstance(exc, KeyError) else str(exc))
        except Exception as exc:  # the server never dies from a task
            log.exception("task %s: internal error", rec.task_id)
            self._failed(rec, f"internal error: {type(exc).__name__}: {exc}")
        rec.status = "finished"

    @staticmethod
    def _failed(rec: TaskRecord, reason: str) -> None:
        rec.outcome, rec.reason = "failed", reason
        rec.sink(DoneEvent(task_id=rec.task_id, outcome="failed", reason=reason))

    def cancel(self, task_id: str) -> TaskRecord:
        rec = self._get(task_id)
        rec.cancel_requested.set()
        if rec.task is not None:
            rec.task.cancel()
        return rec

    def pause(self, task_id: str, paused: bool) -> TaskRecord:
        rec = self._get(task_id)
        if rec.task is None or rec.status == "finished":
            raise ValueError(f"task {task_id} is not running")
        rec.task.pause() if paused else rec.task.unpause()
        return rec

    def is_running(self, task_id: str) -> bool:
        rec = self.tasks.get(task_id)
        return rec is not None and rec.status != "finished"

    def _get(self, task_id: str) -> TaskRecord:
        rec = self.tasks.get(task_id)
        if rec is None:
            raise KeyError(f"unknown task id: {task_id}")
        return rec

    def status(self, task_id: str | None, workspace: Path | None) -> list[TaskInfo]:
        """This server's tasks, plus those the workspace's journal knows (e.g. interrupted by a crash)."""
        known: dict[str, TaskInfo] = {}
        if workspace is not None:
            for r in self.workspaces.journaled_tasks(workspace):
                known[r["id"]] = TaskInfo(task_id=r["id"], goal=r["goal"], workspace=r["workspace"],
                                          status=r["status"], outcome=r["outcome"], reason=r["reason"])
        merged = {**known, **{r.task_id: r.info() for r in self.tasks.values()}}
        if task_id is not None:
            if task_id not in merged:
                raise KeyError(f"unknown task id: {task_id}")
            return [merged[task_id]]
        return list(merged.values())

    def events(self, task_id: str, after_seq: int, workspace: Path | None = None) -> list[dict[str, Any]]:
        """From memory for this server's tasks; else from the workspace's event log (an earlier server's)."""
        rec = self.tasks.get(task_id)
        if rec is None and workspace is not None:
            return read_events(workspace, task_id, after_seq)
        return [to_wire(e) for e in self._get(task_id).sink.since(after_seq)]

    # -- Max Mode candidates, kept after the task (maxmode/kept.py, maxmode/reapply.py) ---------------
    def _workspace_of(self, task_id: str, workspace: Path | None) -> Path:
        rec = self.tasks.get(task_id)
        if rec is not None:
            return rec.workspace
        if workspace is None:
            raise KeyError(f"unknown task id: {task_id}")
        return workspace

    def candidates(self, task_id: str, workspace: Path | None) -> dict[str, Any]:
        from mimo_lsp.maxmode.kept import listing

        with self.workspaces.checkpoints(self._workspace_of(task_id, workspace)) as svc:
            return listing(svc.journal, svc.blobs, task_id)

    def candidate_file(self, task_id: str, candidate_id: int, path: str, workspace: Path | None) -> dict[str, Any]:
        from mimo_lsp.maxmode.kept import candidate_file

        with self.workspaces.checkpoints(self._workspace_of(task_id, workspace)) as svc:
            return candidate_file(svc.journal, svc.blobs, task_id, candidate_id, path)

    def apply_candidate(self, task_id: str, candidate_id: int, workspace: Path | None) -> dict[str, Any]:
        """Another candidate's files replace the current ones: one checkpointed action, as the pick was."""
        from mimo_lsp.maxmode.reapply import apply_candidate

        if self.is_running(task_id):
            raise ValueError(f"task {task_id} is running; apply a candidate once it has stopped")
        root = self._workspace_of(task_id, workspace)
        settings = self.workspaces.settings(root)
        a = self.assembly
        return apply_candidate(root, settings, task_id, candidate_id, a.buffer_guard, a.buffer_text,
                               a.confirm_for(settings))

    def cancel_all(self) -> None:
        for rec in list(self.tasks.values()):
            if rec.status != "finished":
                self.cancel(rec.task_id)
