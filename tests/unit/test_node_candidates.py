"""Node-level Max Mode (`max.node_n`): after a node's retries fail, independent candidates, each from the
node's start with the retries' failure summary (not each other's), sampled at `max.temperature`; the node's
checks keep the first that passes. Off (0), the node fails as before."""

from __future__ import annotations

import sys
from pathlib import Path

from mimo_lsp.config import Settings
from mimo_lsp.llm.scripted import ScriptedChatModel
from mimo_lsp.protocol.notifications import DoneStats
from tests.conftest import make_task

CHECK = f"{sys.executable} -c \"import pathlib, sys; sys.exit(pathlib.Path('v.txt').read_text().strip() != '2')\""
PLAN = {"nodes": [{"id": "v", "title": "write the value", "depends_on": [], "expected_output": "v.txt holds 2",
                   "checks": [{"path": "v.txt", "matches": "^2\\s*$"}]}]}


def write(value: str) -> dict:
    return {"thought": f"value {value}", "action": {"tool": "write_file", "path": "v.txt", "content": f"{value}\n"}}


FINISH = {"thought": "done", "action": {"tool": "finish", "summary": "wrote it"}}


class Recording(ScriptedChatModel):
    def __init__(self, replies):
        super().__init__(replies)
        self.calls: list[tuple[str, float | None]] = []

    def complete(self, messages, **kw):
        self.calls.append((messages[-1].content, kw.get("temperature")))
        return super().complete(messages, **kw)


def settings(node_n: int) -> Settings:
    return Settings.model_validate({"agent": {"node_retries": 0, "max_replans": 0, "max_steps_per_node": 2,
                                              "goal_rounds": 0},
                                    "max": {"node_n": node_n, "temperature": 0.7}, "memory": {"lessons": False}})


def test_a_failing_node_gets_candidates_and_the_first_that_passes_is_kept(tmp_path: Path):
    replies = [PLAN, write("1"), FINISH, write("3"), FINISH, write("2"), FINISH]
    model = Recording(replies)
    result = make_task("write 2 into v.txt", tmp_path, model, settings(2), lambda e: None, check=CHECK).run()
    assert result.outcome == "verified", result.reason
    assert (tmp_path / "v.txt").read_text() == "2\n"
    assert result.stats["node_candidates"] == 2 and result.stats["node_candidates_passed"] == 1
    DoneStats.model_validate(result.stats)  # every counter reaches the editor (the wire forbids unknown keys)
    steps = [(prompt, t) for prompt, t in model.calls if "Sub-task id: v" in prompt]
    cand1, cand2 = [p for p, _ in steps if "Attempt 2." in p][0], [p for p, _ in steps if "Attempt 3." in p][0]
    # Independent: each candidate sees the failed retry, neither sees the other candidate's failure.
    assert "attempt 1 (checks)" in cand1 and "attempt 1 (checks)" in cand2 and "attempt 2" not in cand2
    assert {t for p, t in steps if "Attempt" in p} == {0.7} and steps[0][1] is None


def test_without_node_candidates_the_node_fails_and_is_rolled_back(tmp_path: Path):
    result = make_task("write 2 into v.txt", tmp_path, Recording([PLAN, write("1"), FINISH]), settings(0),
                       lambda e: None, check=CHECK).run()
    assert result.outcome == "failed" and "node_candidates" not in result.stats
    assert not (tmp_path / "v.txt").exists()
