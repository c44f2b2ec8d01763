"""The plan cap holds for the whole plan, done nodes included: a replan after many done nodes is asked
for what still fits (and re-asked when it returns more), or refused when nothing fits, never a crash."""

from __future__ import annotations

import sys
from pathlib import Path

from mimo_lsp.agent.events import PlanEvent
from mimo_lsp.config import Settings
from mimo_lsp.llm.scripted import ScriptedChatModel
from tests.conftest import make_task

CHECK = f"{sys.executable} -c \"import pathlib, sys; sys.exit(0 if pathlib.Path('ok.txt').exists() else 1)\""
FINISH = {"thought": "nothing to do", "action": {"tool": "finish", "summary": "done"}}
WRITE_OK = {"thought": "write it", "action": {"tool": "write_file", "path": "ok.txt", "content": "ok\n"}}


def node(i: str) -> dict:
    return {"id": i, "title": f"step {i}", "depends_on": [], "expected_output": "done"}


def settings(cap: int) -> Settings:
    return Settings.model_validate({"agent": {"max_plan_nodes": cap, "goal_rounds": 1}})


def run(tmp_path: Path, cap: int, done: int, replies_after: list) -> tuple:
    replies = [{"nodes": [node(f"n{i}") for i in range(done)]}] + [FINISH] * done + replies_after
    events: list = []
    task = make_task("make ok.txt", tmp_path, ScriptedChatModel(replies), settings(cap), events.append, check=CHECK)
    return task.run(), [e for e in events if isinstance(e, PlanEvent)]


def test_a_goal_round_replan_gets_only_the_room_left_and_is_re_asked_when_over(tmp_path: Path):
    # 63 done nodes under the default cap of 64: one repair node fits. A reply with two is a defect the
    # planner sees and corrects (this was an internal error: 65 nodes failed Plan validation).
    too_many = {"nodes": [node("r1"), node("r2")]}
    result, plans = run(tmp_path, 64, 63, [too_many, {"nodes": [node("r1")]}, WRITE_OK, FINISH])
    assert result.outcome == "verified", result.reason
    assert [len(p.nodes) for p in plans] == [63, 64]


def test_no_room_left_means_no_replan_and_a_clean_failure(tmp_path: Path):
    result, plans = run(tmp_path, 3, 3, [])
    assert result.outcome == "failed" and "completion criteria failed" in result.reason
    assert len(plans) == 1 and result.stats["replans"] == 0


def test_goal_rounds_are_not_used_up_by_node_replans(tmp_path: Path):
    # max_replans bounds replanning after failed nodes; the goal rounds have their own budget. With no node
    # replans left (0 allowed), a failing completion check still gets its repair round.
    replies = [{"nodes": [node("n0")]}, FINISH, {"nodes": [node("r1")]}, WRITE_OK, FINISH]
    settings = Settings.model_validate({"agent": {"max_replans": 0, "goal_rounds": 1}})
    result = make_task("make ok.txt", tmp_path, ScriptedChatModel(replies), settings, lambda e: None,
                       check=CHECK).run()
    assert result.outcome == "verified", result.reason
    assert result.stats["replans"] == 1 and result.stats["node_replans"] == 0
