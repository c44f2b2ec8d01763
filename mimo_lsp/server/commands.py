"""Command handlers' bodies. Imported on the first command, not at start-up: `initialize` stays fast."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError
from pygls.exceptions import JsonRpcInvalidParams

from mimo_lsp.config import ConfigError
from mimo_lsp.index.service import IndexService
from mimo_lsp.llm.port import ModelError
from mimo_lsp.protocol import payloads as P
from mimo_lsp.protocol.payloads import camelize
from mimo_lsp.server.tasks import TaskManager, event_payload

if TYPE_CHECKING:
    from mimo_lsp.server.app import MimoServer


class Backend:
    """The server's agent-side state: tasks and indexes. Created on the first command."""

    def __init__(self, ls: "MimoServer") -> None:
        self.index = IndexService()
        self.tasks = TaskManager(ls.notify_threadsafe, init_options=ls.init_options, search_for=self.index.searcher,
                                 buffer_guard=ls.unsaved_reason, confirm=ls.confirm_threadsafe)


def params(model: type[BaseModel], args: tuple[Any, ...]) -> Any:
    """Commands take one object argument; anything else is a JSON-RPC invalid-params error."""
    if len(args) > 1:
        raise JsonRpcInvalidParams(f"expected one argument object, got {len(args)} arguments")
    raw = args[0] if args else {}
    if raw == [] or raw is None:  # Lua clients (Neovim) encode an empty table as []
        raw = {}
    if not isinstance(raw, dict):
        raise JsonRpcInvalidParams(f"expected an object argument, got {type(raw).__name__}")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "<root>"
        raise JsonRpcInvalidParams(f"invalid {model.__name__}: {loc}: {first['msg']}") from None


def user_error(exc: Exception) -> JsonRpcInvalidParams:
    return JsonRpcInvalidParams(str(exc.args[0]) if isinstance(exc, KeyError) else str(exc))


def task_start(ls: "MimoServer", args: tuple[Any, ...]) -> dict[str, Any]:
    p: P.TaskStartParams = params(P.TaskStartParams, args)
    workspace = Path(p.workspace) if p.workspace else ls.default_workspace()
    try:
        task_id, model_name = ls.backend.tasks.start(p, workspace)
    except (ModelError, ConfigError, FileNotFoundError, ValueError) as exc:
        raise user_error(exc) from None
    ls.begin_progress(task_id, p.goal)
    return P.TaskStartResult(task_id=task_id, model=model_name).wire()


def task_cancel(ls: "MimoServer", args: tuple[Any, ...]) -> dict[str, Any]:
    p: P.TaskRefParams = params(P.TaskRefParams, args)
    try:
        rec = ls.backend.tasks.cancel(p.task_id)
    except KeyError as exc:
        raise user_error(exc) from None
    return P.TaskCancelResult(task_id=rec.task_id, cancelled=rec.status != "finished", status=rec.status).wire()


def task_pause(ls: "MimoServer", args: tuple[Any, ...], paused: bool = True) -> dict[str, Any]:
    p: P.TaskRefParams = params(P.TaskRefParams, args)
    try:
        rec = ls.backend.tasks.pause(p.task_id, paused)
    except (KeyError, ValueError) as exc:
        raise user_error(exc) from None
    return P.TaskCancelResult(task_id=rec.task_id, cancelled=False, status="paused" if paused else rec.status).wire()


def task_unpause(ls: "MimoServer", args: tuple[Any, ...]) -> dict[str, Any]:
    return task_pause(ls, args, paused=False)


def lessons_list(ls: "MimoServer", args: tuple[Any, ...]) -> dict[str, Any]:
    from mimo_lsp.agent.lessons import list_lessons
    from mimo_lsp.agent.memory import MemoryStore
    from mimo_lsp.workspace import existing_state_dir

    p: P.WorkspaceParams = params(P.WorkspaceParams, args)
    data = existing_state_dir(Path(p.workspace) if p.workspace else ls.default_workspace())
    if data is None or not (data / "memory.sqlite").exists():
        return {"lessons": []}
    store = MemoryStore(data, "hashing")
    try:
        return {"lessons": [{"id": m.id, "taskId": m.task_id, "text": m.text, "created": m.created}
                            for m in list_lessons(store)]}
    finally:
        store.close()


