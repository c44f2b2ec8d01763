"""The plan: a DAG of sub-tasks, validated (unique ids, known dependencies, no cycles)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PlanNode(BaseModel):
    # Tight bounds double as grammar limits: a small model cannot ramble inside a string forever.
    id: str = Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_-]+$")
    title: str = Field(min_length=1, max_length=120)
    depends_on: list[str] = Field(default_factory=list, max_length=8)
    expected_output: str = Field(min_length=1, max_length=200)


class Plan(BaseModel):
    nodes: list[PlanNode] = Field(min_length=1, max_length=12)


class PlanError(ValueError):
    """The plan is not a valid DAG; the message says why so the model can correct it."""


def topological_order(plan: Plan, max_nodes: int | None = None) -> list[PlanNode]:
    """Kahn's algorithm, stable in the plan's own order. Raises PlanError on any defect."""
    if max_nodes is not None and len(plan.nodes) > max_nodes:
        raise PlanError(f"plan has {len(plan.nodes)} nodes; at most {max_nodes} allowed")
    by_id: dict[str, PlanNode] = {}
    for node in plan.nodes:
        if node.id in by_id:
            raise PlanError(f"duplicate node id '{node.id}'")
        by_id[node.id] = node
    for node in plan.nodes:
        for dep in node.depends_on:
            if dep == node.id:
                raise PlanError(f"node '{node.id}' depends on itself")
            if dep not in by_id:
                raise PlanError(f"node '{node.id}' depends on unknown id '{dep}'")
    remaining = {n.id: set(n.depends_on) for n in plan.nodes}
    order: list[PlanNode] = []
    while remaining:
        ready = [n for n in plan.nodes if n.id in remaining and not remaining[n.id]]
        if not ready:
            raise PlanError(f"dependency cycle among nodes {sorted(remaining)}")
        for node in ready:
            order.append(node)
            del remaining[node.id]
            for deps in remaining.values():
                deps.discard(node.id)
    return order
