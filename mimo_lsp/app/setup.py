"""One setup path for a task: validate, load settings, resolve the model, open it, wire the index and
the checkpoint housekeeping, build the AgentTask. Used by `mimo run/resume`, the server and the
benchmarks."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from mimo_lsp.agent.events import TaskEvent
from mimo_lsp.agent.goal import GoalCriteria
from mimo_lsp.agent.task import AgentTask, Confirm, TaskPorts
from mimo_lsp.checkpoints.journal import CheckpointJournal
from mimo_lsp.config import LayeredSettings, Settings, load_settings
from mimo_lsp.llm.models import ResolvedModel, resolve_model
from mimo_lsp.llm.port import ChatModel
from mimo_lsp.safety.trust import TrustReport
from mimo_lsp.tools.actions import BufferGuard
from mimo_lsp.workspace import state_dir

log = logging.getLogger(__name__)


@dataclass
class TaskRequest:
    """A task to start (goal + criteria) or to resume (task_id)."""

    workspace: Path
    goal: str = ""
    criteria: GoalCriteria | None = None
    model: str | None = None  # explicit model spec (flag, command argument); beats every config layer
    overrides: dict[str, Any] = field(default_factory=dict)  # this request's own explicit settings (max mode)
    task_id: str | None = None  # set: resume this task


@dataclass
class PreparedTask:
    """A validated request: its workspace exists, its settings parse, its model resolves."""

    request: TaskRequest
    workspace: Path
    layered: LayeredSettings
    resolved: ResolvedModel | None  # None when the caller brings its own model (benchmarks)
    resume: bool = False
    journal_row: dict[str, Any] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return self.layered.settings

    @property
    def model_name(self) -> str:
        return self.resolved.name if self.resolved is not None else "caller's model"


def resume_settings(workspace: Path, task_id: str, model: str | None = None) -> tuple[LayeredSettings, dict]:
    """The settings a task started with (model spec overridable), and its journal row."""
    journal = CheckpointJournal(state_dir(workspace.resolve()) / "journal.sqlite")
    try:
        row = journal.task(task_id)
    finally:
        journal.close()
    if row is None:
        raise KeyError(f"unknown task id: {task_id}")
    settings = Settings.model_validate_json(row["settings_json"]) if row["settings_json"] else Settings()
    source = "the task's saved settings"
    if model:
        settings.model.spec, source = model, "explicit"
    return LayeredSettings(settings=settings, model_source=source), row


def _existing_dir(workspace: Path) -> Path:
    workspace = workspace.expanduser()
    if not workspace.is_dir():
        raise FileNotFoundError(f"workspace is not a directory: {workspace}")
    return workspace.resolve()


class TaskAssembly:
    """Builds tasks the same way for every entry point. `overrides` is the explicit settings layer
    (CLI flags, the editor's initializationOptions); `index` gives the agent search and the planner
    its repo map (None: no index, e.g. benchmarks)."""

    def __init__(self, overrides: dict[str, Any] | None = None, index: Any = None,
                 confirm: Callable[[dict[str, Any], float], str | None] | None = None,
                 buffer_guard: BufferGuard | None = None, buffer_text: Callable[[Path], str | None] | None = None,
                 on_untrusted: Callable[[TrustReport], None] | None = None) -> None:
        self.overrides = overrides or {}
        self.on_untrusted = on_untrusted  # told when a workspace's config asks for more than it gets
        self.index = index
        self.confirm = confirm
        self.buffer_guard = buffer_guard
        self.buffer_text = buffer_text

    def prepare(self, request: TaskRequest) -> PreparedTask:
        """Synchronous validation with clear errors (bad workspace, config or model path)."""
        workspace = _existing_dir(request.workspace)
        if request.task_id:
            layered, row = resume_settings(workspace, request.task_id, request.model)
            resolved = resolve_model(layered.settings.model.spec, layered.model_source)
            return PreparedTask(request, workspace, layered, resolved, resume=True, journal_row=row)
        if not request.goal.strip():
            raise ValueError("goal is empty")
        overrides = {**self.overrides, **request.overrides}
        if request.model:
            overrides = {**overrides, "model": {**overrides.get("model", {}), "spec": request.model}}
        layered = load_settings(workspace, overrides)
        if layered.trust is not None and layered.trust.ignored and self.on_untrusted is not None:
            self.on_untrusted(layered.trust)
        return PreparedTask(request, workspace, layered, resolve_model(layered.settings.model.spec,
                                                                       layered.model_source))

    def prepared_with(self, request: TaskRequest, settings: Settings) -> PreparedTask:
        """Explicit settings, no config files read (benchmarks bring their own)."""
        return PreparedTask(request, _existing_dir(request.workspace), LayeredSettings(settings=settings), None)

    def build(self, prepared: PreparedTask, emit: Callable[[TaskEvent], None],
              model: ChatModel | None = None) -> AgentTask:
        """Opens the models (unless `model` is given), the searcher, the housekeeping; builds the task."""
        from mimo_lsp.llm.factory import open_model, open_role_models

        roles: dict[str, ChatModel] = {}
        if model is None:
            layered = prepared.layered
            if layered.settings.max.n >= 1:  # Max Mode candidates copy code: their own repetition penalty
                settings = layered.settings.model_copy(deep=True)
                settings.model.repeat_penalty = settings.max.repeat_penalty
                layered = layered.model_copy(update={"settings": settings})
            model, _ = open_model(layered)
            roles = open_role_models(layered)
        search, context = None, None
        if self.index is not None:
            from mimo_lsp.index.context import context_for

            search = self.index.searcher(prepared.workspace)
            context = context_for(search)
        workspace, limits = prepared.workspace, prepared.settings.checkpoints
        ports = TaskPorts(model=model, roles=roles, search=search, context=context, buffer_guard=self.buffer_guard,
                          buffer_text=self.buffer_text,
                          confirm=self.confirm_for(prepared.settings),
                          on_finished=lambda: collect_garbage(workspace, limits))
        req = prepared.request
        trust = prepared.layered.trust
        ignored = [i.model_dump(mode="json") for i in trust.ignored] if trust is not None else []
        return AgentTask(req.goal, workspace, prepared.settings, emit, ports, criteria=req.criteria,
                         task_id=req.task_id, resume=prepared.resume, ignored_settings=ignored)


    def confirm_for(self, settings: Settings) -> Confirm | None:
        """The user's answer to a risky action, waited for at most the task's confirm_timeout_s."""
        ask, timeout = self.confirm, settings.safety.confirm_timeout_s
        return None if ask is None else (lambda request: ask(request, timeout))


def collect_garbage(workspace: Path, limits: Any) -> None:
    """After a task: keep the workspace under its checkpoint cap. Another live task defers it."""
    from mimo_lsp.app.workspace import open_checkpoints
    from mimo_lsp.checkpoints.service import TaskRunning

    with open_checkpoints(workspace, limits) as svc:
        if svc.stats().total_bytes <= svc.cap_bytes:
            return
        try:
            report = svc.gc()
        except TaskRunning as exc:
            log.info("checkpoint gc in %s deferred: %s", workspace, exc)
            return
        log.info("checkpoint gc in %s: %d task(s) deleted, %d bytes freed", workspace, len(report.deleted_tasks),
                 report.freed_bytes)
