"""Per-hunk review: stable ids, accept keeps, reject reverts exactly, conflicts never overwrite."""

from __future__ import annotations

from pathlib import Path

from mimo_lsp.checkpoints.review import file_review, locate, revert_hunk, shift_above
from tests.unit.test_restore_resume import PLAN, run_task, step
from tests.conftest import open_service

BEFORE = b"".join(f"line {i}\n".encode() for i in range(1, 21))


def test_hunks_and_exact_revert():
    after = BEFORE.replace(b"line 3\n", b"line three\n").replace(b"line 15\n", b"").replace(
        b"line 20\n", b"line 20\nline 21\n")
    review = file_review("f.txt", BEFORE, after)
    assert review.status == "modified" and [h.header for h in review.hunks] == [
        "@@ -3,1 +3,1 @@", "@@ -15,1 +14,0 @@", "@@ -20,0 +20,1 @@"]
    for h in review.hunks:  # each hunk alone reverts to exactly "after without that change"
        reverted = revert_hunk(after, h)
        assert len(file_review("f.txt", BEFORE, reverted).hunks) == 2
    current = after
    for h in sorted(review.hunks, key=lambda h: -h.new_start):
        current = revert_hunk(current, h)
    assert current == BEFORE
    again = file_review("f.txt", BEFORE, revert_hunk(after, review.hunks[0]))
    assert {h.id for h in again.hunks} == {h.id for h in review.hunks[1:]}  # ids survive other decisions


def test_accept_one_reject_another_and_conflicts(calc_workspace: Path):
    replies = [PLAN,
               step("edit_file", path="calc.py", search="return a - b", replace="return a + b"),
               step("edit_file", path="calc.py", search="return a * b", replace="return b * a"),
               step("write_file", path="notes.md", content="# notes\n"),
               step("finish", summary="ok")]
    task, _ = run_task(calc_workspace, replies)
    svc = open_service(calc_workspace)
    files = {f.path: f for f in svc.review(task.task_id)}
    assert set(files) == {"calc.py", "notes.md"} and files["notes.md"].status == "added"
    add_fix, mul_change = files["calc.py"].hunks
    assert svc.decide(task.task_id, "accept", hunk_ids=[add_fix.id]).decided == [add_fix.id]
    report = svc.decide(task.task_id, "reject", hunk_ids=[mul_change.id])
    assert report.decided == [mul_change.id] and report.conflicts == [] and report.action_id
    text = (calc_workspace / "calc.py").read_text()
    assert "return a + b" in text and "return a * b" in text
    svc.decide(task.task_id, "reject", path="notes.md")
    assert not (calc_workspace / "notes.md").exists()
    states = {h.id: h.state for f in svc.review(task.task_id) for h in f.hunks}
    assert states == {add_fix.id: "accepted", mul_change.id: "rejected", files["notes.md"].hunks[0].id: "rejected"}
    # A hunk whose lines the user has since edited is a conflict: nothing is written.
    task2, _ = run_task(calc_workspace, [PLAN, step("edit_file", path="calc.py", search="return a + b",
                                                    replace="return (a + b)"), step("finish", summary="ok")])
    (calc_workspace / "calc.py").write_text((calc_workspace / "calc.py").read_text().replace("(a + b)", "(a+b)"))
    (hunk,) = [h for f in svc.review(task2.task_id) for h in f.hunks]
    report = svc.decide(task2.task_id, "reject", hunk_ids=[hunk.id])
    assert report.conflicts and "(a+b)" in (calc_workspace / "calc.py").read_text()


def test_reject_in_an_open_buffer_becomes_an_edit(calc_workspace: Path):
    task, _ = run_task(calc_workspace, [PLAN, step("edit_file", path="calc.py", search="return a - b",
                                                   replace="return a + b"), step("finish", summary="ok")])
    svc = open_service(calc_workspace)
    buffer = (calc_workspace / "calc.py").read_text() + "# unsaved line\n"
    report = svc.decide(task.task_id, "reject", open_text=lambda p: buffer if p == "calc.py" else None)
    (edit,) = report.buffer_edits
    assert "return a - b" in edit.text and edit.text.endswith("# unsaved line\n")
    assert "return a + b" in (calc_workspace / "calc.py").read_text()  # disk untouched: the editor applies it


