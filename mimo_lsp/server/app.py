"""The pygls server: lifecycle, command routing, notifications, $/progress, unsaved-buffer guard.

Only pygls and lsprotocol load at start-up; the agent side (pydantic payloads, tasks, index) loads
on the first command, so `initialize` costs what the framework costs.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from mimo_lsp import __version__, protocol as P

if TYPE_CHECKING:
    from mimo_lsp.server.commands import Backend

log = logging.getLogger("mimo_lsp.server")


class MimoServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("mimo-lsp", __version__)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.init_options: dict[str, Any] = {}
        self._backend: Backend | None = None
        self._progress_tokens: dict[str, str] = {}

    @property
    def backend(self) -> "Backend":
        if self._backend is None:
            from mimo_lsp.server.commands import Backend

            self._backend = Backend(self)
        return self._backend

    # -- events -> notifications (called from task threads) --------------------------------------
    def notify_threadsafe(self, event: Any) -> None:
        if self.loop is None or self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self._emit, event)

    def _emit(self, event: Any) -> None:
        from mimo_lsp.server.commands import payload

        try:
            self.protocol.notify(P.NOTIFY_PREFIX + event.kind, payload(event))
            self._progress(event)
        except Exception:  # a client gone mid-task must not take the server down
            log.exception("could not send %s", event.kind)

    def _progress(self, event: Any) -> None:
        token = self._progress_tokens.get(event.task_id)
        if token is None:
            return
        wdp = self.work_done_progress
        if event.kind == "plan":
            wdp.report(token, types.WorkDoneProgressReport(message=f"plan: {len(event.nodes)} sub-tasks"))
        elif event.kind == "node":
            wdp.report(token, types.WorkDoneProgressReport(message=f"{event.node_id}: {event.status}"))
        elif event.kind == "done":
            wdp.end(token, types.WorkDoneProgressEnd(message=f"{event.outcome}: {event.reason[:200]}"))
            self._progress_tokens.pop(event.task_id, None)

    def begin_progress(self, task_id: str, goal: str) -> None:
        caps = self.client_capabilities.window
        if not (caps and caps.work_done_progress):
            return
        token = f"mimo-task-{task_id}"
        self._progress_tokens[task_id] = token

        def created(*_: Any) -> None:
            self.work_done_progress.begin(token, types.WorkDoneProgressBegin(title="mimo", message=goal[:100]))

        self.work_done_progress.create(token, created)

    # -- confirmations of risky actions (called from task threads) --------------------------------
    CONFIRM_ANSWERS = {"Yes": "yes", "No": "no", "Always": "always", "Never": "never"}

    def confirm_threadsafe(self, request: dict[str, Any], timeout_s: float = 300.0) -> str | None:
        """window/showMessageRequest; no answer (or no client) within the timeout means no."""
        import threading

        if self.loop is None or self.loop.is_closed():
            return None
        answered = threading.Event()
        box: dict[str, Any] = {}

        def on_answer(item: Any) -> None:
            box["item"] = item
            answered.set()

        def send() -> None:
            try:
                message = (f"mimo wants to run {request['tool']}: {request['subject'][:300]}\n"
                           f"Why it asks: {request['reason']}. Allow it?")
                self.window_show_message_request(types.ShowMessageRequestParams(
                    type=types.MessageType.Warning, message=message,
                    actions=[types.MessageActionItem(title=t) for t in self.CONFIRM_ANSWERS]), on_answer)
            except Exception:
                log.exception("could not ask for confirmation")
                answered.set()

        self.loop.call_soon_threadsafe(send)
        if not answered.wait(timeout_s):
            return None
        item = box.get("item")
        title = getattr(item, "title", None) or (item.get("title") if isinstance(item, dict) else None)
        return self.CONFIRM_ANSWERS.get(title or "")

    # -- never clobber an unsaved buffer ----------------------------------------------------------
    def unsaved_reason(self, path: Path) -> str | None:
        uri = from_fs_path(str(path))
        doc = self.workspace.text_documents.get(uri) if uri else None
        if doc is None:
            return None
        try:
            on_disk: str | None = path.read_text(encoding="utf-8")
        except OSError:
            on_disk = None
        if doc.source != on_disk:
            return f"{path.name} has unsaved changes in the editor; save or revert it before the agent edits it"
        return None

    def open_document(self, path: Path):
        uri = from_fs_path(str(path))
        return self.workspace.text_documents.get(uri) if uri else None

    async def apply_buffer_edit(self, path: Path, text: str) -> str | None:
        """Replace an open document's text through workspace/applyEdit, versioned (undo stays with the user).
        Returns why it failed, or None."""
        doc = self.open_document(path)
        if doc is None:
            return "the document is no longer open"
        end = types.Position(line=len(doc.lines), character=0)
        edit = types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=doc.uri, version=doc.version),
            edits=[types.TextEdit(range=types.Range(start=types.Position(line=0, character=0), end=end),
                                  new_text=text)])
        result = await self.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(
            edit=types.WorkspaceEdit(document_changes=[edit]), label="mimo: reject hunks"))
        if result is None or not result.applied:
            return getattr(result, "failure_reason", None) or "the editor did not apply the edit"
        return None

    def default_workspace(self) -> Path:
        folders = list(self.workspace.folders.values())
        if folders:
            return Path(to_fs_path(folders[0].uri) or ".")
        if self.workspace.root_path:
            return Path(self.workspace.root_path)
        raise JsonRpcInvalidParams("no workspace: pass 'workspace' or open a folder")


def create_server() -> MimoServer:
    server = MimoServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: MimoServer, params: types.InitializeParams) -> None:
        # initializationOptions are the top settings layer: {"model": {...}, "agent": {...}}
        if isinstance(params.initialization_options, dict):
            ls.init_options = params.initialization_options

    @server.feature(types.INITIALIZED)
    def initialized(ls: MimoServer, _params: types.InitializedParams) -> None:
        ls.loop = asyncio.get_running_loop()
        from mimo_lsp.server import index_features

        index_features.on_initialized(ls)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: MimoServer, *_: Any) -> None:
        if ls._backend is not None:
            ls._backend.tasks.cancel_all()
            ls._backend.index.close()  # stop index threads, save the vector graph

    def sync_command(name: str, func_name: str) -> None:
        def handler(ls: MimoServer, *args: Any) -> Any:
            from mimo_lsp.server import commands

            ls.loop = ls.loop or asyncio.get_running_loop()
            return getattr(commands, func_name)(ls, args)

        server.command(name)(handler)

    # Commands whose bodies (in server/commands.py) are quick and synchronous.
    for name, func_name in {
        P.CMD_TASK_START: "task_start", P.CMD_TASK_CANCEL: "task_cancel", P.CMD_TASK_STATUS: "task_status",
        P.CMD_TASK_EVENTS: "task_events", P.CMD_TASK_RESUME: "task_resume",
        P.CMD_TASK_PAUSE: "task_pause", P.CMD_TASK_UNPAUSE: "task_unpause", P.CMD_LESSONS_LIST: "lessons_list",
        P.CMD_CHECKPOINT_LIST: "checkpoint_list", P.CMD_CHECKPOINT_DIFF: "checkpoint_diff",
        P.CMD_CHECKPOINT_RESTORE: "checkpoint_restore", P.CMD_CHECKPOINT_STATS: "checkpoint_stats",
        P.CMD_CHECKPOINT_GC: "checkpoint_gc", P.CMD_AUDIT_GET: "audit_get", P.CMD_REVIEW_GET: "review_get",
        P.CMD_REVIEW_ACCEPT: "review_accept",
    }.items():
        sync_command(name, func_name)

    @server.command(P.CMD_REVIEW_REJECT)
    async def review_reject(ls: MimoServer, *args: Any) -> Any:
        from mimo_lsp.protocol.payloads import camelize
        from mimo_lsp.server import commands

        workspace, decision = commands.review_reject_prepare(ls, args)
        applied = []
        for edit in decision.buffer_edits:  # open files: the editor applies the revert, versioned
            failure = await ls.apply_buffer_edit(workspace / edit.path, edit.text)
            if failure:
                decision.conflicts.append({"hunkId": "", "path": edit.path, "reason": failure})
            else:
                applied.append(edit)
        if applied:
            decision.action_id = commands.review_reject_journal(ls, args, applied) or decision.action_id
        return camelize(decision.model_dump())

    # Index: search / status commands, workspace/symbol, document sync for unsaved buffers, $/progress.
    from mimo_lsp.server import index_features

    index_features.register(server)

    return server
