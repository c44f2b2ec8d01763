"""Plan nodes made elsewhere (`RemoteNodes`: a Ray cluster), applied here: the orchestrator's side.

A node of a group that runs at the same time goes to a worker with its attempts (node_retries + 1). What
comes back is journaled as one call of the node's lane (a resumed task is served it again, whatever is
reachable then), applied to the real tree as one checkpointed `apply_files` action (policy, unsaved
buffers, the files' hashes at dispatch: a file changed since is never overwritten), and the node's checks
run again here on the real tree. The node runs in this process instead (its attempts from the start, with
what the worker learnt as failures) when the worker could not finish it for a reason that is not the
node's own: the cluster failed, the policy wanted a question asked, the apply was refused, or the checks
fail here after passing there.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable

from mimo_lsp.agent.events import NodeEvent
from mimo_lsp.agent.executor import Attempt
from mimo_lsp.agent.lessons import NodeHistory
from mimo_lsp.agent.plan import PlanNode, plan_lines
from mimo_lsp.agent.scheduler import Scheduler
from mimo_lsp.tools.actions import ApplyFiles

if TYPE_CHECKING:
    from mimo_lsp.agent.effects import RemoteNodes, TaskBrief, TaskControl, TaskEffects
    from mimo_lsp.agent.memory import MemoryStore
    from mimo_lsp.config import AgentSettings

REMOTE_ROLE = "ray-node"  # the journaled purpose of a node's result from a worker


class RemoteNodeMixin:
    """Mixed into the Orchestrator (which holds these), to keep each file small."""

    brief: TaskBrief
    fx: TaskEffects
    a: AgentSettings
    memory: MemoryStore
    control: TaskControl
    remote: RemoteNodes | None
    executor_model: Any
    histories: dict[str, NodeHistory]
    _lane: threading.local
    _said_where: bool
    _count: Callable[..., None]
    verify_node: Callable[[PlanNode, int], tuple[bool, str]]
    _node_memory: Callable[[PlanNode], str]
    _node_candidates: Callable[..., str | None]

    def _group_goes_remote(self, group: list[PlanNode]) -> bool:
        """Whether this group's (live) nodes go to workers; why not is said once per task."""
        if self.remote is None:
            return False
        why = self.remote.prepare()
        if not self._said_where:
            self._said_where = True
            self.fx.emit(NodeEvent(task_id="", node_id=group[0].id, status="running",
                                   detail=f"nodes running together: {'in process: ' + why if why else self.remote.where}"))
        return why is None

    def _goes_remote(self, group_remote: bool) -> bool:
        """A resumed lane takes the path its first run took; a live one the group's."""
        recorded = getattr(self.executor_model, "next_recorded_role", lambda: None)()
        return group_remote if recorded is None else recorded == REMOTE_ROLE

    def _remote_node(self, node: PlanNode, sched: Scheduler, seed: list[str]) -> tuple[bool, str] | None:
        """The node on a worker, applied and checked here; None: run it in this process (`seed` then holds
        what the worker's attempts taught)."""
        hist = self.histories.setdefault(node.id, NodeHistory(node.id, node.title))
        memory = self._node_memory(node)
        plan = plan_lines(sched.nodes, sched.status)
        attempt = Attempt(self.brief.goal, plan, node, self.brief.criteria_text, 1, [], memory)
        where = self.remote.where if self.remote is not None else "a Ray worker"
        self.fx.emit(NodeEvent(task_id="", node_id=node.id, status="running", detail=f"on {where}"))
        steps_left = self.a.max_task_steps - self.fx.steps()
        remote = self.remote
        res: dict[str, Any] = self.executor_model.remote_call(REMOTE_ROLE, lambda: remote.run(  # type: ignore[union-attr]
            attempt, self.a.node_retries + 1, steps_left, self.control.cancel))
        self._count("remote_nodes")
        self._count("remote_steps", int(res.get("steps", 0)))
        tried = int(res.get("attempts", 0))
        self._count("retries", max(0, tried - 1))
        self._count("failed_attempts", tried - (1 if res.get("ok") else 0))
        for line in res.get("failures", []):
            seed.append(line)
            hist.failures.append(line)
            self.memory.add("failure", f"{node.title}: {line[:500]}", self.brief.task_id, node.id)
        here = self._here(node)
        if res.get("asked") and not res.get("ok"):
            return here(f"it needs the user's confirmation ({'; '.join(res['asked'][:3])})")
        if res.get("kind") == "worker":  # the cluster, the worker or its model server: not the node's doing
            return here(f"the worker failed: {res.get('detail', '')}")
        if not res.get("ok"):
            if res.get("kind") != "task_budget" and not self.control.cancel.is_set():
                picked = self._node_candidates(node, plan, memory, hist, seed)
                if picked is not None:
                    return True, picked
            hist.outcome = f"failed: {seed[-1] if seed else ''}"
            return False, " || ".join(seed)
        start = self.fx.last_checkpoint()
        if res.get("changes"):
            applied = self.fx.act(node.id, self.fx.next_step(), ApplyFiles(
                tool="apply_files", files=res["changes"], base=res.get("base", {})),
                f"apply what this node made on {res.get('where') or 'a Ray worker'}: {res.get('detail', '')}"[:600])
            if not applied.ok:
                seed.append(f"made on a Ray worker, but not applied: {applied.output}")
                return here(f"its result could not be applied: {applied.output[:200]}")
        self._lane.rejections = []
        ok, evidence = self.verify_node(node, self.fx.next_step())
        hist.rejected_checks += self._lane.rejections
        if ok:
            hist.outcome = f"done: {res.get('detail', '')}"
            return True, f"{res.get('detail', '')} (made on a Ray worker)"
        seed.append(f"made on a Ray worker, but its checks fail after the apply here:\n{evidence[:1500]}"
                    + self.fx.rollback(start, node.id))
        return here("its checks fail here after the apply")

    def _here(self, node: PlanNode) -> Callable[[str], None]:
        def say(why: str) -> None:
            self.fx.emit(NodeEvent(task_id="", node_id=node.id, status="running",
                                   detail=f"running in this process instead: {why}"))
        return say