def task_status(ls: "MimoServer", args: tuple[Any, ...]) -> dict[str, Any]:
    p: P.TaskStatusParams = params(P.TaskStatusParams, args)
    live = {t.task_id: t for t in ls.backend.tasks.status(None)}
    known = {t.task_id: t for t in journaled_tasks(ls, p.workspace) if t.task_id not in live}
    merged = {**known, **live}
    if p.task_id is not None:
        if p.task_id not in merged:
            raise JsonRpcInvalidParams(f"unknown task id: {p.task_id}")
        return P.TaskStatusResult(tasks=[merged[p.task_id]]).wire()
    return P.TaskStatusResult(tasks=list(merged.values())).wire()


def task_events(ls: "MimoServer", args: tuple[Any, ...]) -> dict[str, Any]:
    p: P.TaskEventsParams = params(P.TaskEventsParams, args)
    try:
        workspace: Path | None = _workspace(ls, p.workspace)
    except JsonRpcInvalidParams:
        workspace = None
    try:
        return P.TaskEventsResult(events=ls.backend.tasks.events(p.task_id, p.after_seq, workspace)).wire()
    except KeyError as exc:
        raise user_error(exc) from None


def payload(event: Any) -> dict[str, Any]:
    return event_payload(event)


# -- resume and checkpoints -----------------------------------------------------------------------
def _workspace(ls: "MimoServer", given: str | None) -> Path:
    workspace = Path(given) if given else ls.default_workspace()
    if not workspace.is_dir():
        raise JsonRpcInvalidParams(f"workspace is not a directory: {workspace}")
    return workspace


def _service(ls: "MimoServer", given: str | None, must_exist: bool = True):
    from mimo_lsp.checkpoints.service import CheckpointService
    from mimo_lsp.workspace import existing_state_dir

    workspace = _workspace(ls, given)
    if must_exist and existing_state_dir(workspace.resolve()) is None:
        raise JsonRpcInvalidParams(f"no tasks recorded in {workspace}")
    return CheckpointService(workspace)


def journaled_tasks(ls: "MimoServer", given: str | None) -> list[P.TaskInfo]:
    """Tasks known from the workspace's journal (e.g. interrupted by a crash), without creating state."""
    from mimo_lsp.workspace import existing_state_dir

    try:
        workspace = _workspace(ls, given)
    except JsonRpcInvalidParams:
        return []
    if existing_state_dir(workspace.resolve()) is None:
        return []
    svc = _service(ls, given)
    try:
        return [P.TaskInfo(task_id=r["id"], goal=r["goal"], workspace=r["workspace"], status=r["status"],
                           outcome=r["outcome"], reason=r["reason"]) for r in svc.tasks()]
    finally:
        svc.close()


def task_resume(ls: "MimoServer", args: tuple[Any, ...]) -> dict[str, Any]:
    from mimo_lsp.agent.task import TaskBusy

    p: P.TaskResumeParams = params(P.TaskResumeParams, args)
    try:
        task_id, model_name = ls.backend.tasks.resume(p.task_id, _workspace(ls, p.workspace), p.model)
    except (ModelError, ConfigError, FileNotFoundError, ValueError, KeyError, TaskBusy) as exc:
        raise user_error(exc) from None
    ls.begin_progress(task_id, f"resume {task_id}")
    return P.TaskStartResult(task_id=task_id, model=model_name).wire()


def _with_service(ls: "MimoServer", workspace: str | None, fn) -> Any:
    from mimo_lsp.checkpoints.service import TaskRunning

    svc = _service(ls, workspace)
    try:
        return fn(svc)
    except (KeyError, TaskRunning) as exc:
        raise user_error(exc) from None
    finally:
        svc.close()


def checkpoint_list(ls: "MimoServer", args: tuple[Any, ...]) -> dict[str, Any]:
    p: P.CheckpointListParams = params(P.CheckpointListParams, args)
    cps = _with_service(ls, p.workspace, lambda s: s.list(p.task_id))
    return P.CheckpointListResult(checkpoints=[camelize(c.model_dump(), frozenset({"args"})) for c in cps]).wire()


