"""Max Mode candidates kept after the task: listed, read, another applied as one checkpointed action
(restorable: restoring the pick's checkpoint brings the pick back), refused when a file changed since,
clear errors, and kept or dropped with the task by checkpoint gc."""

from __future__ import annotations

from pathlib import Path

import pytest

from mimo_lsp.checkpoints.blobs import BlobStore
from mimo_lsp.checkpoints.journal import CheckpointJournal
from mimo_lsp.checkpoints.locks import TaskBusy, TaskLock
from mimo_lsp.config import Settings
from mimo_lsp.llm.scripted import ScriptedChatModel
from mimo_lsp.maxmode.kept import candidate_file, listing
from mimo_lsp.maxmode.reapply import apply_candidate
from mimo_lsp.workspace import state_dir
from tests.conftest import fix_add_script, make_task, open_service, python_check
from tests.unit.test_max_mode import GOAL, RIGHT, WRONG, settings

OTHER = RIGHT.replace("return a + b", "return b + a")
JUDGE = {"pick": 2, "reason": "the second keeps the argument order readable"}


def max_task(ws: Path) -> str:
    """Three candidates: 1 passes (a + b), 2 passes (b + a, the judge's pick), 3 fails (a * b)."""
    result = make_task(GOAL, ws, ScriptedChatModel([RIGHT, OTHER, WRONG, JUDGE]), settings(selection="judge_all"),
                       lambda e: None, check=python_check()).run()
    assert result.outcome == "verified" and result.max["picked"] == 2, result.reason
    return result.task_id


def _open(ws: Path) -> tuple[CheckpointJournal, BlobStore]:
    data = state_dir(ws.resolve())
    return CheckpointJournal(data / "journal.sqlite"), BlobStore(data / "blobs")


def _list(ws: Path, task_id: str) -> dict:
    journal, blobs = _open(ws)
    try:
        return listing(journal, blobs, task_id)
    finally:
        blobs.close()
        journal.close()


def _file(ws: Path, task_id: str, cid: int, path: str) -> dict:
    journal, blobs = _open(ws)
    try:
        return candidate_file(journal, blobs, task_id, cid, path)
    finally:
        blobs.close()
        journal.close()


def test_candidates_are_listed_and_another_is_applied_restorably(calc_workspace: Path):
    task_id = max_task(calc_workspace)
    listed = _list(calc_workspace, task_id)
    assert listed["picked"] == 2 and listed["judged"] and listed["format"] == "function"
    cands = listed["candidates"]
    assert [c["id"] for c in cands] == [1, 2, 3]
    assert [c["outcome"] for c in cands] == ["passed", "passed", "failed"]
    assert [c["convergence"] for c in cands] == ["different", "picked", "different"]
    assert [c["picked"] for c in cands] == [False, True, False] and all(c["kept"] for c in cands)
    assert cands[0]["files"] == [{"path": "calc.py", "status": "modified", "bytes": cands[0]["files"][0]["bytes"]}]
    assert "+    return a + b" in cands[0]["diff"]
    one = _file(calc_workspace, task_id, 1, "calc.py")
    assert one["status"] == "modified" and "return a + b" in one["content"]
    assert "return b + a" in (calc_workspace / "calc.py").read_text(), "the pick is applied"

    applied = apply_candidate(calc_workspace, Settings(), task_id, 1)
    assert applied["files"] == ["calc.py"] and applied["checkpoint_id"] > 0
    assert (calc_workspace / "calc.py").read_text() == one["content"]
    with open_service(calc_workspace) as svc:
        cps = [c for c in svc.list(task_id) if c.tool == "apply_files"]
        assert [c.args["candidate"] for c in cps] == [2, 1] and cps[-1].id == applied["checkpoint_id"]
        assert [c.node_id for c in cps] == ["max", "-"], "the user's action: a resumed task does not replay it"
        assert svc.restore(task_id, cps[0].id, "files").restored == ["calc.py"]  # back to the pick
    assert "return b + a" in (calc_workspace / "calc.py").read_text()
    # after the restore the files hold what the journal says: another apply is fine, and the failing one too
    apply_candidate(calc_workspace, Settings(), task_id, 3)
    assert "return a * b" in (calc_workspace / "calc.py").read_text()
    with pytest.raises(ValueError, match="what the files hold already"):
        apply_candidate(calc_workspace, Settings(), task_id, 3)


def test_a_file_changed_since_is_never_overwritten(calc_workspace: Path):
    task_id = max_task(calc_workspace)
    (calc_workspace / "calc.py").write_text("# the user's edit\n")
    with open_service(calc_workspace) as svc:
        before = len(svc.list(task_id))
    with pytest.raises(ValueError, match="calc.py changed since the candidates were made"):
        apply_candidate(calc_workspace, Settings(), task_id, 1)
    assert (calc_workspace / "calc.py").read_text() == "# the user's edit\n"
    with open_service(calc_workspace) as svc:
        assert len(svc.list(task_id)) == before, "a refusal journals nothing"


