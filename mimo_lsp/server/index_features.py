"""The workspace index in the server: mimo.index.search / mimo.index.status, workspace/symbol,
unsaved buffers (didOpen / didChange / didSave / didClose) and $/progress while indexing.

All index work runs off the event loop (executor threads and the BackgroundIndexer's threads).
The index of a workspace starts on its first index request, or at `initialized` when the client
passes initializationOptions {"index": {"autoStart": true}}. Other index options (same object):
model (a local sentence-transformers model folder), watch (default true), maxFileBytes,
maxLineChars, skipGenerated, extraIgnores.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.uris import from_fs_path, to_fs_path

from mimo_lsp import protocol as P

if TYPE_CHECKING:
    from mimo_lsp.index.service import IndexService
    from mimo_lsp.server.app import MimoServer

log = logging.getLogger("mimo_lsp.server.index")

_SYMBOL_KINDS = {
    "function": types.SymbolKind.Function, "method": types.SymbolKind.Method, "class": types.SymbolKind.Class,
    "struct": types.SymbolKind.Struct, "enum": types.SymbolKind.Enum, "interface": types.SymbolKind.Interface,
    "trait": types.SymbolKind.Interface, "impl": types.SymbolKind.Class, "type": types.SymbolKind.TypeParameter,
    "namespace": types.SymbolKind.Namespace, "macro": types.SymbolKind.Function,
}


def _camel_to_snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _service(ls: MimoServer) -> IndexService:
    """The backend's IndexService, configured from initializationOptions["index"] on first use."""
    svc = ls.backend.index
    if not getattr(svc, "_configured_from_init", False):
        from mimo_lsp.index.embeddings import SentenceTransformerEmbedder
        from mimo_lsp.index.workspace_index import IndexOptions

        raw = ls.init_options.get("index") if isinstance(ls.init_options, dict) else None
        raw = raw if isinstance(raw, dict) else {}
        fields = {_camel_to_snake(k): v for k, v in raw.items()
                  if _camel_to_snake(k) in IndexOptions.model_fields}
        try:
            svc.options = IndexOptions(**fields)
        except Exception as exc:
            log.warning("ignoring invalid index options %s: %s", fields, exc)
        if isinstance(raw.get("model"), str) and svc.embedder is None:
            svc.embedder = SentenceTransformerEmbedder(model_path=raw["model"])
        svc._configured_from_init = True  # type: ignore[attr-defined]
    return svc


def _index_settings(ls: MimoServer) -> dict[str, Any]:
    raw = ls.init_options.get("index") if isinstance(ls.init_options, dict) else None
    return raw if isinstance(raw, dict) else {}


def _workspace(ls: MimoServer, given: str | None) -> Path:
    workspace = Path(given) if given else ls.default_workspace()
    if not workspace.is_dir():
        raise JsonRpcInvalidParams(f"workspace is not a directory: {workspace}")
    return workspace


class IndexProgress:
    """$/progress for one workspace's background indexing: begin on the first report, end at idle."""

    def __init__(self, ls: MimoServer, root: Path) -> None:
        self.ls, self.root = ls, root
        self.token: str | None = None
        self.begun = False
        self._n = 0

    def __call__(self, stage: str, done: int, total: int) -> None:  # from indexer threads
        loop = self.ls.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._on_loop, stage, done, total)

    def _on_loop(self, stage: str, done: int, total: int) -> None:
        caps = self.ls.client_capabilities.window if self.ls.client_capabilities else None
        if not (caps and caps.work_done_progress):
            return
        wdp = self.ls.work_done_progress
        try:
            if stage == "idle":
                if self.token is not None and self.begun:
                    wdp.end(self.token, types.WorkDoneProgressEnd(message="index up to date"))
                    self.token, self.begun = None, False
                return
            if self.token is None:
                self._n += 1
                token = self.token = f"mimo-index-{abs(hash(self.root)) % 10**8}-{self._n}"

                def created(*_: Any) -> None:
                    if self.token == token:
                        wdp.begin(token, types.WorkDoneProgressBegin(title="mimo index", message=self.root.name,
                                                                     percentage=0))
                        self.begun = True

                wdp.create(token, created)
                return
            if self.begun and total:
                wdp.report(self.token, types.WorkDoneProgressReport(
                    message=f"{stage} {done}/{total}", percentage=min(100, int(100 * done / total))))
        except Exception:  # a client gone away must not take the server down
            log.exception("index progress")


def _start(ls: MimoServer, workspace: Path):
    svc = _service(ls)
    worker = svc.worker_for(workspace)
    if worker is None:
        settings = _index_settings(ls)
        worker = svc.start_background(workspace, progress=IndexProgress(ls, workspace.resolve()),
                                      watch=bool(settings.get("watch", True)))
    return worker


def _search(ls: MimoServer, workspace: Path, p: Any) -> dict[str, Any]:
    from mimo_lsp.index.hybrid import SearchFilters
    from mimo_lsp.protocol import payloads as W

    worker = _start(ls, workspace)
    # While the index is still being built, a search waits a little (the scan, then the first
    # embeddings); after that it answers from what is there: lexical and name matches are complete
    # as soon as the scan is, vectors follow.
    worker.scanned.wait(600)
    worker.wait_idle(float(_index_settings(ls).get("searchWaitS", 20.0)))
    filters = SearchFilters.model_validate(p.filters.model_dump()) if p.filters else None
    try:
        hits = svc_search(ls, workspace, p.query, p.k, filters, p.mode, p.fusion)
    except ValueError as exc:
        raise JsonRpcInvalidParams(str(exc)) from None
    return W.IndexSearchResult(hits=[W.IndexSearchHit(**h.model_dump()) for h in hits]).wire()


