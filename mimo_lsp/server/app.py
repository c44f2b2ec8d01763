"""The pygls server: lifecycle, commands, notifications, $/progress, unsaved-buffer guard."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from lsprotocol import types
from pydantic import BaseModel, ValidationError
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from mimo_lsp import __version__, protocol as P
from mimo_lsp.agent.events import DoneEvent, NodeEvent, PlanEvent, TaskEvent
from mimo_lsp.config import ConfigError
from mimo_lsp.index.service import IndexService
from mimo_lsp.llm.port import ModelError
from mimo_lsp.server.tasks import TaskManager, event_payload

log = logging.getLogger("mimo_lsp.server")


class MimoServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("mimo-lsp", __version__)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.index = IndexService()
        self.tasks = TaskManager(self._notify_threadsafe, search_for=self.index.searcher,
                                 buffer_guard=self.unsaved_reason)
        self._progress_tokens: dict[str, str] = {}

    # -- events -> notifications (called from task threads) --------------------------------------
    def _notify_threadsafe(self, event: TaskEvent) -> None:
        if self.loop is None or self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self._emit, event)

    def _emit(self, event: TaskEvent) -> None:
        try:
            self.protocol.notify(P.NOTIFY_PREFIX + event.kind, event_payload(event))
            self._progress(event)
        except Exception:  # a client gone mid-task must not take the server down
            log.exception("could not send %s", event.kind)

    def _progress(self, event: TaskEvent) -> None:
        token = self._progress_tokens.get(event.task_id)
        if token is None:
            return
        wdp = self.work_done_progress
        if isinstance(event, PlanEvent):
            wdp.report(token, types.WorkDoneProgressReport(message=f"plan: {len(event.nodes)} sub-tasks"))
        elif isinstance(event, NodeEvent):
            wdp.report(token, types.WorkDoneProgressReport(message=f"{event.node_id}: {event.status}"))
        elif isinstance(event, DoneEvent):
            wdp.end(token, types.WorkDoneProgressEnd(message=f"{event.outcome}: {event.reason[:200]}"))
            self._progress_tokens.pop(event.task_id, None)

    def begin_progress(self, task_id: str, goal: str) -> None:
        caps = self.client_capabilities.window
        if not (caps and caps.work_done_progress):
            return
        token = f"mimo-task-{task_id}"
        self._progress_tokens[task_id] = token

        def created(*_: Any) -> None:
            self.work_done_progress.begin(token, types.WorkDoneProgressBegin(title="mimo", message=goal[:100],
                                                                            cancellable=False))

        self.work_done_progress.create(token, created)

    # -- never clobber an unsaved buffer ----------------------------------------------------------
    def unsaved_reason(self, path: Path) -> str | None:
        uri = from_fs_path(str(path))
        doc = self.workspace.text_documents.get(uri) if uri else None
        if doc is None:
            return None
        try:
            on_disk = path.read_text(encoding="utf-8")
        except OSError:
            on_disk = None
        if doc.source != on_disk:
            return f"{path.name} has unsaved changes in the editor; save or revert it before the agent edits it"
        return None

    def default_workspace(self) -> Path:
        folders = list(self.workspace.folders.values())
        if folders:
            return Path(to_fs_path(folders[0].uri) or ".")
        if self.workspace.root_path:
            return Path(self.workspace.root_path)
        raise JsonRpcInvalidParams("no workspace: pass 'workspace' or open a folder")


def _params(model: type[BaseModel], args: tuple[Any, ...]) -> Any:
    """Commands take one object argument; anything else is a JSON-RPC invalid-params error."""
    if len(args) > 1:
        raise JsonRpcInvalidParams(f"expected one argument object, got {len(args)} arguments")
    raw = args[0] if args else {}
    if not isinstance(raw, dict):
        raise JsonRpcInvalidParams(f"expected an object argument, got {type(raw).__name__}")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "<root>"
        raise JsonRpcInvalidParams(f"invalid {model.__name__}: {loc}: {first['msg']}") from None


def _user_error(exc: Exception) -> JsonRpcException:
    return JsonRpcInvalidParams(str(exc) if not isinstance(exc, KeyError) else str(exc.args[0]))


def create_server() -> MimoServer:
    server = MimoServer()

    @server.feature(types.INITIALIZED)
    async def initialized(ls: MimoServer, _params: types.InitializedParams) -> None:
        ls.loop = asyncio.get_running_loop()
        opts = ls.protocol.initialization_options if hasattr(ls.protocol, "initialization_options") else None
        if isinstance(opts, dict):
            ls.tasks.init_options = opts

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: MimoServer, *_: Any) -> None:
        ls.tasks.cancel_all()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: MimoServer, params: types.DidOpenTextDocumentParams) -> None:
        pass  # pygls keeps the document; the unsaved-buffer guard reads it

    @server.command(P.CMD_TASK_START)
    async def task_start(ls: MimoServer, *args: Any) -> dict[str, Any]:
        ls.loop = asyncio.get_running_loop()
        params: P.TaskStartParams = _params(P.TaskStartParams, args)
        workspace = Path(params.workspace) if params.workspace else ls.default_workspace()
        try:
            task_id, model_name = ls.tasks.start(params, workspace)
        except (ModelError, ConfigError, FileNotFoundError, ValueError) as exc:
            raise _user_error(exc) from None
        ls.begin_progress(task_id, params.goal)
        return P.TaskStartResult(task_id=task_id, model=model_name).wire()

    @server.command(P.CMD_TASK_CANCEL)
    def task_cancel(ls: MimoServer, *args: Any) -> dict[str, Any]:
        params: P.TaskRefParams = _params(P.TaskRefParams, args)
        try:
            rec = ls.tasks.cancel(params.task_id)
        except KeyError as exc:
            raise _user_error(exc) from None
        return P.TaskCancelResult(task_id=rec.task_id, cancelled=rec.status != "finished", status=rec.status).wire()

    @server.command(P.CMD_TASK_STATUS)
    def task_status(ls: MimoServer, *args: Any) -> dict[str, Any]:
        params: P.TaskStatusParams = _params(P.TaskStatusParams, args)
        try:
            return P.TaskStatusResult(tasks=ls.tasks.status(params.task_id)).wire()
        except KeyError as exc:
            raise _user_error(exc) from None

    @server.command(P.CMD_TASK_EVENTS)
    def task_events(ls: MimoServer, *args: Any) -> dict[str, Any]:
        params: P.TaskEventsParams = _params(P.TaskEventsParams, args)
        try:
            return P.TaskEventsResult(events=ls.tasks.events(params.task_id, params.after_seq)).wire()
        except KeyError as exc:
            raise _user_error(exc) from None

    @server.command(P.CMD_INDEX_SEARCH)
    async def index_search(ls: MimoServer, *args: Any) -> dict[str, Any]:
        params: P.IndexSearchParams = _params(P.IndexSearchParams, args)
        workspace = Path(params.workspace) if params.workspace else ls.default_workspace()
        if not workspace.is_dir():
            raise JsonRpcInvalidParams(f"workspace is not a directory: {workspace}")
        loop = asyncio.get_running_loop()
        hits = await loop.run_in_executor(None, ls.index.search, workspace, params.query, params.k)
        return P.IndexSearchResult(hits=[P.IndexSearchHit(**h) for h in hits]).wire()

    return server
