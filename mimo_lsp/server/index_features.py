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

from mimo_lsp.server.context import ServerContext, workspace_of

if TYPE_CHECKING:  # pydantic payloads load with the first command, not at start-up
    from mimo_lsp.protocol import payloads as W
    from mimo_lsp.index.service import IndexService

log = logging.getLogger("mimo_lsp.server.index")

_SYMBOL_KINDS = {
    "function": types.SymbolKind.Function, "method": types.SymbolKind.Method, "class": types.SymbolKind.Class,
    "struct": types.SymbolKind.Struct, "enum": types.SymbolKind.Enum, "interface": types.SymbolKind.Interface,
    "trait": types.SymbolKind.Interface, "impl": types.SymbolKind.Class, "type": types.SymbolKind.TypeParameter,
    "namespace": types.SymbolKind.Namespace, "macro": types.SymbolKind.Function,
}


def _service(ctx: ServerContext) -> IndexService:
    return ctx.backend.index



def _start(ctx: ServerContext, workspace: Path):
    svc = _service(ctx)
    worker = svc.worker_for(workspace)
    if worker is None:
        worker = svc.start_background(workspace, progress=ctx.index_progress(workspace.resolve()),
                                      watch=ctx.backend.index_settings.watch)
    return worker


def index_search(ctx: ServerContext, p: W.IndexSearchParams) -> W.IndexSearchResult:
    """Hybrid search (blocking: runs off the event loop)."""
    from mimo_lsp.index.hybrid import SearchFilters
    from mimo_lsp.protocol import payloads as W

    workspace = workspace_of(ctx, p.workspace)
    worker = _start(ctx, workspace)
    # While the index is still being built, a search waits a little (the scan, then the first
    # embeddings); after that it answers from what is there: lexical and name matches are complete
    # as soon as the scan is, vectors follow.
    worker.scanned.wait(600)
    worker.wait_idle(ctx.backend.index_settings.search_wait_s)
    filters = SearchFilters.model_validate(p.filters.model_dump()) if p.filters else None
    hits = _service(ctx).searcher(workspace).search(p.query, p.k, filters, p.mode, p.fusion)
    return W.IndexSearchResult(hits=[W.IndexSearchHit(**h.model_dump()) for h in hits])


def index_status(ctx: ServerContext, p: W.IndexStatusParams) -> W.IndexStatusResult:
    from mimo_lsp.protocol import payloads as W

    workspace = workspace_of(ctx, p.workspace)
    worker = _start(ctx, workspace)
    index = _service(ctx).index_for(workspace)
    if worker.scanned.is_set():
        index.ensure_loaded()
    st = index.status()
    return W.IndexStatusResult(
        files=st["files"], chunks=st["chunks"], pending=st["pending"], embedded=st["embedded"],
        errors=st["errors"], error_list=st["errorList"], embed_failures=st["embedFailures"],
        last_embed_error=st["lastEmbedError"], unsaved_buffers=st["unsavedBuffers"], last_update=st["lastUpdate"],
        indexing=not worker.idle(), data_dir=st["dataDir"], embedder=st["embedder"],
    )


def _symbols(ls: ServerContext, query: str) -> list[types.WorkspaceSymbol]:
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


def _buffer_target(ls: ServerContext, uri: str) -> tuple[Any, str] | None:
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
        if not ls.backend.index_settings.auto_start:
            return None  # the index is not running here: nothing to keep up to date
        _start(ls, workspace)
    index = svc.index_for(workspace)
    try:
        rel = Path(path).resolve().relative_to(index.root).as_posix()
    except ValueError:
        return None
    return index, rel


def on_initialized(ls: Any) -> None:
    """Start indexing now only when the settings say so (reading them loads no index, model or torch)."""
    from mimo_lsp.config import load_settings

    try:
        auto = load_settings(ls.default_workspace(), ls.settings_overrides).settings.index.auto_start
    except Exception:  # no folder open, or a broken config (reported when a command needs it)
        return
    if auto:
        try:
            _start(ls, ls.default_workspace())
        except Exception:
            log.exception("could not start the index")


def register(server: Any) -> None:
    """Hooks the index's LSP features into the server (called once from create_server); the index
commands are in the command table."""

    async def off_loop(ls: Any, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

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
        ls.document_changed(uri)  # review hints follow the buffer (clients without inlay hints)

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