def checkpoint_diff(ls: "MimoServer", args: tuple[Any, ...]) -> dict[str, Any]:
    p: P.CheckpointDiffParams = params(P.CheckpointDiffParams, args)
    diff = _with_service(ls, p.workspace, lambda s: s.diff(p.task_id, p.from_checkpoint, p.to_checkpoint))
    return P.CheckpointDiffResult(diff=diff).wire()


def checkpoint_restore(ls: "MimoServer", args: tuple[Any, ...]) -> dict[str, Any]:
    p: P.CheckpointRestoreParams = params(P.CheckpointRestoreParams, args)
    live = ls.backend.tasks.tasks.get(p.task_id)
    if live is not None and live.status != "finished":
        raise JsonRpcInvalidParams(f"task {p.task_id} is running; cancel it before restoring")
    report = _with_service(ls, p.workspace, lambda s: s.restore(p.task_id, p.checkpoint_id, p.mode))
    return camelize(report.model_dump())


def checkpoint_stats(ls: "MimoServer", args: tuple[Any, ...]) -> dict[str, Any]:
    p: P.WorkspaceParams = params(P.WorkspaceParams, args)
    return camelize(_with_service(ls, p.workspace, lambda s: s.stats()).model_dump())


def checkpoint_gc(ls: "MimoServer", args: tuple[Any, ...]) -> dict[str, Any]:
    p: P.CheckpointGcParams = params(P.CheckpointGcParams, args)
    return camelize(_with_service(ls, p.workspace, lambda s: s.gc(p.keep_days)).model_dump())


def audit_get(ls: "MimoServer", args: tuple[Any, ...]) -> dict[str, Any]:
    """A task's audit records, verified against the journal's anchor."""
    from mimo_lsp.safety.audit import audit_path, read_records, verify

    p: P.CheckpointListParams = params(P.CheckpointListParams, args)
    svc = _service(ls, p.workspace)
    try:
        row = svc.journal.task(p.task_id)
        if row is None:
            raise JsonRpcInvalidParams(f"unknown task id: {p.task_id}")
        path = audit_path(svc.data_dir, p.task_id)
        result = verify(path, row.get("audit_head"), row.get("audit_count"))
        return {"records": read_records(path)[0], "verification": camelize(result.model_dump())}
    finally:
        svc.close()


def _open_text(ls: "MimoServer", workspace: Path):
    """rel path -> the text of its open editor buffer, or None when it is not open."""
    def open_text(rel: str) -> str | None:
        doc = ls.open_document(workspace / rel)
        return doc.source if doc is not None else None

    return open_text


def review_get(ls: "MimoServer", args: tuple[Any, ...]) -> dict[str, Any]:
    p: P.CheckpointListParams = params(P.CheckpointListParams, args)
    open_text = _open_text(ls, _workspace(ls, p.workspace).resolve())
    files = _with_service(ls, p.workspace, lambda s: s.review(p.task_id, open_text))
    return {"files": [camelize(f.model_dump()) for f in files]}


def review_accept(ls: "MimoServer", args: tuple[Any, ...]) -> dict[str, Any]:
    p: P.ReviewDecideParams = params(P.ReviewDecideParams, args)
    decision = _with_service(ls, p.workspace, lambda s: s.decide(p.task_id, "accept", p.path, p.hunk_ids))
    return camelize(decision.model_dump())


def review_reject_prepare(ls: "MimoServer", args: tuple[Any, ...]):
    """Reverts on disk what is not open; returns the decision and the edits open buffers still need."""
    p: P.ReviewDecideParams = params(P.ReviewDecideParams, args)
    workspace = _workspace(ls, p.workspace).resolve()
    open_text = _open_text(ls, workspace)
    decision = _with_service(ls, p.workspace, lambda s: s.decide(p.task_id, "reject", p.path, p.hunk_ids, open_text))
    return workspace, decision


def review_reject_journal(ls: "MimoServer", args: tuple[Any, ...], applied: list) -> int | None:
    """After the editor applied reverts to open buffers: journal the clean ones (see journal_buffer_rejects)."""
    p: P.ReviewDecideParams = params(P.ReviewDecideParams, args)
    return _with_service(ls, p.workspace, lambda s: s.journal_buffer_rejects(p.task_id, applied))
