"""Plan validation and the re-ask loop, with a scripted model."""

from __future__ import annotations

import pytest

from mimo_lsp.agent.plan import Plan, PlanError, plan_schema, topological_order
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
    ((("a", []), ("a", ["b"]), ("b", [])), "duplicate node id 'a'"),
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


def test_a_node_repeated_verbatim_counts_once():
    node = {"id": "n2", "title": "fix", "depends_on": [], "expected_output": "x"}
    plan = Plan.model_validate({"nodes": [{"id": "n1", "title": "read", "expected_output": "x"}, node, node, node]})
    assert [n.id for n in plan.nodes] == ["n1", "n2"]
    topological_order(plan)


def test_the_grammar_schema_caps_the_node_count():
    schema = plan_schema(4)
    assert schema["properties"]["nodes"]["maxItems"] == 4
    assert Plan.model_json_schema()["properties"]["nodes"]["maxItems"] == 64  # the model class is untouched
    model = ScriptedChatModel([{"nodes": [{"id": "a", "title": "a", "depends_on": [], "expected_output": "x"}]}])
    make_plan(model, "goal", "", None, attempts=1, max_nodes=4)
    assert model.schemas[0]["properties"]["nodes"]["maxItems"] == 4


def test_prompt_examples_are_about_the_task_and_valid_when_copied():
    import json

    from mimo_lsp.agent.prompts import example_path, executor_system, planner_system
    from mimo_lsp.tools.actions import AgentStep

    goal = "Fix the add function in calc.py so that the tests pass"
    example = next(line for line in planner_system(goal).splitlines() if line.startswith('{"nodes"'))
    copied = Plan.model_validate(json.loads(example))  # a model that copies the example has a valid plan
    assert [n.id for n in topological_order(copied)] == ["n1", "n2"] and copied.nodes[1].title == goal
    assert example_path("", "Read the code", goal) == "calc.py"
    assert example_path("src/*.py", "Rename the API in pkg/api.py, then docs/index.md") == "pkg/api.py"
    assert example_path("Bump the version to 1.2.3, e.g. in the changelog") is None
    for path, tool in (("calc.py", "read_file"), (None, "list_files")):
        line = next(ln for ln in executor_system(path).splitlines() if ln.startswith('{"thought"'))
        step = AgentStep.model_validate(json.loads(line))
        assert step.action.tool == tool and step.action.path == (path or ".")
