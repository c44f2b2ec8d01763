"""Scheduler: which plan node runs next, what is done, failed or skipped, and replanning's splice.

Nodes run in topological order, one at a time: one model backend (llama.cpp) serves one generation at
a time and every action is a numbered checkpoint, so concurrency would buy nothing locally. Ready nodes
are taken in plan order, so a run is deterministic (which exact resume needs).
"""

from __future__ import annotations

from typing import Literal

from mimo_lsp.agent.plan import Plan, PlanNode, merge_replan, topological_order

Status = Literal["pending", "running", "done", "failed", "skipped"]


class Scheduler:
    def __init__(self, plan: Plan, max_nodes: int | None = None) -> None:
        self.nodes: list[PlanNode] = topological_order(plan, max_nodes)
        self.status: dict[str, Status] = {n.id: "pending" for n in self.nodes}
        self.detail: dict[str, str] = {}

    def by_id(self, node_id: str) -> PlanNode:
        return next(n for n in self.nodes if n.id == node_id)

    def next_ready(self) -> PlanNode | None:
        for node in self.nodes:
            if self.status[node.id] != "pending":
                continue
            deps = [self.status.get(d) for d in node.depends_on]
            if all(s == "done" for s in deps):
                return node
        return None

    def skip_blocked(self) -> list[PlanNode]:
        """Pending nodes that can never run (a dependency failed or was skipped), marked skipped."""
        skipped: list[PlanNode] = []
        changed = True
        while changed:
            changed = False
            for node in self.nodes:
                if self.status[node.id] == "pending" and any(
                        self.status.get(d) in ("failed", "skipped") for d in node.depends_on):
                    self.status[node.id] = "skipped"
                    bad = [d for d in node.depends_on if self.status.get(d) in ("failed", "skipped")]
                    self.detail[node.id] = f"skipped: depends on {', '.join(bad)}"
                    skipped.append(node)
                    changed = True
        return skipped

    def mark(self, node_id: str, status: Status, detail: str = "") -> None:
        self.status[node_id] = status
        if detail:
            self.detail[node_id] = detail

    def done_nodes(self) -> list[PlanNode]:
        return [n for n in self.nodes if self.status[n.id] == "done"]

    def remaining(self) -> list[PlanNode]:
        return [n for n in self.nodes if self.status[n.id] != "done"]

    def replace_remaining(self, revised: Plan, max_nodes: int | None = None) -> list[PlanNode]:
        """Splice a revised plan in: done nodes kept as they are, everything else replaced."""
        merged = merge_replan(self.done_nodes(), revised, max_nodes)
        self.nodes = merged
        self.status = {n.id: ("done" if self.status.get(n.id) == "done" else "pending") for n in merged}
        self.detail = {k: v for k, v in self.detail.items() if self.status.get(k) == "done"}
        return merged

    def failed(self) -> dict[str, str]:
        return {n.id: self.detail.get(n.id, "") for n in self.nodes if self.status[n.id] in ("failed", "skipped")}