def test_an_unsaved_buffer_and_the_policy_refuse_it(calc_workspace: Path):
    task_id = max_task(calc_workspace)
    with pytest.raises(ValueError, match="unsaved changes"):
        apply_candidate(calc_workspace, Settings(), task_id, 1,
                        buffer_guard=lambda p: f"{p.name} has unsaved changes in the editor")
    strict = Settings.model_validate({"safety": {"rules": [{"tool": "write_file", "match": "calc.py",
                                                            "action": "ask"}]}})
    asked = []
    with pytest.raises(ValueError, match="not confirmed"):
        apply_candidate(calc_workspace, strict, task_id, 1, confirm=lambda r: asked.append(r) or "no")
    assert asked and asked[0]["tool"] == "apply_files" and asked[0]["subject"] == "calc.py"
    assert "return b + a" in (calc_workspace / "calc.py").read_text()
    apply_candidate(calc_workspace, strict, task_id, 1, confirm=lambda r: "yes")
    assert "return a + b" in (calc_workspace / "calc.py").read_text()


def test_clear_errors(calc_workspace: Path):
    task_id = max_task(calc_workspace)
    with pytest.raises(KeyError, match="unknown task id: nope"):
        apply_candidate(calc_workspace, Settings(), "nope", 1)
    with pytest.raises(KeyError, match=r"has no candidate 9 \(its candidates: 1, 2, 3\)"):
        apply_candidate(calc_workspace, Settings(), task_id, 9)
    with pytest.raises(KeyError, match="did not change other.py"):
        _file(calc_workspace, task_id, 1, "other.py")
    lock = TaskLock(state_dir(calc_workspace.resolve()), task_id)
    assert lock.acquire()
    try:
        with pytest.raises(TaskBusy, match="is running"):
            apply_candidate(calc_workspace, Settings(), task_id, 1)
    finally:
        lock.release()
    plain = make_task("fix add", calc_workspace, ScriptedChatModel(fix_add_script()),
                      Settings.model_validate({"memory": {"embedder": "hashing"}}), lambda e: None).run()
    with pytest.raises(ValueError, match="has no Max Mode candidates"):
        apply_candidate(calc_workspace, Settings(), plain.task_id, 1)


def test_gc_keeps_the_candidates_with_their_task_and_drops_them_with_it(calc_workspace: Path):
    task_id = max_task(calc_workspace)
    with open_service(calc_workspace) as svc:
        svc.gc()  # under the cap: compaction only; the kept blobs are referenced
    assert "return a * b" in _file(calc_workspace, task_id, 3, "calc.py")["content"]
    with open_service(calc_workspace) as svc:
        report = svc.gc(keep_days=0)
        assert task_id in report.deleted_tasks
        assert svc.journal.candidates(task_id) is None


def test_cli_lists_and_applies_a_candidate(calc_workspace: Path):
    import json
    import subprocess
    import sys

    task_id = max_task(calc_workspace)

    def mimo(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "mimo_lsp.cli", "candidates", task_id, "-w", str(calc_workspace),
                               *args], capture_output=True, text=True, timeout=120)

    listed = mimo()
    assert listed.returncode == 0, listed.stderr
    assert "picked: 2" in listed.stdout and "*  2  passed" in listed.stdout
    assert [c["id"] for c in json.loads(mimo("--json").stdout)["candidates"]] == [1, 2, 3]
    applied = mimo("--apply", "1")
    assert applied.returncode == 0 and "applied candidate 1: calc.py" in applied.stdout, applied.stderr
    assert "return a + b" in (calc_workspace / "calc.py").read_text()
    missing = mimo("--apply", "9")
    assert missing.returncode == 2 and "has no candidate 9" in missing.stderr


def test_files_over_the_limit_are_listed_but_not_kept(tmp_path: Path):
    from types import SimpleNamespace

    from mimo_lsp.maxmode.candidates import Candidate
    from mimo_lsp.maxmode.kept import contents, keep

    ws = tmp_path / "ws"
    ws.mkdir()
    journal, blobs = _open(ws)
    try:
        journal.start_task("t1", "goal", ws, "m", None, "{}")
        small = Candidate(id=1, round=1, temperature=0.0, outcome="passed", checks_passed=True,
                          changes={"a.py": b"x = 1\n", "gone.py": None}, diff="+x = 1\n")
        big = Candidate(id=2, round=1, temperature=0.7, outcome="failed", changes={"a.py": b"y" * 100}, diff="+y\n")
        none = Candidate(id=3, round=1, temperature=0.7, outcome="no_change")
        orch = SimpleNamespace(candidates=[small, big, none], pick=small, report={"reason": "r", "convergence": 0.3},
                               bases={"a.py": "0" * 64, "gone.py": "1" * 64}, fmt="function")
        keep(journal, blobs, "t1", orch, max_file_bytes=50)
        listed = listing(journal, blobs, "t1")
        assert [(c["id"], c["kept"], c["convergence"]) for c in listed["candidates"]] == [
            (1, True, "picked"), (2, False, "different"), (3, False, "none")]
        assert [f["status"] for f in listed["candidates"][0]["files"]] == ["modified", "deleted"]
        record = journal.candidates("t1")
        assert contents(blobs, "t1", record["candidates"][0]) == {"a.py": "x = 1\n", "gone.py": None}
        with pytest.raises(ValueError, match="were not kept"):
            contents(blobs, "t1", record["candidates"][1])
        with pytest.raises(ValueError, match="changed nothing"):
            contents(blobs, "t1", record["candidates"][2])
        assert set(record["digests"]) <= journal.referenced_digests()
    finally:
        blobs.close()
        journal.close()
