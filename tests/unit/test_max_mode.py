"""Max Mode with a scripted model: candidates in scratch trees, checks outrank the judge, the pick applied
as one checkpointed action, convergence, and the same through the CLI and the server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mimo_lsp.config import Settings
from mimo_lsp.llm.scripted import ScriptedChatModel
from mimo_lsp.maxmode.scratch import ScratchTree
from mimo_lsp.tools.actions import ApplyFiles, ToolContext
from mimo_lsp.tools.registry import run_tool
from tests.conftest import make_task, open_service, python_check, write_script

WRONG = '```python\ndef add(a, b):\n    """Return the sum of a and b."""\n    return a * b\n```'
RIGHT = '```python\ndef add(a, b):\n    """Return the sum of a and b."""\n    return a + b\n```'
RIGHT_SPACED = '```python\ndef add(a, b):\n    """Return the sum of a and b."""\n    return  a + b\n```'
GOAL = "Fix the add function in calc.py so that the tests pass"


def settings(n: int = 3, selection: str = "first_pass", rounds: int = 1) -> Settings:
    return Settings.model_validate({"max": {"n": n, "selection": selection, "rounds": rounds, "format": "function"},
                                    "memory": {"embedder": "hashing"}})


def test_the_first_passing_candidate_is_applied_as_one_checkpoint(calc_workspace: Path):
    events = []
    task = make_task(GOAL, calc_workspace, ScriptedChatModel([WRONG, RIGHT]), settings(), events.append,
                     check=python_check())
    result = task.run()
    assert result.outcome == "verified", result.reason
    assert "return a + b" in (calc_workspace / "calc.py").read_text()
    report = result.max
    assert [c["outcome"] for c in report["candidates"]] == ["failed", "passed"], "first_pass stops at the pass"
    assert report["picked"] == 2 and report["convergence"] == 0.5 and not report["judged"]
    assert report["candidates"][0]["temperature"] == 0.0, "the first candidate is greedy"
    kinds = [e.kind for e in events]
    assert kinds.count("candidate") >= 4 and kinds.count("pick") == 1 and kinds[-1] == "done"
    applied = [c for c in result.checkpoints if c["tool"] == "apply_files"]
    assert len(applied) == 1 and applied[0]["files"] == ["calc.py"]
    with open_service(calc_workspace) as svc:  # restorable like any other action
        svc.restore(result.task_id, 0, "files")
    assert "return a - b" in (calc_workspace / "calc.py").read_text()


def test_checks_outrank_the_judge_and_same_fixes_converge(calc_workspace: Path):
    # judge_all: three candidates; two pass with the same fix (whitespace aside), one fails.
    model = ScriptedChatModel([RIGHT, WRONG, RIGHT_SPACED])
    result = make_task(GOAL, calc_workspace, model, settings(selection="judge_all"), lambda e: None,
                       check=python_check()).run()
    assert result.outcome == "verified"
    report = result.max
    assert [c["checks_passed"] for c in report["candidates"]] == [True, False, True]
    assert report["picked"] in (1, 3) and report["convergence"] == round(2 / 3, 3)
    assert not report["judged"], "identical passing fixes need no judge"


def test_the_judge_picks_among_different_passing_candidates(calc_workspace: Path):
    other = RIGHT.replace("return a + b", "return b + a")
    judge = {"pick": 2, "reason": "the second keeps the argument order readable"}
    result = make_task(GOAL, calc_workspace, ScriptedChatModel([RIGHT, other, WRONG, judge]),
                       settings(selection="judge_all"), lambda e: None, check=python_check()).run()
    assert result.outcome == "verified" and result.max["judged"]
    assert result.max["picked"] == 2 and "return b + a" in (calc_workspace / "calc.py").read_text()


def test_no_usable_candidate_fails_honestly_and_writes_nothing(calc_workspace: Path):
    before = (calc_workspace / "calc.py").read_text()
    result = make_task(GOAL, calc_workspace, ScriptedChatModel(["no code here", "```python\ndef (:\n```"]),
                       settings(n=2), lambda e: None, check=python_check()).run()
    assert result.outcome == "failed" and "no candidate produced a usable change" in result.reason
    assert (calc_workspace / "calc.py").read_text() == before


def test_a_file_changed_since_the_candidates_were_made_is_not_overwritten(calc_workspace: Path):
    tree = ScratchTree(calc_workspace)
    try:
        import hashlib

        base = {"calc.py": hashlib.sha256(tree.files["calc.py"]).hexdigest()}
        (calc_workspace / "calc.py").write_text("# the user's edit\n")
        out = run_tool(ApplyFiles(tool="apply_files", files={"calc.py": "x = 1\n"}, base=base), ToolContext(calc_workspace))
        assert not out.ok and "changed since the candidates were made" in out.output
        assert (calc_workspace / "calc.py").read_text() == "# the user's edit\n"
    finally:
        tree.remove()
    assert not tree.root.exists()


def test_scratch_trees_skip_git_and_state(calc_workspace: Path):
    (calc_workspace / ".git").mkdir()
    (calc_workspace / ".git" / "config").write_text("[core]\n")
    tree = ScratchTree(calc_workspace)
    try:
        assert not (tree.root / ".git").exists() and (tree.root / "calc.py").is_file()
        (tree.root / "calc.py").write_text("changed\n")
        (tree.root / "new.py").write_text("x = 1\n")
        assert tree.changes() == {"calc.py": b"changed\n", "new.py": b"x = 1\n"}
        assert "return a - b" in (calc_workspace / "calc.py").read_text(), "the real tree is untouched"
    finally:
        tree.remove()


def test_cli_max_json_has_the_verification_keys(calc_workspace: Path, tmp_path: Path):
    model = write_script(tmp_path / "s.json", [WRONG, RIGHT])
    (calc_workspace / ".mimo").mkdir(exist_ok=True)
    out = subprocess.run([sys.executable, "-m", "mimo_lsp.cli", "run", GOAL, "-w", str(calc_workspace), "--json",
                          "--quiet", "--model", model, "--max", "3", "--check", python_check()],
                         capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "MIMO_CONFIG_HOME": str(_user_config(tmp_path))})
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["outcome"] == "verified" and data["picked"] == 2 and data["convergence"] == 0.5
    assert {"id", "outcome", "checks_passed", "tokens", "diff"} <= set(data["candidates"][1])
    assert "+    return a + b" in data["candidates"][1]["diff"]


def _user_config(tmp_path: Path) -> Path:
    """The function format from the user's config (a scripted model has no parameter count)."""
    d = tmp_path / "user"
    d.mkdir(exist_ok=True)
    (d / "config.toml").write_text('[max]\nformat = "function"\n')
    return d