async def test_review_through_the_server(calc_workspace: Path, tmp_path: Path):
    from lsprotocol import types

    from tests.conftest import write_script
    from tests.lsp_client import start_client, stop_client

    replies = [PLAN,
               step("edit_file", path="calc.py", search="return a - b", replace="return a + b"),
               step("edit_file", path="calc.py", search="return a * b", replace="return b * a"),
               step("finish", summary="ok")]
    lsp = await start_client(calc_workspace)
    try:
        started = await lsp.command("mimo.task.start", {"goal": "x", "model": write_script(tmp_path / "s.json", replies)})
        await lsp.wait_done(started["taskId"])
        task = started["taskId"]
        (f,) = (await lsp.command("mimo.review.get", {"taskId": task}))["files"]
        assert f["path"] == "calc.py" and [h["state"] for h in f["hunks"]] == ["pending", "pending"]
        first, second = f["hunks"]
        assert "+return a + b" not in first["header"] and first["new"] == ["    return a + b\n"]
        assert (first["currentLine"], second["currentLine"]) == (5, 10)  # 0-based, where the editor shows them
        accepted = await lsp.command("mimo.review.accept", {"taskId": task, "hunkIds": [first["id"]]})
        assert accepted["decided"] == [first["id"]]
        # calc.py is open in the editor with an unsaved line: the revert goes to the buffer, versioned.
        uri = (calc_workspace / "calc.py").as_uri()
        buffer = (calc_workspace / "calc.py").read_text() + "# unsaved\n"
        lsp.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=7, text=buffer)))
        rejected = await lsp.command("mimo.review.reject", {"taskId": task, "hunkIds": [second["id"]]})
        assert rejected["decided"] == [second["id"]] and rejected["conflicts"] == []
        (edit,) = lsp.applied_edits
        (doc_edit,) = edit.edit.document_changes
        assert doc_edit.text_document.version == 7
        assert "return a * b" in doc_edit.edits[0].new_text and doc_edit.edits[0].new_text.endswith("# unsaved\n")
        assert "return b * a" in (calc_workspace / "calc.py").read_text()  # disk is the editor's to save
        states = [h["state"] for h in (await lsp.command("mimo.review.get", {"taskId": task}))["files"][0]["hunks"]]
        assert states == ["accepted", "rejected"]
    finally:
        await stop_client(lsp)


def test_one_by_one_rejects_survive_line_count_changes():
    after = BEFORE.replace(b"line 3\n", b"line 3a\nline 3b\nline 3c\n").replace(b"line 10\n", b"").replace(
        b"line 15\n", b"line fifteen\n")
    review = file_review("f.txt", BEFORE, after)
    grow, drop, change = review.hunks
    current = after
    for h in (grow, drop, change):  # top down, one decision at a time, as a user clicks through them
        current = revert_hunk(current, h, shift_above(review.hunks, h))
        h.state = "rejected"
    assert current == BEFORE


def test_locate_follows_user_edits_and_refuses_to_guess():
    after = BEFORE.replace(b"line 5\n", b"line five\n")
    (h,) = file_review("f.txt", BEFORE, after).hunks
    lines = after.decode().splitlines(keepends=True)
    assert locate(lines, h) == 4
    assert locate(["new 1\n", "new 2\n", *lines], h) == 6  # lines inserted above: found where they went
    assert locate([ln for ln in lines if ln != "line five\n"], h) is None  # the user removed them
    tie = ["a\n", "b\n", "line five\n", "c\n", "x\n", "d\n", "line five\n", "e\n"]
    assert locate(tie, h) is None  # two places as near as each other: no guess


