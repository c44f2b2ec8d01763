"""TaskManager: runs agent tasks on worker threads and forwards their events. Knows nothing of pygls."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

from mimo_lsp.agent.events import DoneEvent, SequencedSink, StepEvent, TaskEvent
from mimo_lsp.agent.task import AgentTask, TaskBusy, new_task_id, resume_settings
from mimo_lsp.config import load_settings
from mimo_lsp.llm.factory import open_model, open_role_models
from mimo_lsp.llm.models import resolve_model
from mimo_lsp.llm.port import ModelError
from mimo_lsp.protocol.payloads import TaskInfo, TaskStartParams, camelize
from mimo_lsp.server.event_log import EventLog, read_events
from mimo_lsp.tools.registry import BufferGuard, SearchFn

Notify = Callable[[TaskEvent], None]


class TaskRecord:
    def __init__(self, task_id: str, params: TaskStartParams, workspace: Path, sink: SequencedSink) -> None:
        self.task_id, self.params, self.workspace, self.sink = task_id, params, workspace, sink
        self.task: AgentTask | None = None
        self.thread: threading.Thread | None = None
        self.status = "starting"
        self.outcome: str | None = None
        self.reason: str | None = None
        self.steps = 0
        self.cancel_requested = threading.Event()
        self.event_log: EventLog | None = None

    def info(self) -> TaskInfo:
        return TaskInfo(task_id=self.task_id, goal=self.params.goal, workspace=str(self.workspace), status=self.status,
                        outcome=self.outcome, reason=self.reason, steps=self.steps,
                        last_seq=self.sink.log[-1].seq if self.sink.log else 0)


class TaskManager:
    def __init__(self, notify: Notify, init_options: dict[str, Any] | None = None,
                 search_for: Callable[[Path], SearchFn] | None = None, buffer_guard: BufferGuard | None = None,
                 confirm: Callable[..., str | None] | None = None) -> None:
        self.notify = notify
        self.confirm = confirm
        self.init_options = init_options or {}
        self.search_for = search_for
        self.buffer_guard = buffer_guard
        self.tasks: dict[str, TaskRecord] = {}
        self._lock = threading.Lock()

    def start(self, params: TaskStartParams, workspace: Path) -> tuple[str, str]:
        """Validates synchronously (bad workspace / model -> exception with a clear message), then runs."""
        workspace = workspace.expanduser()
        if not workspace.is_dir():
            raise FileNotFoundError(f"workspace is not a directory: {workspace}")
        overrides = dict(self.init_options)
        if params.model:
            overrides = {**overrides, "model": {**overrides.get("model", {}), "spec": params.model}}
        layered = load_settings(workspace, overrides)
        resolved = resolve_model(layered.settings.model.spec, layered.model_source)  # fails fast, names the path
        return self._launch(new_task_id(), params, workspace, layered, resume=False), resolved.name

    def resume(self, task_id: str, workspace: Path, model: str | None = None) -> tuple[str, str]:
        """Continue an interrupted, cancelled or restored task from its journal."""
        rec = self.tasks.get(task_id)
        if rec is not None and rec.status != "finished":
            raise ValueError(f"task {task_id} is still running")
        workspace = workspace.expanduser()
        if not workspace.is_dir():
            raise FileNotFoundError(f"workspace is not a directory: {workspace}")
        layered, row = resume_settings(workspace, task_id, model)
        resolved = resolve_model(layered.settings.model.spec, layered.model_source)
        params = TaskStartParams(goal=row["goal"], check=row["check_cmd"], workspace=str(workspace))
        return self._launch(task_id, params, workspace, layered, resume=True), resolved.name

    def _launch(self, task_id: str, params: TaskStartParams, workspace: Path, layered, resume: bool) -> str:
        sink = SequencedSink(task_id, lambda e: self._forward(task_id, e))
        rec = TaskRecord(task_id, params, workspace.resolve(), sink)
        rec.event_log = EventLog(rec.workspace, task_id)
        with self._lock:
            self.tasks[task_id] = rec
        rec.thread = threading.Thread(target=self._run, args=(rec, layered, resume), name=f"task-{task_id}",
                                      daemon=True)
        rec.thread.start()
        return task_id

    def _forward(self, task_id: str, event: TaskEvent) -> None:
        rec = self.tasks.get(task_id)
        if rec is not None and isinstance(event, StepEvent):
            rec.steps = event.step
        if rec is not None and isinstance(event, DoneEvent):
            rec.status, rec.outcome, rec.reason = "finished", event.outcome, event.reason
        if rec is not None and rec.event_log is not None:
            rec.event_log.append(event_payload(event))
            if isinstance(event, DoneEvent):
                rec.event_log.close()
        self.notify(event)

    def _run(self, rec: TaskRecord, layered, resume: bool) -> None:
        from mimo_lsp.index.context import context_for

        rec.status = "running"
        try:
            model, _ = open_model(layered)
            roles = open_role_models(layered)
            search = self.search_for(rec.workspace) if self.search_for else None
            rec.task = AgentTask(rec.params.goal, rec.workspace, model, layered.settings, rec.sink,
                                 check=rec.params.check, task_id=rec.task_id, search=search,
                                 buffer_guard=self.buffer_guard, resume=resume, confirm=self._confirmer(layered),
                                 criteria=criteria_of(rec.params), roles=roles, context=context_for(search))
            if rec.cancel_requested.is_set():
                rec.task.cancel()
            result = rec.task.run()
            rec.outcome, rec.reason = result.outcome, result.reason
        except (ModelError, OSError, ValueError, KeyError, TaskBusy) as exc:
            rec.outcome, rec.reason = "failed", str(exc)
            rec.sink(DoneEvent(task_id=rec.task_id, outcome="failed", reason=str(exc)))
        except Exception as exc:  # the server never dies from a task
            rec.outcome, rec.reason = "failed", f"internal error: {type(exc).__name__}: {exc}"
            rec.sink(DoneEvent(task_id=rec.task_id, outcome="failed", reason=rec.reason))
        rec.status = "finished"

    def _confirmer(self, layered):
        if self.confirm is None:
            return None
        timeout = layered.settings.safety.confirm_timeout_s
        return lambda request: self.confirm(request, timeout)

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

    def _get(self, task_id: str) -> TaskRecord:
        rec = self.tasks.get(task_id)
        if rec is None:
            raise KeyError(f"unknown task id: {task_id}")
        return rec

    def status(self, task_id: str | None) -> list[TaskInfo]:
        if task_id is not None:
            return [self._get(task_id).info()]
        return [r.info() for r in self.tasks.values()]

    def events(self, task_id: str, after_seq: int, workspace: Path | None = None) -> list[dict[str, Any]]:
        """From memory for this server's tasks; else from the workspace's event log (an earlier server's)."""
        rec = self.tasks.get(task_id)
        if rec is None and workspace is not None:
            return read_events(workspace, task_id, after_seq)
        return [event_payload(e) for e in self._get(task_id).sink.since(after_seq)]

    def cancel_all(self) -> None:
        for rec in list(self.tasks.values()):
            if rec.status != "finished":
                self.cancel(rec.task_id)


def criteria_of(params: TaskStartParams):
    from mimo_lsp.agent.goal import GoalCriteria
    from mimo_lsp.agent.plan import CheckSpec

    if params.criteria is None:
        return None
    c = params.criteria
    return GoalCriteria(commands=c.commands, criterion=c.criterion,
                        files=[CheckSpec(**f.model_dump(exclude_none=True)) for f in c.files])


def event_payload(event: TaskEvent) -> dict[str, Any]:
    return camelize(event.model_dump(mode="json"))