@pytest.mark.asyncio
async def test_server_streams_candidates_and_the_pick(calc_workspace: Path, tmp_path: Path):
    from tests.lsp_client import start_client, stop_client

    client = await start_client(calc_workspace)
    try:
        model = write_script(tmp_path / "s.json", [WRONG, RIGHT])
        started = await client.command("mimo.task.start", {"goal": GOAL, "check": python_check(), "model": model,
                                                           "maxMode": {"n": 3, "format": "function"}})
        done = await client.wait_done(started["taskId"])
        events = client.events[started["taskId"]]
    finally:
        await stop_client(client)
    assert done["outcome"] == "verified", done["reason"]
    candidates = [e for e in events if e.get("kind") == "candidate" and e["status"] == "done"]
    picks = [e for e in events if e.get("kind") == "pick"]
    assert [c["checksPassed"] for c in candidates] == [False, True]
    assert picks and picks[0]["candidateId"] == 2 and picks[0]["convergence"] == 0.5
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))


def test_resume_after_the_pick_was_applied_replays_exactly(calc_workspace: Path):
    # The process stops right after the pick is applied. On resume the candidates are made again from the
    # journal's replies, and they must start from the files as the first run's candidates saw them (before
    # the pick), not from the tree with the pick in it, or the apply no longer matches its record.
    from mimo_lsp.agent.events import CheckpointEvent

    holder: dict = {}

    def stop_after_apply(event):
        if isinstance(event, CheckpointEvent) and "calc.py" in event.files and not event.replayed:
            holder["task"].cancel()

    first = make_task(GOAL, calc_workspace, ScriptedChatModel([WRONG, RIGHT]), settings(), stop_after_apply,
                      check=python_check())
    holder["task"] = first
    assert first.run().outcome == "cancelled"
    assert "return a + b" in (calc_workspace / "calc.py").read_text(), "the pick was applied before the stop"
    resumed = make_task("", calc_workspace, ScriptedChatModel([WRONG, RIGHT]), settings(), lambda e: None,
                        task_id=first.task_id, resume=True)
    result = resumed.run()
    assert result.outcome == "verified", result.reason
    assert [c["outcome"] for c in result.max["candidates"]] == ["failed", "passed"]
    assert len([c for c in result.checkpoints if c["tool"] == "apply_files"]) == 1, "replayed, not applied again"


def test_cli_shows_the_candidates_side_by_side_at_the_pick(calc_workspace: Path, tmp_path: Path):
    model = write_script(tmp_path / "s.json", [WRONG, RIGHT])
    out = subprocess.run([sys.executable, "-m", "mimo_lsp.cli", "run", GOAL, "-w", str(calc_workspace),
                          "--model", model, "--max", "3", "--check", python_check()],
                         capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "MIMO_CONFIG_HOME": str(_user_config(tmp_path)),
                              "COLUMNS": "120"})
    assert out.returncode == 0, out.stderr
    table = out.stdout[out.stdout.index("Max Mode candidates"):]
    rows = [line for line in table.splitlines() if line.strip().startswith("│ ")]
    assert "failed" in rows[0] and "fail" in rows[0] and "picked" not in rows[0], rows
    assert "passed" in rows[1] and "pass" in rows[1] and "picked" in rows[1], rows
