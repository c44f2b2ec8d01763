"""Max Mode candidates through the real server: listed and read after the task, another applied as one
checkpoint (restoring the pick's checkpoint brings the pick back), an unsaved buffer and a changed file
refuse it, clear errors, and the kept candidates survive a server restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.conftest import python_check, write_script
from tests.lsp_client import start_client, stop_client
from tests.unit.test_max_candidates import JUDGE, OTHER
from tests.unit.test_max_mode import GOAL, RIGHT, WRONG


async def _max_task(lsp, model: str) -> str:
    started = await lsp.command("mimo.task.start", {"goal": GOAL, "check": python_check(), "model": model,
                                                    "maxMode": {"n": 3, "selection": "judge_all",
                                                                "format": "function"}})
    done = await lsp.wait_done(started["taskId"])
    assert done["outcome"] == "verified", done["reason"]
    return started["taskId"]


async def test_candidates_listed_applied_restored_and_kept_across_a_restart(calc_workspace: Path, tmp_path: Path):
    model = write_script(tmp_path / "s.json", [RIGHT, OTHER, WRONG, JUDGE])
    calc = calc_workspace / "calc.py"
    lsp = await start_client(calc_workspace)
    try:
        task_id = await _max_task(lsp, model)
        listed = await lsp.command("mimo.task.candidates", {"taskId": task_id})
        assert listed["picked"] == 2 and listed["judged"] is True
        cands = listed["candidates"]
        assert [(c["id"], c["outcome"], c["checksPassed"], c["picked"], c["convergence"]) for c in cands] == [
            (1, "passed", True, False, "different"), (2, "passed", True, True, "picked"),
            (3, "failed", False, False, "different")]
        assert cands[0]["files"][0]["path"] == "calc.py" and cands[0]["files"][0]["status"] == "modified"
        assert cands[0]["tokens"] >= 0 and "+    return a + b" in cands[0]["diff"]
        one = await lsp.command("mimo.task.candidateFile", {"taskId": task_id, "candidateId": 1, "path": "calc.py"})
        assert "return a + b" in one["content"] and one["status"] == "modified"

        # an open buffer with unsaved edits is never clobbered
        uri = calc.as_uri()
        lsp.client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=uri, language_id="python", version=1, text=calc.read_text() + "# typing...\n")))
        await asyncio.sleep(0.2)
        with pytest.raises(JsonRpcException, match="unsaved changes"):
            await lsp.command("mimo.task.applyCandidate", {"taskId": task_id, "candidateId": 1})
        lsp.client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        await asyncio.sleep(0.2)

        applied = await lsp.command("mimo.task.applyCandidate", {"taskId": task_id, "candidateId": 1})
        assert applied["files"] == ["calc.py"] and calc.read_text() == one["content"]
        listed_cps = (await lsp.command("mimo.checkpoint.list", {"taskId": task_id}))["checkpoints"]
        applies = [c for c in listed_cps if c["tool"] == "apply_files" and c["ok"]]
        assert [c["args"]["candidate"] for c in applies] == [2, 1] and applies[-1]["id"] == applied["checkpointId"]
        await lsp.command("mimo.checkpoint.restore", {"taskId": task_id, "checkpointId": applies[0]["id"],
                                                      "mode": "files"})
        assert "return b + a" in calc.read_text(), "restoring the pick's checkpoint brings the pick back"

        for params, message in (({"taskId": "nope", "candidateId": 1}, "unknown task id: nope"),
                                ({"taskId": task_id, "candidateId": 7}, "has no candidate 7")):
            with pytest.raises(JsonRpcException, match=message):
                await lsp.command("mimo.task.applyCandidate", params)
        with pytest.raises(JsonRpcException, match="did not change x.py"):
            await lsp.command("mimo.task.candidateFile", {"taskId": task_id, "candidateId": 1, "path": "x.py"})
    finally:
        await stop_client(lsp)

    calc.write_text(calc.read_text() + "# the user's edit\n")
    again = await start_client(calc_workspace)
    try:
        listed = await again.command("mimo.task.candidates", {"taskId": task_id})
        assert [c["id"] for c in listed["candidates"]] == [1, 2, 3], "kept across a restart"
        with pytest.raises(JsonRpcException, match="calc.py changed since the candidates were made"):
            await again.command("mimo.task.applyCandidate", {"taskId": task_id, "candidateId": 3})
        assert calc.read_text().endswith("# the user's edit\n")
        calc.write_text(calc.read_text().replace("# the user's edit\n", ""))
        # the policy asks before this write: the user is asked (window/showMessageRequest); No = nothing written
        (calc_workspace / ".mimo" / "config.toml").write_text(
            '[[safety.rules]]\ntool = "write_file"\nmatch = "calc.py"\naction = "ask"\n')
        again.answer = "No"
        with pytest.raises(JsonRpcException, match="not confirmed"):
            await again.command("mimo.task.applyCandidate", {"taskId": task_id, "candidateId": 3})
        assert "return b + a" in calc.read_text()
        again.answer = "Yes"
        await again.command("mimo.task.applyCandidate", {"taskId": task_id, "candidateId": 3})
        assert "return a * b" in calc.read_text()
        assert len(again.confirmations) == 2 and "apply_files" in again.confirmations[0], again.confirmations
    finally:
        await stop_client(again)


async def test_a_running_or_plain_task_has_no_candidates_to_apply(calc_workspace: Path, tmp_path: Path):
    from tests.unit.test_restore_resume import SLOW

    lsp = await start_client(calc_workspace)
    try:
        assert lsp.init_result is not None
        assert lsp.init_result.capabilities.experimental["mimo"]["candidates"] is True
        started = await lsp.command("mimo.task.start", {"goal": "work", "model": write_script(tmp_path / "slow.json",
                                                                                               SLOW)})
        with pytest.raises(JsonRpcException, match="is running"):
            await lsp.command("mimo.task.applyCandidate", {"taskId": started["taskId"], "candidateId": 1})
        await lsp.command("mimo.task.cancel", {"taskId": started["taskId"]})
        await lsp.wait_done(started["taskId"])
        with pytest.raises(JsonRpcException, match="has no Max Mode candidates"):
            await lsp.command("mimo.task.candidates", {"taskId": started["taskId"]})
    finally:
        await stop_client(lsp)