def svc_search(ls: MimoServer, workspace: Path, query: str, k: int, filters: Any, mode: str, fusion: str):
    return _service(ls).searcher(workspace).search(query, k, filters, mode, fusion)


def _status(ls: MimoServer, workspace: Path) -> dict[str, Any]:
    from mimo_lsp.protocol import payloads as W

    worker = _start(ls, workspace)
    index = _service(ls).index_for(workspace)
    if worker.scanned.is_set():
        index.ensure_loaded()
    st = index.status()
    return W.IndexStatusResult(
        files=st["files"], chunks=st["chunks"], pending=st["pending"], embedded=st["embedded"],
        errors=st["errors"], error_list=st["errorList"], embed_failures=st["embedFailures"],
        last_embed_error=st["lastEmbedError"], unsaved_buffers=st["unsavedBuffers"], last_update=st["lastUpdate"],
        indexing=not worker.idle(), data_dir=st["dataDir"], embedder=st["embedder"],
    ).wire()


def _symbols(ls: MimoServer, query: str) -> list[types.WorkspaceSymbol]:
    workspace = ls.default_workspace()
    worker = _start(ls, workspace)
    worker.scanned.wait(600)
    index = _service(ls).index_for(workspace)
    out: list[types.WorkspaceSymbol] = []
    for rel, d in index.workspace_symbols(query, limit=200):
        uri = from_fs_path(str(index.root / rel)) or ""
        rng = types.Range(start=types.Position(line=d.line - 1, character=0),
                          end=types.Position(line=d.end_line - 1, character=0))
        container = d.symbol.rsplit(".", 1)[0] if "." in d.symbol else None
        out.append(types.WorkspaceSymbol(name=d.name, kind=_SYMBOL_KINDS.get(d.kind, types.SymbolKind.Variable),
                                         location=types.Location(uri=uri, range=rng), container_name=container))
    return out


def _buffer_target(ls: MimoServer, uri: str) -> tuple[Any, str] | None:
    """(index, workspace-relative path) when the document lies in a workspace whose index is running."""
    path = to_fs_path(uri)
    if not path:
        return None
    try:
        workspace = ls.default_workspace()
    except JsonRpcInvalidParams:
        return None
    svc = ls.backend.index
    if svc.worker_for(workspace) is None:
        if not _index_settings(ls).get("autoStart"):
            return None  # the index is not running here: nothing to keep up to date
        _start(ls, workspace)
    index = svc.index_for(workspace)
    try:
        rel = Path(path).resolve().relative_to(index.root).as_posix()
    except ValueError:
        return None
    return index, rel


def on_initialized(ls: MimoServer) -> None:
    if _index_settings(ls).get("autoStart"):
        try:
            _start(ls, ls.default_workspace())
        except Exception:
            log.exception("could not start the index")


def register(server: Any) -> None:
    """Hooks the index features into the server (called once from create_server)."""

    def params(args: tuple[Any, ...], model_name: str) -> Any:
        from mimo_lsp.protocol import payloads as W
        from mimo_lsp.server.commands import params as parse

        return parse(getattr(W, model_name), args)

    async def off_loop(ls: Any, fn: Any, *args: Any) -> Any:
        ls.loop = ls.loop or asyncio.get_running_loop()
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    @server.command(P.CMD_INDEX_SEARCH)
    async def index_search(ls: Any, *args: Any) -> Any:
        p = params(args, "IndexSearchParams")
        return await off_loop(ls, _search, ls, _workspace(ls, p.workspace), p)

    @server.command(P.CMD_INDEX_STATUS)
    async def index_status(ls: Any, *args: Any) -> Any:
        p = params(args, "IndexStatusParams")
        return await off_loop(ls, _status, ls, _workspace(ls, p.workspace))

    @server.feature(types.WORKSPACE_SYMBOL)
    async def workspace_symbol(ls: Any, params: types.WorkspaceSymbolParams) -> Any:
        return await off_loop(ls, _symbols, ls, params.query or "")

    def buffer_changed(ls: Any, uri: str) -> None:
        target = _buffer_target(ls, uri)
        doc = ls.workspace.text_documents.get(uri)
        if target is not None and doc is not None:
            index, rel = target
            index.set_buffer(rel, doc.source)

    def buffer_closed(ls: Any, uri: str) -> None:
        target = _buffer_target(ls, uri)
        if target is not None:
            index, rel = target
            index.drop_buffer(rel)

    async def run_quietly(ls: Any, fn: Any, uri: str) -> None:
        try:
            await off_loop(ls, fn, ls, uri)
        except Exception:  # a notification has no reply: log, never crash
            log.exception("index update for %s", uri)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: Any, params: types.DidOpenTextDocumentParams) -> None:
        await run_quietly(ls, buffer_changed, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: Any, params: types.DidChangeTextDocumentParams) -> None:
        await run_quietly(ls, buffer_changed, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: Any, params: types.DidSaveTextDocumentParams) -> None:
        await run_quietly(ls, buffer_closed, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: Any, params: types.DidCloseTextDocumentParams) -> None:
        await run_quietly(ls, buffer_closed, params.text_document.uri)
