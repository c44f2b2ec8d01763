"""The pygls server: lifecycle, command dispatch from the table, notifications, confirmations, the
unsaved-buffer guard. Implements `ServerContext` for the handlers.

Only pygls and lsprotocol load at start-up; the application layer (pydantic payloads, tasks, index)
loads on the first command, so `initialize` costs what the framework costs.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Generator

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method
from pygls.uris import from_fs_path, to_fs_path

from mimo_lsp import __version__, protocol as P
from mimo_lsp.server import lsp_wire

if TYPE_CHECKING:
    from mimo_lsp.server.backend import Backend

log = logging.getLogger("mimo_lsp.server")
CONFIRM_ANSWERS = {"Yes": "yes", "No": "no", "Always": "always", "Never": "never"}


class MimoProtocol(LanguageServerProtocol):
    """pygls' protocol, plus `capabilities.experimental.mimo` in the initialize result: what this server
    offers beyond LSP (Max Mode), so that clients show only what works."""

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams) -> Generator[Any, Any, types.InitializeResult]:
        result = yield from super().lsp_initialize(params)
        result.capabilities.experimental = {"mimo": {"maxMode": True, "candidates": True, "review": True, "trust": True}}
        return result


class MimoServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("mimo-lsp", __version__, protocol_cls=MimoProtocol, converter_factory=lsp_wire.converter)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.init_options: dict[str, Any] = {}
        self.raw_options: Any = None
        self.own_review = False
        self.settings_overrides: dict[str, Any] | None = None  # parsed from raw_options
        self._backend: Backend | None = None
        self._task_progress: Any = None

    def parse_options(self) -> list[str]:
        """initializationOptions -> the explicit settings layer; returns what could not be used (not fatal)."""
        from mimo_lsp.config import overrides_from_client

        raw = dict(self.raw_options) if isinstance(self.raw_options, dict) else self.raw_options
        editor = raw.pop("editor", None) if isinstance(raw, dict) else None
        # {"editor": {"ownReview": true}}: the client draws review itself (the VS Code extension), so the
        # server's review lenses and hints would show twice there.
        self.own_review = bool(isinstance(editor, dict) and editor.get("ownReview"))
        self.settings_overrides, problems = overrides_from_client(raw)
        for problem in problems:
            log.warning("initializationOptions: %s", problem)
        return problems

    @property
    def backend(self) -> "Backend":
        if self._backend is None:
            from mimo_lsp.server.backend import Backend

            if self.settings_overrides is None:
                self.parse_options()
            assert self.settings_overrides is not None
            self._backend = Backend(self.settings_overrides, self.notify_threadsafe, self.confirm_threadsafe,
                                    self.unsaved_reason, self.default_workspace, self.show_warning_threadsafe,
                                    self.open_text)
        return self._backend

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(fn, *args)

    def show_warning_threadsafe(self, message: str) -> None:
        self.call_soon(lambda: self.window_show_message(types.ShowMessageParams(
            type=types.MessageType.Warning, message=message)))

    # -- events -> notifications (called from task threads) --------------------------------------
    def notify_threadsafe(self, event: Any) -> None:
        self.call_soon(self._emit, event)

    def _emit(self, event: Any) -> None:
        from mimo_lsp.protocol.notifications import to_wire

        try:
            self.protocol.notify(P.NOTIFY_PREFIX + event.kind, to_wire(event))
            self._progress().event(event)
            if event.kind == "done":  # its hunks are reviewable now: lenses and hints appear
                self.refresh_review()
        except Exception:  # a client gone mid-task must not take the server down
            log.exception("could not send %s", event.kind)

    def _progress(self) -> Any:
        if self._task_progress is None:
            from mimo_lsp.server.progress import TaskProgress

            self._task_progress = TaskProgress(self)
        return self._task_progress

    def refresh_review(self) -> None:
        from mimo_lsp.server.review_features import refresh

        refresh(self)

    def document_changed(self, uri: str) -> None:
        """A document opened, changed or saved: clients without inlay hints get its hint diagnostics."""
        from mimo_lsp.server import review_features

        if not review_features.client_has_inlay_hints(self) and self._backend is not None:
            asyncio.ensure_future(review_features.publish_one(self, uri))

    def begin_progress(self, task_id: str, goal: str) -> None:
        self._progress().begin(task_id, goal)

    def index_progress(self, root: Path) -> Callable[[str, int, int], None]:
        from mimo_lsp.server.progress import IndexProgress

        return IndexProgress(self, root)

    # -- confirmations of risky actions (called from task threads) --------------------------------
    def confirm_threadsafe(self, request: dict[str, Any], timeout_s: float = 300.0) -> str | None:
        """window/showMessageRequest; no answer (or no client) within the timeout means no."""
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
                    actions=[types.MessageActionItem(title=t) for t in CONFIRM_ANSWERS]), on_answer)
            except Exception:
                log.exception("could not ask for confirmation")
                answered.set()

        self.loop.call_soon_threadsafe(send)
        if not answered.wait(timeout_s):
            return None
        item = box.get("item")
        title = getattr(item, "title", None) or (item.get("title") if isinstance(item, dict) else None)
        return CONFIRM_ANSWERS.get(title or "")

    # -- editor buffers: never clobber an unsaved one ---------------------------------------------
    def open_document(self, path: Path):
        uri = from_fs_path(str(path))
        return self.workspace.text_documents.get(uri) if uri else None

    def open_text(self, path: Path) -> str | None:
        doc = self.open_document(path)
        return doc.source if doc is not None else None

    def unsaved_reason(self, path: Path) -> str | None:
        text = self.open_text(path)
        if text is None:
            return None
        try:
            on_disk: str | None = path.read_text(encoding="utf-8")
        except OSError:
            on_disk = None
        if text != on_disk:
            return f"{path.name} has unsaved changes in the editor; save or revert it before the agent edits it"
        return None

    async def apply_buffer_edit(self, path: Path, text: str) -> str | None:
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


class _UserErrorsAreNotTracebacks(logging.Filter):
    """pygls logs every request error with a traceback at ERROR; a user's bad request (unknown task id,
    invalid params: answered with -32602 and its message) is one INFO line, not a crash report."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, JsonRpcInvalidParams):
            record.exc_info, record.exc_text = None, None
            record.msg, record.args = "request refused: %s", (exc,)
            record.levelno, record.levelname = logging.INFO, "INFO"
            return logging.getLogger(record.name).isEnabledFor(logging.INFO)
        return True


