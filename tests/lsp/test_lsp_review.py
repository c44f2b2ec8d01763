"""Review through standard LSP (what Neovim, Helix, LSP4IJ or Visual Studio's client get with no plugin
code): code lenses on pending hunks that follow the buffer, code actions, inlay hints, refresh after a
decision, applyEdit for open buffers, disk writes for closed files, conflicts, "MiMo: do this"."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from tests.conftest import write_script
from tests.lsp_client import start_client, stop_client

PLAN = {"nodes": [{"id": "fix", "title": "fix calc", "depends_on": [], "expected_output": "fixed"}]}


def step(tool: str, **args) -> dict:
    return {"thought": tool, "action": {"tool": tool, **args}}


CAPS = types.ClientCapabilities(
    window=types.WindowClientCapabilities(work_done_progress=True),
    workspace=types.WorkspaceClientCapabilities(
        code_lens=types.CodeLensWorkspaceClientCapabilities(refresh_support=True),
        inlay_hint=types.InlayHintWorkspaceClientCapabilities(refresh_support=True)),
    text_document=types.TextDocumentClientCapabilities(inlay_hint=types.InlayHintClientCapabilities()))


async def _finished_two_hunk_task(lsp, ws: Path, tmp_path: Path) -> str:
    replies = [PLAN, step("edit_file", path="calc.py", search="return a - b", replace="return a + b"),
               step("edit_file", path="calc.py", search="return a * b", replace="return b * a"),
               step("write_file", path="notes.md", content="# notes\n"), step("finish", summary="ok")]
    started = await lsp.command("mimo.task.start", {"goal": "fix", "model": write_script(tmp_path / "s.json", replies)})
    await lsp.wait_done(started["taskId"])
    return started["taskId"]


def _open(lsp, path: Path) -> str:
    uri = path.as_uri()
    lsp.client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="python", version=1, text=path.read_text())))
    return uri


def _replace_all(lsp, uri: str, text: str, version: int) -> None:
    lsp.client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


async def _lenses(lsp, uri: str) -> list[tuple[int, str, dict]]:
    got = await lsp.client.text_document_code_lens_async(types.CodeLensParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    return [(lens.range.start.line, lens.command.title, lens.command.arguments[0]) for lens in got or []]


async def test_lenses_actions_hints_follow_the_buffer_and_decide_hunks(calc_workspace: Path, tmp_path: Path):
    refreshes: list[str] = []
    lsp = await start_client(calc_workspace, caps=CAPS)
    lsp.client.feature(types.WORKSPACE_CODE_LENS_REFRESH)(lambda *_: refreshes.append("codeLens"))
    lsp.client.feature(types.WORKSPACE_INLAY_HINT_REFRESH)(lambda *_: refreshes.append("inlayHint"))
    try:
        task_id = await _finished_two_hunk_task(lsp, calc_workspace, tmp_path)
        calc = calc_workspace / "calc.py"
        uri = _open(lsp, calc)
        lenses = await _lenses(lsp, uri)
        hunk_lines = sorted({line for line, title, _ in lenses if title in ("✓ Accept", "✗ Reject")})
        text = calc.read_text().splitlines()
        assert [text[n].strip() for n in hunk_lines] == ["return a + b", "return b * a"]
        assert {t for line, t, _ in lenses if line == 0} >= {"MiMo: Accept file (2 changes)", "Reject file"}
        assert all(args["taskId"] == task_id for _, _, args in lenses)

        # The user inserts three lines above: the lenses move with the buffer (not the disk).
        edited = "# one\n# two\n# three\n" + calc.read_text()
        _replace_all(lsp, uri, edited, 2)
        moved = sorted({line for line, title, _ in await _lenses(lsp, uri) if title == "✓ Accept"})
        assert moved == [n + 3 for n in hunk_lines]

        hints = await lsp.client.text_document_inlay_hint_async(types.InlayHintParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=40, character=0))))
        assert sorted((h.position.line, h.label.strip()) for h in hints) == [
            (moved[0], "was: return a - b"), (moved[1], "was: return a * b")]

        # Reject the first hunk through its lens: the open buffer gets a versioned applyEdit, the disk waits.
        reject = next(args for line, t, args in await _lenses(lsp, uri) if t == "✗ Reject" and line == moved[0])
        result = await lsp.command("mimo.review.reject", reject)
        assert result["decided"] == reject["hunkIds"] and not result["conflicts"]
        (edit,) = lsp.applied_edits
        new_text = edit.edit.document_changes[0].edits[0].new_text
        assert "return a - b" in new_text and "# one" in new_text and "return a + b" in calc.read_text()
        assert "codeLens" in refreshes and "inlayHint" in refreshes
        _replace_all(lsp, uri, new_text, 3)  # the client applied it

        # Accept the other through a code action on its range.
        actions = await lsp.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=moved[1], character=0),
                              end=types.Position(line=moved[1], character=4)),
            context=types.CodeActionContext(diagnostics=[])))
        titles = [a.title for a in actions]
        assert titles[:2] == [f"MiMo: Accept this change (line {moved[1] + 1})",
                              f"MiMo: Reject this change (line {moved[1] + 1})"]
        accept = actions[0]  # a plain Command: this client has no code action literal support
        assert (await lsp.command(accept.command, *accept.arguments))["decided"] == accept.arguments[0]["hunkIds"]
        assert [t for _, t, _ in await _lenses(lsp, uri)] == [], "no pending hunk left in this file"

        # A closed file: the reject is written to disk.
        notes = await lsp.command("mimo.review.reject", {"taskId": task_id, "path": "notes.md"})
        assert notes["decided"] and not (calc_workspace / "notes.md").exists()
    finally:
        await stop_client(lsp)


async def test_a_conflicting_hunk_is_reported_and_nothing_is_written(calc_workspace: Path, tmp_path: Path):
    lsp = await start_client(calc_workspace, caps=CAPS)
    try:
        task_id = await _finished_two_hunk_task(lsp, calc_workspace, tmp_path)
        calc = calc_workspace / "calc.py"
        calc.write_text(calc.read_text().replace("return a + b", "return a+b  # mine"))
        review = await lsp.command("mimo.review.get", {"taskId": task_id})
        mine = next(h for f in review["files"] if f["path"] == "calc.py" for h in f["hunks"] if "a + b" in "".join(h["new"]))
        assert mine["currentLine"] is None, "its lines are gone: no lens for it"
        result = await lsp.command("mimo.review.reject", {"taskId": task_id, "hunkIds": [mine["id"]]})
        assert result["conflicts"] and "return a+b  # mine" in calc.read_text()
    finally:
        await stop_client(lsp)


async def test_do_this_on_a_todo_or_a_selection_starts_a_task(calc_workspace: Path, tmp_path: Path):
    calc = calc_workspace / "calc.py"
    calc.write_text(calc.read_text() + "\n\n# TODO: add a subtract function\n")
    lsp = await start_client(calc_workspace, caps=CAPS)
    try:
        uri = _open(lsp, calc)
        todo_line = calc.read_text().splitlines().index("# TODO: add a subtract function")
        at = types.Position(line=todo_line, character=3)
        actions = await lsp.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=types.Range(start=at, end=at),
            context=types.CodeActionContext(diagnostics=[])))
        (do_this,) = [a for a in actions if a.title.startswith("MiMo: do this")]
        goal = do_this.arguments[0]["goal"]
        assert goal.startswith("add a subtract function") and "calc.py, line" in goal
        assert do_this.command == "mimo.task.start"
        sel = types.Range(start=types.Position(line=3, character=0), end=types.Position(line=5, character=16))
        actions = await lsp.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=sel, context=types.CodeActionContext(diagnostics=[])))
        (selected,) = [a for a in actions if a.title == "MiMo: do this"]
        assert selected.arguments[0]["goal"].startswith('def add(a, b):\n    """Return the sum of a and b."""')
    finally:
        await stop_client(lsp)


async def test_clients_without_inlay_hints_get_hint_diagnostics(calc_workspace: Path, tmp_path: Path):
    lsp = await start_client(calc_workspace)  # no inlay hint capability
    try:
        await _finished_two_hunk_task(lsp, calc_workspace, tmp_path)
        uri = _open(lsp, calc_workspace / "calc.py")
        await lsp.client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        diags = lsp.client.diagnostics.get(uri, [])
        assert sorted(d.message for d in diags) == ["was: return a * b", "was: return a - b"]
        assert all(d.severity == types.DiagnosticSeverity.Hint and d.source == "mimo" for d in diags)
    finally:
        await stop_client(lsp)


async def test_a_client_that_draws_its_own_review_gets_no_duplicate_lenses(calc_workspace: Path, tmp_path: Path):
    lsp = await start_client(calc_workspace, caps=CAPS, init_options={"editor": {"ownReview": True}})
    try:
        await _finished_two_hunk_task(lsp, calc_workspace, tmp_path)
        uri = _open(lsp, calc_workspace / "calc.py")
        assert await _lenses(lsp, uri) == []
        assert not [m.message for m in lsp.client.messages if "ignored" in m.message], "editor is not a setting"
    finally:
        await stop_client(lsp)
