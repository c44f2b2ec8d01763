"""Scheduler: which plan node runs next, what is done, failed or skipped, and replanning's splice.

Nodes run in topological order. Ready nodes are taken in plan order, so a run is deterministic (which
exact resume needs). With a backend that serves several generations at once, `ready_group` gives up to
`width` ready nodes whose `files` cannot overlap; the group runs together and the next group is formed
only when the whole group is over (a barrier), so its make-up depends on statuses alone, never on timing.
"""

from __future__ import annotations

from typing import Literal

from mimo_lsp.agent.plan import Plan, PlanNode, files_disjoint, merge_replan, topological_order

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

    def ready_group(self, width: int) -> list[PlanNode]:
        """The first ready node, plus (up to `width` in all) later ready nodes whose files are disjoint
        from every node already in the group."""
        first = self.next_ready()
        if first is None:
            return []
        group = [first]
        for node in self.nodes:
            if len(group) >= width:
                break
            if node is first or self.status[node.id] != "pending":
                continue
            if all(self.status.get(d) == "done" for d in node.depends_on) and all(
                    files_disjoint(node, g) for g in group):
                group.append(node)
        return group

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