def create_server() -> MimoServer:
    server = MimoServer()
    logging.getLogger("pygls.protocol.json_rpc").addFilter(_UserErrorsAreNotTracebacks())

    @server.feature(types.INITIALIZE)
    def initialize(ls: MimoServer, params: types.InitializeParams) -> None:
        # initializationOptions are the top settings layer: {"model": {...}, "agent": {...}, "index": {...}},
        # parsed at `initialized` (pydantic stays off the start path).
        ls.init_options = params.initialization_options if isinstance(params.initialization_options, dict) else {}
        ls.raw_options = params.initialization_options

    @server.feature(types.INITIALIZED)
    def initialized(ls: MimoServer, _params: types.InitializedParams) -> None:
        ls.loop = asyncio.get_running_loop()
        ignored = ls.parse_options()
        if ignored:
            ls.window_show_message(types.ShowMessageParams(
                type=types.MessageType.Warning,
                message="mimo: some initializationOptions were ignored: " + "; ".join(ignored)[:900]))
        from mimo_lsp.server import index_features

        index_features.on_initialized(ls)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: MimoServer, *_: Any) -> None:
        if ls._backend is not None:
            ls._backend.close()

    def register(name: str) -> None:
        def handler(ls: MimoServer, *args: Any) -> Any:
            from mimo_lsp.server.commands import COMMANDS
            from mimo_lsp.server.dispatch import dispatch_now

            ls.loop = ls.loop or asyncio.get_running_loop()
            return dispatch_now(COMMANDS[name], ls, args)

        async def off_loop(ls: MimoServer, *args: Any) -> Any:
            from mimo_lsp.server.commands import COMMANDS
            from mimo_lsp.server.dispatch import dispatch_off_loop

            loop = ls.loop = ls.loop or asyncio.get_running_loop()
            return await dispatch_off_loop(COMMANDS[name], ls, args, lambda fn, *a: loop.run_in_executor(None, fn, *a))

        server.command(name)(off_loop if name in P.OFF_LOOP_COMMANDS else handler)

    for name in P.COMMANDS:  # names only: the table and its handlers load on the first command
        register(name)

    # Index: workspace/symbol, document sync for unsaved buffers (the index commands are in the table).
    from mimo_lsp.server import index_features, review_features

    index_features.register(server)
    # Review for every LSP client: code lenses, code actions, inlay hints.
    review_features.register(server)
    return server
