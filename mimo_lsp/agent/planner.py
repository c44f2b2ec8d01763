"""Planner: goal + workspace context -> a schema-constrained, validated DAG; and replanning after failure."""

from __future__ import annotations

from mimo_lsp.agent.plan import Plan, PlanNode, plan_lines, plan_schema, topological_order
from mimo_lsp.agent.prompts import planner_system, planner_user, replanner_system, replanner_user
from mimo_lsp.llm.port import ChatMessage, ChatModel, TokenCallback
from mimo_lsp.llm.structured import complete_structured

PLAN_TOKENS = 1024


def make_plan(
    model: ChatModel,
    goal: str,
    context: str,
    check: str | None,
    *,
    attempts: int,
    max_nodes: int,
    on_token: TokenCallback | None = None,
    memory: str = "",
    max_tokens: int = PLAN_TOKENS,
) -> Plan:
    """Asks up to `attempts` times in all; invalid DAGs are shown to the model with the reason."""
    messages = [
        ChatMessage(role="system", content=planner_system(goal)),
        ChatMessage(role="user", content=planner_user(goal, context, check, memory)),
    ]
    return complete_structured(
        model, messages, Plan, retries=attempts - 1, max_tokens=max_tokens, on_token=on_token,
        check=lambda p: topological_order(p, max_nodes), schema=plan_schema(max_nodes),
    )


def replan(
    model: ChatModel,
    goal: str,
    done: list[PlanNode],
    remaining: list[PlanNode],
    failure: str,
    context: str,
    *,
    attempts: int,
    max_nodes: int,
    on_token: TokenCallback | None = None,
    max_tokens: int = PLAN_TOKENS,
) -> Plan:
    """The remaining part of the DAG, revised in the light of `failure`. Done nodes are not part of the
    answer: the reply may depend on their ids but not reuse them (checked, and re-asked if violated)."""
    done_ids = {n.id for n in done}
    messages = [
        ChatMessage(role="system", content=replanner_system(goal)),
        ChatMessage(role="user", content=replanner_user(goal, plan_lines(done), _describe(remaining), failure, context)),
    ]
    return complete_structured(
        model, messages, Plan, retries=attempts - 1, max_tokens=max_tokens, on_token=on_token,
        check=lambda p: topological_order(p, max_nodes, known=done_ids), schema=plan_schema(max_nodes),
    )


def _describe(nodes: list[PlanNode]) -> str:
    return "\n".join(n.model_dump_json(exclude_defaults=True) for n in nodes)
