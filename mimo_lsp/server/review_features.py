"""Review through standard LSP, for every client: code lenses on pending agent hunks (Accept | Reject,
file and task on line 1), code actions on a hunk's range and "MiMo: do this" on a selection or a TODO,
inlay hints with what a hunk replaced (hint diagnostics for clients without inlay hints), refreshed
after each decision and each finished task. The data comes from `app/review.py`."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

from mimo_lsp import protocol as P

log = logging.getLogger(__name__)
SOURCE = "mimo"


def _document(ls: Any, uri: str):
    """(workspace, rel path, open text lookup) for a document inside the workspace, else None."""
    path = to_fs_path(uri)
    if not path:
        return None
    try:
        workspace = Path(ls.default_workspace()).resolve()
        rel = Path(path).resolve().relative_to(workspace).as_posix()
    except Exception:  # no folder open, or a document outside it: nothing of ours to review there
        return None
    return workspace, rel, lambda r: ls.open_text(workspace / r)


def _review(ls: Any, uri: str):
    from mimo_lsp.app.review import document_review

    found = _document(ls, uri)
    if found is None:
        return None
    workspace, rel, open_text = found
    return document_review(ls.backend.services, workspace, rel, open_text, ls.backend.tasks.is_running)


def _command(a: Any) -> types.Command:
    return types.Command(title=a.title, command=a.command, arguments=[a.args])


def _line_range(line: int) -> types.Range:
    return types.Range(start=types.Position(line=line, character=0), end=types.Position(line=line, character=0))


def code_lenses(ls: Any, uri: str) -> list[types.CodeLens]:
    from mimo_lsp.app.review import lens_actions

    doc = None if getattr(ls, "own_review", False) else _review(ls, uri)
    return [] if doc is None else [types.CodeLens(range=_line_range(a.line), command=_command(a))
                                   for a in lens_actions(doc)]


def code_actions(ls: Any, params: types.CodeActionParams) -> list[types.CodeAction]:
    from mimo_lsp.app.review import goal_action, range_actions

    uri, rng = params.text_document.uri, params.range
    out = [types.CodeAction(title=a.title, kind=types.CodeActionKind.QuickFix, command=_command(a),
                            is_preferred=a.preferred or None)
           for a in range_actions(_review(ls, uri), rng.start.line, max(rng.start.line, rng.end.line))]
    found = _document(ls, uri)
    text = ls.open_text(Path(to_fs_path(uri) or "")) if found else None
    if found is not None and text is not None:
        lines = text.splitlines()
        start, end = rng.start.line, rng.end.line
        selected = ""
        if (start, rng.start.character) != (end, rng.end.character):
            chunk = lines[start:end + 1]
            if chunk:
                chunk[-1] = chunk[-1][:rng.end.character] if start != end else chunk[-1][rng.start.character:
                                                                                           rng.end.character]
                if start != end:
                    chunk[0] = chunk[0][rng.start.character:]
            selected = "\n".join(chunk)
        goal = goal_action(selected, lines, start, end, found[1], found[0])
        if goal is not None:
            out.append(types.CodeAction(title=goal.title, kind=types.CodeActionKind.Refactor, command=_command(goal)))
    return out


def _notes(ls: Any, uri: str) -> list[tuple[int, str]]:
    from mimo_lsp.app.review import replaced_notes

    doc = None if getattr(ls, "own_review", False) else _review(ls, uri)
    return [] if doc is None else replaced_notes(doc)


def inlay_hints(ls: Any, uri: str) -> list[types.InlayHint]:
    text = ls.open_text(Path(to_fs_path(uri) or ""))
    lines = (text or "").splitlines()
    return [types.InlayHint(position=types.Position(line=line, character=len(lines[line]) if line < len(lines) else 0),
                            label=f"  {note}", kind=None, padding_left=True)
            for line, note in _notes(ls, uri)]


def hint_diagnostics(ls: Any, uri: str) -> list[types.Diagnostic]:
    return [types.Diagnostic(range=_line_range(line), message=note, severity=types.DiagnosticSeverity.Hint,
                             source=SOURCE) for line, note in _notes(ls, uri)]


def client_has_inlay_hints(ls: Any) -> bool:
    caps = ls.client_capabilities.text_document if ls.client_capabilities else None
    return bool(caps and caps.inlay_hint)


def refresh(ls: Any) -> None:
    """After a decision or a finished task (on the event loop): clients re-ask for lenses and hints;
    clients without inlay hints get hint diagnostics again."""
    ws = ls.client_capabilities.workspace if ls.client_capabilities else None
    try:
        if ws and ws.code_lens and ws.code_lens.refresh_support:
            ls.workspace_code_lens_refresh(None)
        if ws and ws.inlay_hint and ws.inlay_hint.refresh_support:
            ls.workspace_inlay_hint_refresh(None)
    except Exception:  # a client gone away must not take the server down
        log.exception("review refresh")
    if not client_has_inlay_hints(ls):
        asyncio.ensure_future(_publish_all(ls))


async def _publish_all(ls: Any) -> None:
    for uri in list(ls.workspace.text_documents):
        await publish_one(ls, uri)


async def publish_one(ls: Any, uri: str) -> None:
    try:
        diagnostics = await asyncio.get_running_loop().run_in_executor(None, hint_diagnostics, ls, uri)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics))
    except Exception:  # a review that cannot be read shows nothing
        log.exception("hint diagnostics for %s", uri)


def register(server: Any) -> None:
    async def off_loop(fn: Any, *args: Any) -> Any:
        try:
            return await asyncio.get_running_loop().run_in_executor(None, fn, *args)
        except Exception:  # a review that cannot be read shows nothing; it never fails the request
            log.exception("review feature %s", getattr(fn, "__name__", fn))
            return []

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    async def code_lens(ls: Any, params: types.CodeLensParams) -> Any:
        return await off_loop(code_lenses, ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.Refactor], resolve_provider=False))
    async def code_action(ls: Any, params: types.CodeActionParams) -> Any:
        actions = await off_loop(code_actions, ls, params)
        caps = ls.client_capabilities.text_document if ls.client_capabilities else None
        literal = caps and caps.code_action and caps.code_action.code_action_literal_support
        # A client without code action literal support takes plain Commands (LSP 3.17).
        return actions if literal else [a.command for a in actions]

    @server.feature(types.TEXT_DOCUMENT_INLAY_HINT, types.InlayHintOptions(resolve_provider=False))
    async def inlay_hint(ls: Any, params: types.InlayHintParams) -> Any:
        return await off_loop(inlay_hints, ls, params.text_document.uri)


REVIEW_COMMANDS = frozenset({P.CMD_REVIEW_ACCEPT, P.CMD_REVIEW_REJECT})