def test_review_says_where_each_pending_hunk_is_now(calc_workspace: Path):
    replies = [PLAN,
               step("edit_file", path="calc.py", search="return a - b", replace="s = a + b\n    return s"),
               step("edit_file", path="calc.py", search="return a * b", replace="return b * a"),
               step("finish", summary="ok")]
    task, _ = run_task(calc_workspace, replies)
    svc = open_service(calc_workspace)
    (f,) = svc.review(task.task_id)
    lines = (calc_workspace / "calc.py").read_text().splitlines(keepends=True)
    first, second = f.hunks
    assert lines[first.current_line:first.current_line + 2] == first.new
    assert lines[second.current_line] == "    return b * a\n"
    # The open buffer, not the disk, is what the editor shows: two lines typed at the top shift both.
    buffer = "# one\n# two\n" + "".join(lines)
    (g,) = svc.review(task.task_id, open_text=lambda p: buffer if p == "calc.py" else None)
    assert [h.current_line for h in g.hunks] == [first.current_line + 2, second.current_line + 2]
    # Rejecting the first hunk (2 lines -> 1) moves the second up; deciding hunks one by one keeps working.
    assert svc.decide(task.task_id, "reject", hunk_ids=[first.id]).conflicts == []
    (f2,) = svc.review(task.task_id)
    assert [h.state for h in f2.hunks] == ["rejected", "pending"] and f2.hunks[0].current_line is None
    assert f2.hunks[1].current_line == second.current_line - 1
    report = svc.decide(task.task_id, "reject", hunk_ids=[second.id])
    assert report.conflicts == [] and report.decided == [second.id]
    original = (Path(__file__).resolve().parents[2] / "examples" / "calculator" / "calc.py").read_text()
    assert (calc_workspace / "calc.py").read_text() == original


async def test_reject_in_a_clean_buffer_is_journaled_so_restore_after_save_has_no_conflict(calc_workspace: Path,
                                                                                           tmp_path: Path):
    from lsprotocol import types

    from tests.conftest import write_script
    from tests.lsp_client import start_client, stop_client

    original = (calc_workspace / "calc.py").read_text()
    replies = [PLAN,
               step("edit_file", path="calc.py", search="return a - b", replace="return a + b"),
               step("edit_file", path="calc.py", search="return a * b", replace="return b * a"),
               step("finish", summary="ok")]
    lsp = await start_client(calc_workspace)
    try:
        started = await lsp.command("mimo.task.start", {"goal": "x", "model": write_script(tmp_path / "s.json", replies)})
        await lsp.wait_done(started["taskId"])
        task = started["taskId"]
        (f,) = (await lsp.command("mimo.review.get", {"taskId": task}))["files"]
        uri = (calc_workspace / "calc.py").as_uri()
        lsp.client.text_document_did_open(types.DidOpenTextDocumentParams(  # open, no unsaved edits
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=3,
                                                 text=(calc_workspace / "calc.py").read_text())))
        rejected = await lsp.command("mimo.review.reject", {"taskId": task, "hunkIds": [f["hunks"][1]["id"]]})
        assert rejected["conflicts"] == [] and rejected["actionId"]
        (edit,) = lsp.applied_edits
        (calc_workspace / "calc.py").write_text(edit.edit.document_changes[0].edits[0].new_text)  # the user saves
        restored = await lsp.command("mimo.checkpoint.restore", {"taskId": task, "checkpointId": 0, "mode": "files"})
        assert restored["conflicts"] == [] and restored["restored"] == ["calc.py"]
        assert (calc_workspace / "calc.py").read_text() == original
        # The buffer had the user's own unsaved line: not journaled, so a restore leaves their file alone.
        lsp.client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        task2 = (await lsp.command("mimo.task.start", {"goal": "y", "model": write_script(tmp_path / "t.json", replies)}))["taskId"]
        await lsp.wait_done(task2)
        (g,) = (await lsp.command("mimo.review.get", {"taskId": task2}))["files"]
        dirty = (calc_workspace / "calc.py").read_text() + "# mine\n"
        lsp.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=4, text=dirty)))
        rejected = await lsp.command("mimo.review.reject", {"taskId": task2, "hunkIds": [g["hunks"][1]["id"]]})
        assert rejected["conflicts"] == [] and rejected["actionId"] is None
        (calc_workspace / "calc.py").write_text(lsp.applied_edits[-1].edit.document_changes[0].edits[0].new_text)
        restored = await lsp.command("mimo.checkpoint.restore", {"taskId": task2, "checkpointId": 0, "mode": "files"})
        assert [c["path"] for c in restored["conflicts"]] == ["calc.py"]
        assert "# mine" in (calc_workspace / "calc.py").read_text()
    finally:
        await stop_client(lsp)
