"""The long-horizon loop of a task: plan, schedule, run nodes with rollback-and-retry, replan, verify the
goal before claiming success, and distill lessons at the end.

Every decision that depends on the outside world (a model reply, a tool result, a check result) is
journaled, so a resumed task walks this same code over recorded answers and arrives where it stopped.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from mimo_lsp.agent.events import NodeEvent, Outcome, PlanEvent
from mimo_lsp.agent.executor import Attempt, NodeOutcome, NodeRunner, TaskCancelled
from mimo_lsp.agent.goal import CheckResult, file_predicate, judge, summarize_results
from mimo_lsp.agent.lessons import NodeHistory, distill, store_lessons
from mimo_lsp.agent.plan import CheckSpec, Plan, PlanNode, plan_lines
from mimo_lsp.agent.planner import PLAN_TOKENS, make_plan, replan
from mimo_lsp.agent.scheduler import Scheduler
from mimo_lsp.llm.port import ModelError
from mimo_lsp.safety.audit import digest

if TYPE_CHECKING:
    from mimo_lsp.agent.task import AgentTask


class Orchestrator:
    def __init__(self, task: "AgentTask") -> None:
        self.t = task
        self.a = task.settings.agent
        self.histories: dict[str, NodeHistory] = {}
        self.goal_rejections: list[str] = []
        self.stats: dict[str, int] = {"replans": 0, "retries": 0, "node_rejections": 0, "goal_rejections": 0,
                                      "failed_attempts": 0, "lessons": 0}
        assert task.model is not None
        self.planner_model = task.model.for_role("planner")
        self.executor_model = task.model.for_role("executor")
        self.judge_model = task.model.for_role("judge")
        self.summarizer_model = task.model.for_role("summarizer") if "summarizer" in task.model.roles else None
        self.runner = NodeRunner(self.executor_model, task.tools, task.act, self.verify_node, self.progress,
                                 task.tokens, self.a.max_steps_per_node, self.a.max_structured_retries,
                                 task.settings.model.max_tokens, task.settings.model.n_ctx,
                                 steps_left=lambda: self.a.max_task_steps - task.steps, pause=task.pause_event,
                                 summary_every=self.a.summary_every)

    # -- the whole task ----------------------------------------------------------------------
    def run(self) -> tuple[Outcome, str, dict[str, Any] | None]:
        t = self.t
        try:
            sched = Scheduler(self._plan(), self.a.max_plan_nodes)
        except ModelError as exc:
            return "failed", f"planning failed: {exc}", None
        t.plan = Plan(nodes=sched.nodes)
        self._announce(sched, 1)
        rounds, check = 0, None
        while True:
            self._run_nodes(sched)
            if t.cancel_event.is_set():
                raise TaskCancelled()
            if t.criteria.empty():
                break
            results = self.verify_goal()
            check = self._check_dict(results)
            if check["passed"] or rounds >= self.a.goal_rounds or t.steps >= self.a.max_task_steps:
                break
            rounds += 1
            failing = summarize_results([r for r in results if not r.passed])
            self.goal_rejections.append(failing.splitlines()[0] if failing else "criteria failed")
            self.stats["goal_rejections"] += 1
            t.memory.add("failure", f"completion criteria failed after all nodes: {failing[:400]}", t.task_id)
            if not self._replan(sched, "All planned nodes are done but the completion criteria FAIL, so the task "
                                f"may not stop yet:\n{failing}\nPlan the repair nodes.", rounds + 1):
                break
        self._distill()
        failed = sched.failed()
        note = "; ".join(f"{k}: {v}" for k, v in failed.items())
        if check is not None:
            if check["passed"]:
                extra = f" (although {len(failed)} node(s) failed: {note})" if failed else ""
                return "verified", f"completion criteria passed: {t.criteria_text()}{extra}", check
            return "failed", f"completion criteria failed: {self._first_failure(check)}", check
        if failed:
            return "failed", f"{len(failed)} node(s) failed: {note}", None
        return "unverified", "all nodes finished; no completion criteria were given", None

    def _plan(self) -> Plan:
        t = self.t
        t.tokens.purpose = "plan"
        try:
            return make_plan(self.planner_model, t.goal, t.context(self._context_budget()), t.criteria_text(),
                             attempts=self.a.max_plan_attempts, max_nodes=self.a.max_plan_nodes, on_token=t.tokens,
                             memory=t.memory.context(t.goal, self.a.memory_tokens, ("lesson", "outcome", "fact")),
                             max_tokens=self._plan_tokens())
        finally:
            t.tokens.flush()

    def _context_budget(self) -> int:
        """Workspace context for the planner: at most a quarter of the model's context window."""
        return max(128, min(600, self.t.settings.model.n_ctx // 4))

    def _plan_tokens(self) -> int:
        return min(PLAN_TOKENS, self.t.settings.model.n_ctx // 2)

    def _announce(self, sched: Scheduler, attempt: int) -> None:
        t = self.t
        t.plan = Plan(nodes=sched.nodes)
        t.journal.update_task(t.task_id, plan_json=t.plan.model_dump_json())
        if not t.replay:
            t.audit.append("decision", "plan", {"attempt": attempt, "nodes": [n.model_dump() for n in sched.nodes]})
        nodes = [dict(n.model_dump(), status=sched.status[n.id]) for n in sched.nodes]
        t.emit(PlanEvent(task_id="", nodes=nodes, attempt=attempt))

    def _replan(self, sched: Scheduler, failure: str, attempt: int) -> bool:
        t = self.t
        if self.stats["replans"] >= self.a.max_replans or t.cancel_event.is_set():
            return False
        self.stats["replans"] += 1
        t.tokens.purpose = "replan"
        try:
            revised = replan(self.planner_model, t.goal, sched.done_nodes(), sched.remaining(), failure,
                             t.context(self._context_budget()), attempts=self.a.max_plan_attempts,
                             max_nodes=self.a.max_plan_nodes, on_token=t.tokens, max_tokens=self._plan_tokens())
            sched.replace_remaining(revised, self.a.max_plan_nodes)
        except ModelError:
            return False
        finally:
            t.tokens.flush()
        self._announce(sched, attempt)
        return True

    # -- nodes -------------------------------------------------------------------------------
    def _run_nodes(self, sched: Scheduler) -> None:
        t = self.t
        while (node := sched.next_ready()) is not None:
            if t.cancel_event.is_set():
                raise TaskCancelled()
            t.emit(NodeEvent(task_id="", node_id=node.id, status="running", detail=node.title))
            ok, detail = self._run_node(node, sched)
            if ok:
                sched.mark(node.id, "done", detail)
                t.memory.add("outcome", f"{node.title}: {detail}", t.task_id, node.id)
                t.emit(NodeEvent(task_id="", node_id=node.id, status="done", detail=detail))
                continue
            t.emit(NodeEvent(task_id="", node_id=node.id, status="failed", detail=detail))
            if t.cancel_event.is_set():
                raise TaskCancelled()
            sched.mark(node.id, "failed", detail)
            if t.steps < self.a.max_task_steps and self._replan(
                    sched, f"Node {node.id} '{node.title}' failed after {self.a.node_retries + 1} attempt(s):\n{detail}",
                    self.stats["replans"] + 2):
                continue
            for skipped in sched.skip_blocked():
                t.emit(NodeEvent(task_id="", node_id=skipped.id, status="skipped", detail=sched.detail[skipped.id]))

    def _run_node(self, node: PlanNode, sched: Scheduler) -> tuple[bool, str]:
        t = self.t
        hist = self.histories.setdefault(node.id, NodeHistory(node.id, node.title))
        failures: list[str] = []
        memory = t.memory.context(f"{node.title} {node.expected_output}", self.a.memory_tokens,
                                  ("lesson", "outcome", "fact", "failure"))
        plan = plan_lines(sched.nodes, sched.status)
        for number in range(1, self.a.node_retries + 2):
            t.tokens.purpose = f"node:{node.id}"
            start = t.last_action_id
            self._rejections = []
            out: NodeOutcome = self.runner.run(
                Attempt(t.goal, plan, node, t.criteria_text(), number, failures, memory), t.steps)
            t.tokens.flush()
            hist.rejected_checks += self._rejections
            self.stats["node_rejections"] += out.rejections
            if out.ok:
                hist.outcome = f"done: {out.detail}"
                return True, out.detail
            self.stats["failed_attempts"] += 1
            line = f"attempt {number} ({out.kind}): {out.detail}"
            if out.trail:
                line += " | last steps: " + " / ".join(out.trail[-3:])
            line += t._rollback_node(start, node.id)
            failures.append(line)
            hist.failures.append(f"{out.kind}: {out.detail}")
            t.memory.add("failure", f"{node.title}: {line[:500]}", t.task_id, node.id)
            if out.kind == "task_budget" or t.cancel_event.is_set() or number > self.a.node_retries:
                break
            self.stats["retries"] += 1
            t.emit(NodeEvent(task_id="", node_id=node.id, status="running",
                             detail=f"attempt {number} failed ({out.kind}); rolled back, retrying differently"))
        hist.outcome = f"failed: {failures[-1] if failures else ''}"
        return False, " || ".join(failures)

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
            except ModelError:
                pass
        self.t.memory.add("summary", text, self.t.task_id, node.id)
        return text

    # -- checks ------------------------------------------------------------------------------
    def verify_node(self, node: PlanNode, step: int) -> tuple[bool, str]:
        if not node.checks:
            return True, ""
        results = self.t.run_checks(node.id, step, node.checks, trusted=False)
        ok = all(r.passed for r in results)
        if not ok:
            self._rejections.append(next(r.check for r in results if not r.passed))
        return ok, summarize_results(results)

    def verify_goal(self) -> list[CheckResult]:
        t = self.t
        results = t.run_checks("goal", t.steps, t.criteria.checks(), trusted=True) if t.criteria.checks() else []
        if t.criteria.criterion:
            evidence = summarize_results(results) + "\n\nChanges:\n" + t.final_diff()[-2500:]
            results.append(t.judged("goal", t.steps, lambda: judge(self.judge_model, t.criteria.criterion or "",
                                                                  evidence, t.goal)))
        t.audit.append("outcome", "check", {"results": [r.model_dump(exclude={"evidence"}) for r in results],
                                            "evidence_digest": digest(summarize_results(results)),
                                            "sandbox": t.sandbox.profile().kind})
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
        t = self.t
        if not t.settings.memory.lessons or t.replay:
            return
        lessons = distill(t.goal, list(self.histories.values()), self.goal_rejections)
        self.stats["lessons"] = len(store_lessons(t.memory, t.task_id, lessons))


def parse_checks(observation: str) -> list[CheckResult]:
    return [CheckResult.model_validate(r) for r in json.loads(observation)]


def dump_checks(results: list[CheckResult]) -> str:
    return json.dumps([r.model_dump() for r in results])


__all__ = ["Orchestrator", "parse_checks", "dump_checks", "CheckSpec", "file_predicate"]
