"""The long-horizon loop of a task: plan, schedule, run nodes with rollback-and-retry, replan, verify the
goal before claiming success, and distill lessons at the end.

Every decision that depends on the outside world (a model reply, a tool result, a check result) is
journaled, so a resumed task walks this same code over recorded answers and arrives where it stopped.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from mimo_lsp.agent.effects import RemoteNodes, TaskBrief, TaskControl, TaskEffects
from mimo_lsp.agent.events import NodeEvent, Outcome, PlanEvent
from mimo_lsp.agent.executor import Attempt, NodeOutcome, NodeRunner, TaskCancelled
from mimo_lsp.agent.function_attempt import FunctionNodes
from mimo_lsp.agent.goal import CheckResult, judge, summarize_results
from mimo_lsp.agent.lessons import NodeHistory, distill, store_lessons
from mimo_lsp.agent.memory import MemoryStore
from mimo_lsp.agent.plan import PLAN_NODE_CAP, Plan, PlanNode, plan_lines
from mimo_lsp.agent.planner import PLAN_TOKENS, make_plan, replan
from mimo_lsp.agent.remote_nodes import RemoteNodeMixin
from mimo_lsp.agent.replay import set_lane
from mimo_lsp.agent.scheduler import Scheduler
from mimo_lsp.agent.tokens import TokenBatcher
from mimo_lsp.config import Settings
from mimo_lsp.llm.port import ChatModel, ModelError
from mimo_lsp.tools.actions import ToolContext

log = logging.getLogger(__name__)


class Orchestrator(RemoteNodeMixin):
    """Depends on the task only through `TaskEffects` (what it may do) and `TaskBrief` (what it is)."""

    def __init__(self, brief: TaskBrief, effects: TaskEffects, models: Mapping[str, ChatModel], settings: Settings,
                 memory: MemoryStore, tokens: TokenBatcher, tools: ToolContext, control: TaskControl,
                 remote: RemoteNodes | None = None) -> None:
        """`remote`: where nodes that run at the same time go instead of this process's threads (Ray)."""
        self.brief, self.fx, self.memory, self.tokens, self.control = brief, effects, memory, tokens, control
        self.settings = settings
        self.a = settings.agent
        self.plan: Plan | None = None
        self.histories: dict[str, NodeHistory] = {}
        self.goal_rejections: list[str] = []
        self.stats: dict[str, int] = {"replans": 0, "node_replans": 0, "retries": 0, "node_rejections": 0, "goal_rejections": 0,
                                      "failed_attempts": 0, "lessons": 0}
        self.planner_model, self.executor_model = models["planner"], models["executor"]
        self.judge_model, self.summarizer_model = models["judge"], models.get("summarizer")
        self.runner = NodeRunner(self.executor_model, tools, effects.act, self.verify_node, self.progress,
                                 tokens, self.a.max_steps_per_node, self.a.max_structured_retries,
                                 settings.model.max_tokens, settings.model.n_ctx,
                                 steps_left=lambda: self.a.max_task_steps - effects.steps(), pause=control.pause,
                                 summary_every=self.a.summary_every, next_step=effects.next_step)
        self._lane = threading.local()  # per node thread: its token stream, runner and rejected checks
        self._stats_lock = threading.Lock()
        # Nodes run together only when the executor's backend serves concurrent requests.
        self.width = self.a.max_parallel_nodes if getattr(self.executor_model, "concurrent_calls", False) else 1
        self.remote, self._said_where = remote, False
        self.function_nodes = FunctionNodes(effects, self.executor_model, self.verify_node, control.cancel, control.pause,
                                            self.a.node_format, settings.max.temperature, settings.max.repeat_penalty,
                                            settings.model.max_tokens, self.a.max_task_steps)

    # -- the whole task ----------------------------------------------------------------------
    def run(self) -> tuple[Outcome, str, dict[str, Any] | None]:
        try:
            sched = Scheduler(self._plan(), self.a.max_plan_nodes)
        except ModelError as exc:
            return "failed", f"planning failed: {exc}", None
        self._announce(sched, 1)
        rounds, check = 0, None
        while True:
            self._run_nodes(sched)
            if self.control.cancel.is_set():
                raise TaskCancelled()
            if self.brief.criteria.empty():
                break
            results = self.verify_goal()
            check = self._check_dict(results)
            if check["passed"] or rounds >= self.a.goal_rounds or self.fx.steps() >= self.a.max_task_steps:
                break
            rounds += 1
            failing = summarize_results([r for r in results if not r.passed])
            self.goal_rejections.append(failing.splitlines()[0] if failing else "criteria failed")
            self.stats["goal_rejections"] += 1
            self.memory.add("failure", f"completion criteria failed after all nodes: {failing[:400]}", self.brief.task_id)
            if not self._replan(sched, "All planned nodes are done but the completion criteria FAIL, so the task "
                                f"may not stop yet:\n{failing}\nPlan the repair nodes.", rounds + 1, goal_round=True):
                break
        self._distill()
        failed = sched.failed()
        note = "; ".join(f"{k}: {v}" for k, v in failed.items())
        if check is not None:
            if check["passed"]:
                extra = f" (although {len(failed)} node(s) failed: {note})" if failed else ""
                return "verified", f"completion criteria passed: {self.brief.criteria_text}{extra}", check
            return "failed", f"completion criteria failed: {self._first_failure(check)}", check
        if failed:
            return "failed", f"{len(failed)} node(s) failed: {note}", None
        return "unverified", "all nodes finished; no completion criteria were given", None

    def _plan(self) -> Plan:
        self.tokens.purpose = "plan"
        try:
            return make_plan(self.planner_model, self.brief.goal, self.fx.context(self._context_budget()), self.brief.criteria_text,
                             attempts=self.a.max_plan_attempts, max_nodes=self.a.max_plan_nodes, on_token=self.tokens,
                             memory=self.memory.context(self.brief.goal, self.a.memory_tokens, ("lesson", "outcome", "fact")),
                             max_tokens=self._plan_tokens())
        finally:
            self.tokens.flush()

    def _context_budget(self) -> int:
        """Workspace context for the planner: at most a quarter of the model's context window."""
        return max(128, min(600, self.settings.model.n_ctx // 4))

    def _plan_tokens(self) -> int:
        return min(PLAN_TOKENS, self.settings.model.n_ctx // 2)

    def _announce(self, sched: Scheduler, attempt: int) -> None:
        self.plan = Plan(nodes=sched.nodes)
        self.fx.record_plan(self.plan, attempt)
        nodes = [dict(n.model_dump(), status=sched.status[n.id]) for n in sched.nodes]
        self.fx.emit(PlanEvent(task_id="", nodes=nodes, attempt=attempt))

    def _replan(self, sched: Scheduler, failure: str, attempt: int, goal_round: bool = False) -> bool:
        """`goal_round`: repair nodes for failing completion criteria, bounded by `goal_rounds` (the caller)
        and not by `max_replans`, which bounds replans after failed nodes: a task whose nodes used up their
        replans still gets the goal rounds the settings promise."""
        if self.control.cancel.is_set() or (not goal_round and self.stats["node_replans"] >= self.a.max_replans):
            return False
        # The cap is on the whole plan (done nodes + the revision), which is what `_announce` records.
        room = min(self.a.max_plan_nodes, PLAN_NODE_CAP) - len(sched.done_nodes())
        if room < 1:
            log.warning("task %s: no replan: the plan already holds %d done nodes (max_plan_nodes)",
                        self.brief.task_id, len(sched.done_nodes()))
            self.memory.add("failure", "replanning impossible: the plan is full of done nodes", self.brief.task_id)
            return False
        self.stats["replans"] += 1
        if not goal_round:
            self.stats["node_replans"] += 1
        self.tokens.purpose = "replan"
        try:
            revised = replan(self.planner_model, self.brief.goal, sched.done_nodes(), sched.remaining(), failure,
                             self.fx.context(self._context_budget()), attempts=self.a.max_plan_attempts,
                             max_nodes=room, on_token=self.tokens, max_tokens=self._plan_tokens())
            sched.replace_remaining(revised, room)
        except ModelError as exc:  # the task goes on without a revised plan; say why
            log.warning("task %s: replan %d failed: %s", self.brief.task_id, self.stats["replans"], exc)
            self.memory.add("failure", f"replanning failed: {exc}"[:500], self.brief.task_id)
            return False
        finally:
            self.tokens.flush()
        self._announce(sched, attempt)
        return True

    # -- nodes -------------------------------------------------------------------------------
    def _run_nodes(self, sched: Scheduler) -> None:
        while group := sched.ready_group(self.width):
            if self.control.cancel.is_set():
                raise TaskCancelled()
            for node in group:
                self.fx.emit(NodeEvent(task_id="", node_id=node.id, status="running", detail=node.title))
            results = [self._run_node(group[0], sched)] if len(group) == 1 else self._run_group(group, sched)
            failed: list[str] = []
            for node, (ok, detail) in zip(group, results):
                if ok:
                    sched.mark(node.id, "done", detail)
                    self.memory.add("outcome", f"{node.title}: {detail}", self.brief.task_id, node.id)
                    self.fx.emit(NodeEvent(task_id="", node_id=node.id, status="done", detail=detail))
                    continue
                self.fx.emit(NodeEvent(task_id="", node_id=node.id, status="failed", detail=detail))
                sched.mark(node.id, "failed", detail)
                failed.append(f"Node {node.id} '{node.title}' failed after {self.a.node_retries + 1} attempt(s):\n"
                              f"{detail}")
            if not failed:
                continue
            if self.control.cancel.is_set():
                raise TaskCancelled()
            if self.fx.steps() < self.a.max_task_steps and self._replan(sched, "\n".join(failed),
                                                                        self.stats["replans"] + 2):
                continue
            for skipped in sched.skip_blocked():
                self.fx.emit(NodeEvent(task_id="", node_id=skipped.id, status="skipped", detail=sched.detail[skipped.id]))

    def _run_group(self, group: list[PlanNode], sched: Scheduler) -> list[tuple[bool, str]]:
        """Nodes whose files cannot overlap, at the same time: each in its own thread and lane (its model
        calls and actions are journaled under its id, so resume serves each lane its own record). Their
        checkpointed effects still go through the task one at a time. Returns when all are over. With
        `remote`, each node is made on a worker instead and applied here (remote_nodes.py)."""
        group_remote = self._group_goes_remote(group)

        def lane(node: PlanNode) -> tuple[bool, str]:
            set_lane(node.id)
            tokens = TokenBatcher(self.fx.emit, self.control.cancel)
            self._lane.tokens, self._lane.runner = tokens, dataclasses.replace(self.runner, on_token=tokens)
            seed: list[str] = []
            try:
                if self._goes_remote(group_remote):
                    done = self._remote_node(node, sched, seed)
                    if done is not None:
                        return done
                return self._run_node(node, sched, seed)
            finally:
                tokens.flush()
                set_lane("")

        with ThreadPoolExecutor(len(group), thread_name_prefix=f"mimo-{self.brief.task_id}-node") as pool:
            futures = [pool.submit(lane, node) for node in group]
            errors = [f.exception() for f in futures]
        cancelled = next((e for e in errors if isinstance(e, TaskCancelled)), None)
        if cancelled is not None:
            raise cancelled
        for error in errors:
            if error is not None:
                raise error
        return [f.result() for f in futures]

    def _count(self, key: str, n: int = 1) -> None:
        with self._stats_lock:
            self.stats[key] = self.stats.get(key, 0) + n

    def _node_memory(self, node: PlanNode) -> str:
        return self.memory.context(f"{node.title} {node.expected_output}", self.a.memory_tokens,
                                   ("lesson", "outcome", "fact", "failure"))

    def _run_node(self, node: PlanNode, sched: Scheduler, seed: list[str] | None = None) -> tuple[bool, str]:
        """`seed`: what earlier tries elsewhere (a Ray worker) taught, as failures the attempts see."""
        hist = self.histories.setdefault(node.id, NodeHistory(node.id, node.title))
        failures: list[str] = list(seed or [])
        memory = self._node_memory(node)
        plan = plan_lines(sched.nodes, sched.status)
        for number in range(1, self.a.node_retries + 2):
            out = self._attempt(Attempt(self.brief.goal, plan, node, self.brief.criteria_text, number, failures,
                                        memory), hist, failures)
            if out.ok:
                return True, out.detail
            if out.kind == "task_budget" or self.control.cancel.is_set() or number > self.a.node_retries:
                break
            self._count("retries")
            self.fx.emit(NodeEvent(task_id="", node_id=node.id, status="running",
                             detail=f"attempt {number} failed ({out.kind}); rolled back, retrying differently"))
        if out.kind != "task_budget" and not self.control.cancel.is_set():
            picked = self._node_candidates(node, plan, memory, hist, failures)
            if picked is not None:
                return True, picked
        hist.outcome = f"failed: {failures[-1] if failures else ''}"
        return False, " || ".join(failures)

    def _attempt(self, attempt: Attempt, hist: NodeHistory, failures: list[str]) -> NodeOutcome:
        """One try of a node from the current checkpoint; a failed one is rolled back and summarised into
        `failures` (and the memory)."""
        node = attempt.node
        tokens = getattr(self._lane, "tokens", self.tokens)
        tokens.purpose = f"node:{node.id}"
        start = self.fx.last_checkpoint()
        self._lane.rejections = []
        # A small executor model gets the function format where the node changes one file (function_attempt.py).
        rel = self.function_nodes.target(node)
        out = self.function_nodes.run(attempt, rel, tokens) if rel is not None else None
        if out is None:
            out = getattr(self._lane, "runner", self.runner).run(attempt, self.fx.steps())
        tokens.flush()
        hist.rejected_checks += self._lane.rejections
        self._count("node_rejections", out.rejections)
        if out.ok:
            hist.outcome = f"done: {out.detail}"
            return out
        self._count("failed_attempts")
        line = f"attempt {attempt.number} ({out.kind}): {out.detail}"
        if out.trail:
            line += " | last steps: " + " / ".join(out.trail[-3:])
        line += self.fx.rollback(start, node.id)
        failures.append(line)
        hist.failures.append(f"{out.kind}: {out.detail}")
        self.memory.add("failure", f"{node.title}: {line[:500]}", self.brief.task_id, node.id)
        return out

    def _node_candidates(self, node: PlanNode, plan: str, memory: str, hist: NodeHistory,
                         failures: list[str]) -> str | None:
        """Max Mode for one node (`max.node_n`): independent candidates, sampled at `max.temperature`, each
        from the node's start checkpoint with the same summary of the failed retries (not of each other);
        the node's checks pick the first that passes. Candidates run here one after another on the real
        tree, journaled and rolled back like any attempt, so a resumed task replays them exactly."""
        n = self.settings.max.node_n
        seen = list(failures)
        first = self.a.node_retries + 2
        for k in range(1, n + 1):
            if self.control.cancel.is_set() or self.fx.steps() >= self.a.max_task_steps:
                return None
            self._count("node_candidates")
            self.fx.emit(NodeEvent(task_id="", node_id=node.id, status="running",
                                   detail=f"candidate {k} of {n} (temperature {self.settings.max.temperature})"))
            out = self._attempt(Attempt(self.brief.goal, plan, node, self.brief.criteria_text, first + k - 1,
                                        list(seen), memory, self.settings.max.temperature), hist, failures)
            if out.ok:
                self._count("node_candidates_passed")
                return f"candidate {k} of {n}: {out.detail}"
            if out.kind == "task_budget":
                return None
        return None

    def progress(self, node: PlanNode, trail: list[str]) -> str:
        """Compressed progress of the attempt so far, written to the persistent memory every few steps."""
        ok = sum(1 for line in trail if line.endswith("-> ok") or "-> ok" in line)
        text = (f"[{node.id}] {len(trail)} steps ({ok} ok, {len(trail) - ok} failed); recent: "
                + " / ".join(line.split(": ", 1)[-1][:100] for line in trail[-3:]))
        if self.summarizer_model is not None:
            from mimo_lsp.llm.port import ChatMessage

            try:
                reply = self.summarizer_model.complete(
                    [ChatMessage(role="system", content="Summarize the agent's progress in two short sentences."),
                     ChatMessage(role="user", content=f"Sub-task: {node.title}\nSteps:\n" + "\n".join(trail[-10:]))],
                    max_tokens=96, temperature=0.0)
                text = f"[{node.id}] {reply.text.strip()[:400]}" or text
            except ModelError as exc:  # the mechanical summary above stands in
                log.info("task %s: summarizer failed, mechanical summary kept: %s", self.brief.task_id, exc)
        self.memory.add("summary", text, self.brief.task_id, node.id)
        return text

    # -- checks ------------------------------------------------------------------------------
    def verify_node(self, node: PlanNode, step: int) -> tuple[bool, str]:
        if not node.checks:
            return True, ""
        results = self.fx.run_checks(node.id, step, node.checks, trusted=False)
        ok = all(r.passed for r in results)
        if not ok:
            self._lane.rejections.append(next(r.check for r in results if not r.passed))
        return ok, summarize_results(results)

    def verify_goal(self) -> list[CheckResult]:
        criteria, step = self.brief.criteria, self.fx.steps()
        results = self.fx.run_checks("goal", step, criteria.checks(), trusted=True) if criteria.checks() else []
        if criteria.criterion:
            evidence = summarize_results(results) + "\n\nChanges:\n" + self.fx.final_diff()[-2500:]
            results.append(self.fx.judged("goal", step, lambda: judge(self.judge_model, criteria.criterion or "",
                                                                      evidence, self.brief.goal)))
        self.fx.record_goal_check(results)
        return results

    @staticmethod
    def _check_dict(results: list[CheckResult]) -> dict[str, Any]:
        first = next((r for r in results if not r.passed), results[0] if results else None)
        return {"passed": all(r.passed for r in results), "command": first.check if first else None,
                "exit_code": first.exit_code if first else None, "output": first.evidence if first else "",
                "results": [r.model_dump() for r in results]}

    @staticmethod
    def _first_failure(check: dict[str, Any]) -> str:
        bad = [r for r in check["results"] if not r["passed"]]
        return bad[0]["check"] + (f" (exit {bad[0]['exit_code']})" if bad and bad[0]["exit_code"] is not None else "")

    def _distill(self) -> None:
        if not self.settings.memory.lessons or self.brief.replaying:
            return
        lessons = distill(self.brief.goal, list(self.histories.values()), self.goal_rejections)
        self.stats["lessons"] = len(store_lessons(self.memory, self.brief.task_id, lessons))
