"""Planner: goal + workspace context -> a schema-constrained, validated DAG of sub-tasks."""

from __future__ import annotations

from mimo_lsp.agent.plan import Plan, topological_order
from mimo_lsp.agent.prompts import PLANNER_SYSTEM, planner_user
from mimo_lsp.llm.port import ChatMessage, ChatModel, TokenCallback
from mimo_lsp.llm.structured import complete_structured


def make_plan(
    model: ChatModel,
    goal: str,
    context: str,
    check: str | None,
    *,
    attempts: int,
    max_nodes: int,
    on_token: TokenCallback | None = None,
) -> Plan:
    """Asks up to `attempts` times in all; invalid DAGs are shown to the model with the reason."""
    messages = [
        ChatMessage(role="system", content=PLANNER_SYSTEM),
        ChatMessage(role="user", content=planner_user(goal, context, check)),
    ]
    return complete_structured(
        model, messages, Plan, retries=attempts - 1, max_tokens=768, on_token=on_token,
        check=lambda p: topological_order(p, max_nodes),
    )
