"""Plan validation and the re-ask loop, with a scripted model."""

from __future__ import annotations

import pytest

from mimo_lsp.agent.plan import Plan, PlanError, topological_order
from mimo_lsp.agent.planner import make_plan
from mimo_lsp.llm.scripted import ScriptedChatModel
from mimo_lsp.llm.structured import StructuredOutputError


def _plan(*nodes: tuple[str, list[str]]) -> Plan:
    return Plan.model_validate({"nodes": [{"id": i, "title": i, "depends_on": d, "expected_output": "x"}
                                          for i, d in nodes]})


def test_topological_order_is_stable_and_respects_dependencies():
    order = topological_order(_plan(("c", ["a", "b"]), ("a", []), ("b", ["a"]), ("d", [])))
    assert [n.id for n in order] == ["a", "d", "b", "c"]


@pytest.mark.parametrize("nodes, message", [
    ((("a", []), ("a", [])), "duplicate node id 'a'"),
    ((("a", ["zz"]),), "unknown id 'zz'"),
    ((("a", ["a"]),), "depends on itself"),
    ((("a", ["b"]), ("b", ["c"]), ("c", ["a"])), "dependency cycle"),
])
def test_invalid_dags_are_rejected(nodes, message):
    with pytest.raises(PlanError, match=message):
        topological_order(_plan(*nodes))


def test_planner_shows_the_defect_and_re_asks():
    cyclic = {"nodes": [{"id": "a", "title": "a", "depends_on": ["b"], "expected_output": "x"},
                        {"id": "b", "title": "b", "depends_on": ["a"], "expected_output": "x"}]}
    good = {"nodes": [{"id": "a", "title": "a", "depends_on": [], "expected_output": "x"}]}
    model = ScriptedChatModel([cyclic, good])
    plan = make_plan(model, "goal", "Files:\n", None, attempts=3, max_nodes=8)
    assert [n.id for n in plan.nodes] == ["a"]
    assert "dependency cycle" in model.prompts[1][-1].content


def test_planner_gives_up_with_a_clear_error():
    model = ScriptedChatModel(["{", {"nodes": []}, {"nodes": [{"id": "a"}]}])
    with pytest.raises(StructuredOutputError, match="no valid Plan after 3 attempts"):
        make_plan(model, "goal", "", None, attempts=3, max_nodes=8)


def test_too_many_nodes_is_a_defect():
    big = {"nodes": [{"id": f"n{i}", "title": "t", "depends_on": [], "expected_output": "x"} for i in range(5)]}
    model = ScriptedChatModel([big, big])
    with pytest.raises(StructuredOutputError, match="at most 3 allowed"):
        make_plan(model, "goal", "", None, attempts=2, max_nodes=3)
