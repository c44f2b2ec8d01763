"""Plan nodes whose files cannot overlap run at the same time when the backend serves concurrent calls:
their model calls overlap, their checkpoints stay one serial journal (interleaved), a failed node's
rollback leaves the others' work alone, and a task killed mid-group resumes exactly."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from mimo_lsp.agent.plan import PlanNode, files_disjoint
from mimo_lsp.config import Settings
from mimo_lsp.llm.scripted import RoutedScriptedModel
from tests.conftest import files_of, kill_when, make_task, mimo_cli, resume_only_task

YES = lambda request: "yes"  # noqa: E731  (commands are confirmed)


def node(nid: str, files: list[str], deps: list[str] | None = None, checks: list | None = None) -> dict:
    return {"id": nid, "title": f"work on {nid}", "depends_on": deps or [], "expected_output": "done",
            "files": files, "checks": checks or []}


def step(tool: str, **args) -> dict:
    return {"thought": tool, "action": {"tool": tool, **args}}


def script(nid: str) -> list[dict]:
    return [step("write_file", path=f"{nid}/x.txt", content=f"{nid}\n"),
            step("run_command", command=f"echo {nid} >> {nid}/log.txt"),
            step("finish", summary=f"{nid} done")]


PLAN = {"nodes": [node("a", ["a/*"]), node("b", ["b/*"]), node("c", ["c/*"]),
                  node("d", ["d/*"], ["a", "b", "c"])]}
NODES = {n: script(n) for n in "abcd"}
CHECK = (f"{sys.executable} -c \"import pathlib, sys; "
         "sys.exit(not all(pathlib.Path(n, 'x.txt').exists() for n in 'abcd'))\"")


def settings(width: int, **agent) -> Settings:
    return Settings.model_validate({"agent": {"max_parallel_nodes": width, **agent}, "memory": {"lessons": False}})


def journal_nodes(ws: Path) -> list[tuple[int, str, str]]:
    db = ws / ".mimo" / "journal.sqlite"
    if not db.exists():
        return []
    con = sqlite3.connect(str(db), timeout=5)
    try:
        return con.execute("SELECT step, node_id, tool FROM actions WHERE state='done' AND node_id != '-' "
                           "ORDER BY id").fetchall()
    except sqlite3.OperationalError:  # the journal is still being created
        return []
    finally:
        con.close()


def test_files_disjoint_is_conservative():
    def n(*files):
        return PlanNode(id="x", title="t", expected_output="o", files=list(files))
    assert files_disjoint(n("src/a/*"), n("src/b/*"))
    assert files_disjoint(n("docs/x.md"), n("src/*.py"))
    assert not files_disjoint(n("src/*.py"), n("src/a*"))  # src/a.py matches both
    assert not files_disjoint(n("*.py"), n("tests/*"))
    assert not files_disjoint(n("a.py"), n())  # no files: may write anywhere


def test_independent_nodes_run_together_and_the_journal_interleaves_them(tmp_path: Path):
    model = RoutedScriptedModel(PLAN, NODES, delay_s=0.3)
    result = make_task("four parts", tmp_path, model, settings(3), lambda e: None, check=CHECK, confirm=YES).run()
    assert result.outcome == "verified", result.reason
    assert model.peak >= 2, "node calls overlapped"
    rows = journal_nodes(tmp_path)
    order = [nid for _, nid, _ in rows if nid in "abc"]
    assert order != sorted(order), f"a, b and c interleave in the journal: {order}"
    steps = [s for s, nid, tool in rows if tool != "check" and nid != "goal"]
    assert len(steps) == len(set(steps)), "every action has its own step number"
    first_d = min(i for i, (_, nid, _) in enumerate(rows) if nid == "d")
    assert all(nid not in "abc" for _, nid, _ in rows[first_d:]), "d starts after its dependencies"
    for n in "abcd":
        assert (tmp_path / n / "log.txt").read_text() == f"{n}\n"


@pytest.mark.parametrize("width, plan", [(1, PLAN), (3, {"nodes": [node("a", ["src/*"]), node("b", ["src/b*"]),
                                                                  node("c", ["c/*"]), node("d", ["d/*"], ["a"])]})])
def test_one_at_a_time_when_the_width_is_one_or_the_files_overlap(tmp_path: Path, width: int, plan: dict):
    nodes = {"a": [step("write_file", path="src/a.txt", content="a\n"), step("finish", summary="a")],
             "b": [step("write_file", path="src/b.txt", content="b\n"), step("finish", summary="b")],
             "c": script("c"), "d": script("d")} if plan is not PLAN else NODES
    model = RoutedScriptedModel(plan, nodes, delay_s=0.05)
    result = make_task("parts", tmp_path, model, settings(width), lambda e: None, confirm=YES).run()
    assert result.outcome == "unverified", result.reason
    order = [nid for _, nid, _ in journal_nodes(tmp_path)]
    if width == 1:
        assert model.peak == 1 and order == sorted(order)
    else:  # a and b overlap (src/b.txt matches both): b waits for a; c may run beside a
        assert order.index("b") > max(i for i, n in enumerate(order) if n == "a")


def test_a_failed_node_rolls_back_only_its_own_files(tmp_path: Path):
    plan = {"nodes": [node("a", ["a/*"]), node("b", ["b/*"], checks=[{"path": "b/x.txt", "contains": "never"}])]}
    nodes = {"a": [step("write_file", path="a/x.txt", content="a\n"), step("run_command", command="sleep 0.5"),
                   step("finish", summary="a")],
             "b": [step("write_file", path="b/x.txt", content="b\n"), step("finish", summary="b")]}
    model = RoutedScriptedModel(plan, nodes, delay_s=0.2)
    result = make_task("two", tmp_path, model, settings(2, node_retries=0, max_replans=0), lambda e: None,
                       confirm=YES).run()
    assert result.outcome == "failed" and "b" in result.reason
    assert (tmp_path / "a" / "x.txt").read_text() == "a\n", "a's work survives b's rollback"
    assert not (tmp_path / "b" / "x.txt").exists()


@pytest.mark.parametrize("kill_after", [2, 5, 8])
def test_kill_9_in_the_middle_of_a_group_then_resume_is_exact(tmp_path: Path, kill_after: int):
    model_file = tmp_path / "routed.json"
    model_file.write_text(json.dumps({"plan": PLAN, "nodes": NODES, "delay_s": 0.25}))
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.toml").write_text("[agent]\nmax_parallel_nodes = 3\n")
    env = dict(os.environ, MIMO_CONFIG_HOME=str(config))
    ref, ws = tmp_path / "reference", tmp_path / "ws"
    ref.mkdir(), ws.mkdir()

    def run(workspace: Path) -> subprocess.Popen:
        return mimo_cli(["run", "-w", str(workspace), "--model", f"scripted:{model_file}", "--check", CHECK,
                      "--quiet", "--json", "--yes", "four parts"], env)

    out, err = run(ref).communicate(timeout=120)
    assert json.loads(out)["outcome"] == "verified", err
    proc = run(ws)
    kill_when(proc, lambda: len(journal_nodes(ws)) >= kill_after)
    before = journal_nodes(ws)
    assert before, "the task had checkpoints before the kill"
    out, err = resume_only_task(ws, env)
    assert json.loads(out)["outcome"] == "verified", err
    assert files_of(ws) == files_of(ref), "the same files, each command run once"
    after = journal_nodes(ws)
    assert after[: len(before)] == before, "nothing recorded was lost"
