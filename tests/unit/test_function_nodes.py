"""Function-format node attempts (`agent.node_format`, agent/function_attempt.py): a small executor model
rewrites the node's function in a code block; the splice goes through the task's checkpointed `act`
(policy, journal, audit), the node's checks decide, a failed attempt is rolled back and retried (greedy
first, then sampled), a refused write hands the node to the agent loop, nodes in lanes work too, and a
task killed mid-way resumes exactly."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mimo_lsp.agent.executor import Attempt
from mimo_lsp.agent.function_attempt import (instruction, reads_only, target_file, text_of_read,
                                             uses_function_format)
from mimo_lsp.agent.plan import PlanNode
from mimo_lsp.config import Settings
from mimo_lsp.llm.port import Completion
from mimo_lsp.llm.scripted import ScriptedChatModel
from mimo_lsp.safety.policy import Rule
from mimo_lsp.tools.actions import ReadFile, ToolContext
from mimo_lsp.tools.registry import run_tool
from tests.conftest import files_of, kill_when, make_task, mimo_cli, resume_only_task

PY = sys.executable
NUMBERS = '''"""Integer helpers."""


def clamp(x, lo, hi):
    """Return x limited to the closed range [lo, hi]."""
    raise NotImplementedError  # clamp


def double(n):
    """Twice n."""
    raise NotImplementedError  # double
'''
CHECK_PY = '''import sys
sys.dont_write_bytecode = True
import time
from toolbox import numbers as m
time.sleep(float(__import__("os").environ.get("CHECK_SLEEP", "0")))
TESTS = {"clamp": lambda: m.clamp(5, 0, 3) == 3 and m.clamp(-1, 0, 3) == 0 and m.clamp(2, 0, 3) == 2,
         "double": lambda: m.double(4) == 8}
names = sys.argv[1:] or list(TESTS)
bad = [n for n in names if not TESTS[n]()]
print("FAIL " + " ".join(bad) if bad else "ok")
sys.exit(1 if bad else 0)
'''
GOAL = "Implement the functions of toolbox/numbers.py. Done when check.py passes."
CLAMP_WRONG = "```python\ndef clamp(x, lo, hi):\n    return x\n```"
CLAMP_RIGHT = "Here it is:\n```python\ndef clamp(x, lo, hi):\n    return max(lo, min(x, hi))\n```\nDone."
DOUBLE_RIGHT = "```python\ndef double(n):\n    return 2 * n\n```"


def node(nid: str, title: str, files: list[str], check: str, deps: list[str] | None = None) -> dict:
    return {"id": nid, "title": title, "depends_on": deps or [], "expected_output": f"check.py {check} passes",
            "files": files, "checks": [{"command": f"{PY} check.py {check}"}]}


PLAN = {"nodes": [node("clamp", "Implement clamp", ["toolbox/numbers.py"], "clamp"),
                  # no `files`: the title names the one file (a small model's plans rarely give files)
                  node("double", "Implement double in toolbox/numbers.py", [], "double", ["clamp"])]}


def workspace(root: Path) -> Path:
    (root / "toolbox").mkdir(parents=True)
    (root / "toolbox" / "__init__.py").write_text("")
    (root / "toolbox" / "numbers.py").write_text(NUMBERS)
    (root / "check.py").write_text(CHECK_PY)
    return root


def settings(**agent) -> Settings:
    return Settings.model_validate({
        "agent": {"node_format": "function", "max_replans": 0, "goal_rounds": 0, **agent},
        "max": {"temperature": 0.8}, "memory": {"lessons": False},
        "safety": {"rules": [{"tool": "run_command", "match": f"{PY} check.py*", "action": "allow"}]}})


class Recording(ScriptedChatModel):
    def __init__(self, replies):
        super().__init__(replies)
        self.calls: list[tuple[list, float | None, dict | None]] = []

    def complete(self, messages, **kw):
        self.calls.append((messages, kw.get("temperature"), kw.get("schema")))
        return super().complete(messages, **kw)


def actions(ws: Path) -> list[tuple[str, str, int]]:
    con = sqlite3.connect(str(ws / ".mimo" / "journal.sqlite"))
    try:
        return con.execute("SELECT node_id, tool, ok FROM actions WHERE state='done' AND node_id != '-' "
                           "ORDER BY id").fetchall()
    finally:
        con.close()


# -- the pieces ------------------------------------------------------------------------------------
def test_text_of_read_gives_back_the_file_the_read_showed(tmp_path: Path):
    ctx = ToolContext(workspace=tmp_path)
    for text in (NUMBERS, "", "x = 1\n\n\n    y  \n"):
        (tmp_path / "f.py").write_text(text)
        out = run_tool(ReadFile(tool="read_file", path="f.py"), ctx).output
        assert text_of_read(out) == text
    (tmp_path / "f.py").write_text("x = 1\n" * 2000)  # cut at observation_chars: not the whole file
    assert text_of_read(run_tool(ReadFile(tool="read_file", path="f.py"), ctx).output) is None
    assert text_of_read("error: no such file: f.py") is None


def test_which_nodes_get_the_function_format():
    def n(title: str, files: list[str] | None = None) -> PlanNode:
        return PlanNode(id="n", title=title, expected_output="done", files=files or [])

    assert target_file(n("Fix it", ["app/calc.py"])) == "app/calc.py"
    assert target_file(n("Fix it", ["app/*.py"])) is None and target_file(n("Fix it", ["a.py", "b.py"])) is None
    assert target_file(n("Fix add in app/calc.py")) == "app/calc.py"
    assert target_file(n("Move app/report.py to format_date from acme/dates.py")) is None
    assert target_file(n("Fix acme.dates")) is None  # a dotted name, not a file
    assert reads_only(n("Read toolbox/numbers.py")) and not reads_only(n("Read and fix toolbox/numbers.py"))

    class Sized:
        def __init__(self, count):
            self.count = count

        def n_params(self):
            return self.count

    assert uses_function_format("auto", Sized(134_515_008)) and not uses_function_format("auto", Sized(7e9))
    assert not uses_function_format("auto", object())  # a server or a test double does not say: agent
    assert uses_function_format("function", object()) and not uses_function_format("agent", Sized(1))


def test_the_prompt_has_the_sub_task_the_goal_and_the_last_failure_without_the_trail():
    node = PlanNode(id="n", title="Implement clamp.", expected_output="it passes",
                    checks=[{"command": "python3 check.py clamp"}])
    text = instruction(Attempt("the goal", "", node, None, 2,
                               ["attempt 1 (checks): [FAIL] clamp is wrong | last steps: step 3: finish"]))
    assert text.startswith("Implement clamp. Expected: it passes\nChecks: command `python3 check.py clamp`")
    assert "The whole task: the goal" in text and "[FAIL] clamp is wrong" in text and "last steps" not in text


# -- whole tasks -----------------------------------------------------------------------------------
def test_a_failing_reply_is_rolled_back_and_a_sampled_retry_fixes_the_node(tmp_path: Path):
    ws = workspace(tmp_path / "ws")
    model = Recording([PLAN, CLAMP_WRONG, CLAMP_RIGHT, DOUBLE_RIGHT])
    result = make_task(GOAL, ws, model, settings(), lambda e: None, check=f"{PY} check.py").run()
    assert result.outcome == "verified", result.reason
    text = (ws / "toolbox" / "numbers.py").read_text()
    assert "return max(lo, min(x, hi))" in text and "return 2 * n" in text and "NotImplementedError" not in text
    assert actions(ws) == [
        ("clamp", "read_file", 1), ("clamp", "write_file", 1), ("clamp", "check", 0), ("clamp", "finish", 0),
        ("clamp", "restore", 1),  # the failed attempt rolled back
        ("clamp", "read_file", 1), ("clamp", "write_file", 1), ("clamp", "check", 1), ("clamp", "finish", 1),
        ("double", "read_file", 1), ("double", "write_file", 1), ("double", "check", 1), ("double", "finish", 1),
        ("goal", "check", 1)]
    fn_calls = [(msgs, t, schema) for msgs, t, schema in model.calls if schema is None]
    assert [t for _, t, _ in fn_calls] == [0.0, 0.8, 0.0]  # greedy first, then sampled at max.temperature
    retry = fn_calls[1][0][-1].content
    assert "The last try failed" in retry and "FAIL clamp" in retry and "function clamp:" in retry
    assert result.stats["retries"] == 1 and result.stats["node_rejections"] == 1


def test_node_candidates_are_function_attempts_too(tmp_path: Path):
    ws = workspace(tmp_path / "ws")
    plan = {"nodes": [PLAN["nodes"][0]]}
    model = Recording([plan, CLAMP_WRONG, "I cannot do that.", CLAMP_RIGHT])
    s = settings(node_retries=0)
    s.max.node_n = 2
    result = make_task(GOAL, ws, model, s, lambda e: None, check=f"{PY} check.py clamp").run()
    assert result.outcome == "verified", result.reason
    assert result.stats["node_candidates"] == 2 and result.stats["node_candidates_passed"] == 1
    assert [t for _, t, schema in model.calls if schema is None] == [0.0, 0.8, 0.8]
    # the unusable reply (no code) made no change: read, an empty rollback, then the next candidate
    assert [tool for _, tool, _ in actions(ws)] == ["read_file", "write_file", "check", "finish", "restore",
                                                     "read_file", "restore", "read_file", "write_file", "check",
                                                     "finish", "check"]


@pytest.mark.parametrize("verdict", ["deny", "ask"])
def test_a_refused_write_is_journaled_and_the_node_goes_to_the_agent_loop(tmp_path: Path, verdict: str):
    ws = workspace(tmp_path / "ws")
    s = settings(node_retries=1, max_steps_per_node=1)
    s.safety.rules.append(Rule(tool="write_file", match="toolbox/*", action=verdict, reason="protected"))
    finish = {"thought": "stop", "action": {"tool": "finish", "summary": "gave up"}}
    model = Recording([{"nodes": [PLAN["nodes"][0]]}, CLAMP_RIGHT, finish])
    asked: list = []
    result = make_task(GOAL, ws, model, s, lambda e: None, check=f"{PY} check.py clamp",
                       confirm=lambda request: asked.append(request) or "no").run()
    assert result.outcome == "failed"
    assert (ws / "toolbox" / "numbers.py").read_text() == NUMBERS
    assert len(asked) == (1 if verdict == "ask" else 0)  # asked once, not again on the retry
    con = sqlite3.connect(str(ws / ".mimo" / "journal.sqlite"))
    row = con.execute("SELECT ok, observation FROM actions WHERE tool='write_file'").fetchone()
    con.close()
    assert row[0] == 0 and row[1].startswith("refused")
    # rolled back (nothing to restore), then the agent loop: its finish rejected by the check, rolled back
    assert [tool for _, tool, _ in actions(ws)] == ["read_file", "write_file", "restore", "check", "finish",
                                                     "restore", "check"]  # the last: the goal's
    # the retry is the agent's JSON loop (its finish is rejected by the failing check)
    assert [(schema or {}).get("title") for _, _, schema in model.calls] == ["Plan", None, "AgentStep"]


def test_nodes_in_lanes_attempt_in_the_function_format_at_the_same_time(tmp_path: Path):
    ws = tmp_path / "ws"
    for name in ("a", "b"):
        (ws / name).mkdir(parents=True)
        (ws / name / "f.py").write_text("def value():\n    return 0\n")
    plan = {"nodes": [{"id": n, "title": f"Make value return 1 in {n}/f.py", "depends_on": [],
                       "expected_output": "value() is 1", "files": [f"{n}/f.py"],
                       "checks": [{"path": f"{n}/f.py", "contains": "return 1"}]} for n in ("a", "b")]}

    class Concurrent:
        name, concurrent_calls = "concurrent", True

        def __init__(self):
            self.in_flight = self.peak = 0
            self.lock = threading.Lock()
            self.penalties: list[tuple[str | None, float | None]] = []

        def complete(self, messages, *, schema=None, max_tokens=None, temperature=None, on_token=None,
                     repeat_penalty=None):  # a backend that takes a per-call penalty (llama.cpp in process)
            with self.lock:
                self.in_flight += 1
                self.peak = max(self.peak, self.in_flight)
                self.penalties.append(((schema or {}).get("title"), repeat_penalty))
            time.sleep(0.3)
            with self.lock:
                self.in_flight -= 1
            if (schema or {}).get("title") == "Plan":
                return Completion(text=json.dumps(plan))
            assert schema is None and re.search(r"\b[ab]/f\.py", messages[-1].content)
            return Completion(text="```python\ndef value():\n    return 1\n```")

        def count_tokens(self, text):
            return len(text) // 4

    model = Concurrent()
    s = settings(max_parallel_nodes=2)
    result = make_task("value 1 everywhere", ws, model, s, lambda e: None).run()
    assert result.outcome == "unverified", result.reason
    assert all("return 1" in (ws / n / "f.py").read_text() for n in ("a", "b"))
    assert model.peak == 2  # the two nodes' model calls overlapped
    # code copied into a reply wants no repetition penalty (max.repeat_penalty); the plan keeps the model's
    assert sorted(model.penalties, key=str) == [("Plan", None), (None, 1.0), (None, 1.0)]
    con = sqlite3.connect(str(ws / ".mimo" / "journal.sqlite"))
    steps = [s for (s,) in con.execute("SELECT step FROM actions WHERE node_id IN ('a', 'b') AND tool != 'check'")]
    con.close()
    assert len(steps) == 6 and len(set(steps)) == 6  # read, apply, finish per node; step numbers unique


# -- kill -9 and resume ------------------------------------------------------------------------------
def journal(ws: Path) -> tuple[list, list]:
    db = ws / ".mimo" / "journal.sqlite"
    if not db.exists():
        return [], []
    con = sqlite3.connect(str(db), timeout=5)
    try:
        acts = con.execute("SELECT step, node_id, tool, args_json, ok FROM actions WHERE state='done' "
                           "AND node_id != '-' ORDER BY id").fetchall()
        calls = con.execute("SELECT purpose, text FROM model_calls WHERE abandoned=0 ORDER BY seq").fetchall()
        return acts, calls
    except sqlite3.OperationalError:  # being created
        return [], []
    finally:
        con.close()


@pytest.mark.parametrize("kill_after", [2, 6, 10])
def test_kill_9_mid_task_then_resume_is_exact(tmp_path: Path, kill_after: int):
    model_file = tmp_path / "replies.json"
    model_file.write_text(json.dumps([PLAN, CLAMP_WRONG, CLAMP_RIGHT, DOUBLE_RIGHT]))
    config = tmp_path / "config"
    config.mkdir()
    (config / "config.toml").write_text(
        '[agent]\nnode_format = "function"\n[memory]\nlessons = false\nembedder = "hashing"\n'
        f'[[safety.rules]]\ntool = "run_command"\nmatch = "{PY} check.py*"\naction = "allow"\n')
    env = dict(os.environ, MIMO_CONFIG_HOME=str(config), CHECK_SLEEP="0.3")
    ref, ws = workspace(tmp_path / "reference"), workspace(tmp_path / "ws")

    def run(root: Path) -> subprocess.Popen:
        return mimo_cli(["run", "-w", str(root), "--model", f"scripted:{model_file}", "--check", f"{PY} check.py",
                      "--quiet", "--json", "--yes", GOAL], env)

    out, err = run(ref).communicate(timeout=120)
    assert json.loads(out)["outcome"] == "verified", err
    proc = run(ws)
    kill_when(proc, lambda: len(journal(ws)[0]) >= kill_after)
    before, _ = journal(ws)
    assert before, "the task had checkpoints before the kill"
    out, err = resume_only_task(ws, env)
    assert json.loads(out)["outcome"] == "verified", err
    assert files_of(ws) == files_of(ref)
    after, calls = journal(ws)
    assert after[: len(before)] == before, "nothing recorded was lost"
    ref_acts, ref_calls = journal(ref)
    # the same actions as the run never killed (an action the kill cut short is undone, then done again)
    assert [a[1:] for a in after if a[2] != "rollback_interrupted"] == [a[1:] for a in ref_acts]
    assert [c[1] for c in calls] == [c[1] for c in ref_calls], "each reply once, none asked again"
