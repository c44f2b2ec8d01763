"""Max Mode: instead of betting on one sample, N candidates are made in isolated scratch trees (greedy
first, then samples), each is checked there, the checks and then a judge at temperature 0 pick one, and
the pick is applied to the real tree as one checkpointed action, then the completion criteria are checked
there too. Candidates stop early once one passes every check (`first_pass`), unless `judge_all`; a round
in which none passes is followed by another (bounded by `max.rounds`).

With `[scale] ray_address` set (and usable: `fanout.py` says when it is not, and why), a round's candidates
run at once as Ray tasks; the choice, the apply and the verification stay here, unchanged.

Like the long-horizon orchestrator it depends on the task only through `TaskEffects` and `TaskBrief`.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable

from mimo_lsp.agent.effects import TaskBrief, TaskControl, TaskEffects
from mimo_lsp.agent.events import CandidateEvent, NodeEvent, Outcome, PickEvent, PlanEvent
from mimo_lsp.agent.executor import TaskCancelled
from mimo_lsp.agent.goal import summarize_results
from mimo_lsp.agent.plan import Plan, PlanNode
from mimo_lsp.agent.tokens import TokenBatcher
from mimo_lsp.config import Settings
from mimo_lsp.llm.port import ChatModel
from mimo_lsp.maxmode.candidates import Candidate, FunctionCandidates, build_candidate
from mimo_lsp.maxmode.scratch import ScratchTree
from mimo_lsp.maxmode.select import choose, convergence
from mimo_lsp.tools.actions import ApplyFiles

log = logging.getLogger(__name__)
NODE = "max"
# (scratch root, temperature) -> summary, tokens: one whole agent run in a scratch tree (agent format)
AgentCandidate = Callable[[Path, float], tuple[str, int]]
# (command, tree) -> {"passed", "exit_code", "output"}: a check run sandboxed in that tree
RunCommand = Callable[[str, Path], dict[str, Any]]


class MaxModeOrchestrator:
    def __init__(self, brief: TaskBrief, effects: TaskEffects, models: Mapping[str, ChatModel], settings: Settings,
                 tokens: TokenBatcher, control: TaskControl, workspace: Path, fmt: str, run_command: RunCommand,
                 agent_candidate: AgentCandidate | None = None) -> None:
        self.brief, self.fx, self.models, self.settings = brief, effects, models, settings
        self.tokens, self.control, self.workspace, self.fmt = tokens, control, workspace, fmt
        self.run_command, self.agent_candidate = run_command, agent_candidate
        self.m = settings.max
        self.plan: Plan | None = None
        self.candidates: list[Candidate] = []
        self.pick: Candidate | None = None
        self.stats: dict[str, int] = {"candidates": 0, "rounds": 0, "judged": 0}
        self.report: dict[str, Any] = {}
        self.bases: dict[str, str] = {}  # rel -> sha256 of the content the first candidate started from
        # A resumed task remakes its candidates from the journal's replies: they start from the files as the
        # first run's candidates saw them (before the pick was applied), or the apply would not match its record.
        self.start_files: dict[str, bytes | None] = effects.files_at_start() if brief.replaying else {}
        self.fanout: Any = None  # a RayFanout when [scale] ray_address is set and usable (maxmode/fanout.py)
        self.dispatch = "in process"

    def run(self) -> tuple[Outcome, str, dict[str, Any] | None]:
        n = max(1, self.m.n)
        node = PlanNode(id=NODE, title=f"Max Mode: up to {n * self.m.rounds} candidates ({self.fmt})",
                        expected_output="the best checked candidate applied", depends_on=[])
        self.plan = Plan(nodes=[node])
        self.fx.record_plan(self.plan, 1)
        self.fx.emit(PlanEvent(task_id="", nodes=[dict(node.model_dump(), status="pending")], attempt=1))
        self.fx.emit(NodeEvent(task_id="", node_id=NODE, status="running", detail=node.title))
        maker = FunctionCandidates(self.models["executor"], self.brief.goal, self.workspace,
                                   self.settings.model.max_tokens, self.control.cancel, self.tokens)
        if self.settings.scale.ray_address:
            from mimo_lsp.maxmode.fanout import open_fanout

            self.fanout, self.dispatch = open_fanout(self.settings, self.fmt, self.brief, self.workspace)
            self.fx.emit(NodeEvent(task_id="", node_id=NODE, status="running", detail=f"candidates: {self.dispatch}"))
            if self.fanout is not None:
                self.bases = dict(self.fanout.bases)
        for rnd in range(1, self.m.rounds + 1):
            self.stats["rounds"] = rnd
            if self.fanout is not None:
                self._remote_round(rnd, n, maker.rel)
            else:
                self._round(rnd, n, maker)
            if any(c.checks_passed for c in self.candidates):
                break
        self.pick, reason, judged = choose(self.candidates, self.models.get("judge"), self.brief.goal)
        self.stats["judged"] = int(judged)
        conv = convergence(self.candidates, self.pick)
        self.report = {"candidates": [c.public() for c in self.candidates],
                       "picked": self.pick.id if self.pick else None, "convergence": conv, "judged": judged,
                       "reason": reason, "rounds": self.stats["rounds"], "format": self.fmt,
                       "dispatch": self.dispatch}
        if self.fanout is not None and self.fanout.discarded:
            self.report["discarded"] = [c.public() for c in self.fanout.discarded]
        self.fx.emit(PickEvent(task_id="", candidate_id=self.pick.id if self.pick else None, reason=reason,
                               convergence=conv, judged=judged,
                               candidates=[{k: v for k, v in c.public().items() if k != "diff"}
                                           for c in self.candidates]))
        if self.pick is None:
            self.fx.emit(NodeEvent(task_id="", node_id=NODE, status="failed", detail=reason))
            return "failed", f"Max Mode: {reason}", None
        failure = self._apply(self.pick, reason)
        if failure:
            self.fx.emit(NodeEvent(task_id="", node_id=NODE, status="failed", detail=failure))
            return "failed", failure, None
        if self.control.cancel.is_set():  # stopped after the apply: resume checks the criteria
            raise TaskCancelled()
        return self._verify()

    def _new(self, rnd: int, i: int, first_id: int) -> Candidate:
        temperature = 0.0 if rnd == 1 and i == 0 else self.m.temperature + 0.1 * (rnd - 1)
        cand = Candidate(id=first_id + i, round=rnd, temperature=round(temperature, 2))
        self.stats["candidates"] += 1
        where = "" if self.fanout is None else ", on Ray"
        self.fx.emit(CandidateEvent(task_id="", candidate_id=cand.id, status="started",
                                    detail=f"round {rnd}, temperature {cand.temperature}{where}"))
        return cand

    def _remote_round(self, rnd: int, n: int, target: str | None) -> None:
        """The round's candidates at once on the Ray cluster; then reported in id order as in process."""
        if self.control.cancel.is_set():
            raise TaskCancelled()
        first = len(self.candidates) + len(self.fanout.discarded) + 1
        cands = [self._new(rnd, i, first) for i in range(n)]
        kept = self.fanout.round(cands, target, self.control, getattr(self.models["executor"], "record_remote", None))
        self.candidates += kept
        for cand in cands:
            if cand.checks and cand in kept:
                self._checked(cand)
            self.fx.emit(CandidateEvent(task_id="", candidate_id=cand.id, status="done", outcome=cand.outcome,
                                        checks_passed=cand.checks_passed, tokens=cand.tokens, diff=cand.diff,
                                        detail=cand.summary))

    def _round(self, rnd: int, n: int, maker: FunctionCandidates) -> None:
        first = len(self.candidates) + 1
        for i in range(n):
            if self.control.cancel.is_set():
                raise TaskCancelled()
            cand = self._new(rnd, i, first)
            self.candidates.append(cand)
            tree = ScratchTree(self.workspace, overrides=self.start_files)
            for rel, data in tree.files.items():  # what each candidate started from
                self.bases.setdefault(rel, hashlib.sha256(data).hexdigest())
            try:
                self.tokens.purpose = f"candidate:{cand.id}"
                t0 = time.perf_counter()
                self._make(cand, tree, maker)
                cand.seconds = time.perf_counter() - t0
                self.tokens.flush()
            finally:
                tree.remove()
            self.fx.emit(CandidateEvent(task_id="", candidate_id=cand.id, status="done", outcome=cand.outcome,
                                        checks_passed=cand.checks_passed, tokens=cand.tokens, diff=cand.diff,
                                        detail=cand.summary))
            if cand.checks_passed and self.m.selection == "first_pass":
                return

    def _make(self, cand: Candidate, tree: ScratchTree, maker: FunctionCandidates) -> None:
        def make(c: Candidate, t: ScratchTree) -> None:
            if self.fmt == "agent" and self.agent_candidate is not None:
                c.summary, c.tokens = self.agent_candidate(t.root, c.temperature)
            else:
                maker.make(c, t)

        if build_candidate(cand, tree, make, self.brief.criteria, self.run_command):
            self._checked(cand)

    def _checked(self, cand: Candidate) -> None:
        self.fx.emit(CandidateEvent(task_id="", candidate_id=cand.id, status="checks", checks_passed=cand.checks_passed,
                                    detail=summarize_results(cand.checks)[:500]))

    def _apply(self, pick: Candidate, reason: str) -> str | None:
        """The pick, applied to the real tree as one checkpointed action (restorable like any other).
        Returns why it could not be applied (a policy refusal, an unsaved buffer, a changed file), or None."""
        files = {rel: (None if data is None else data.decode("utf-8", "replace")) for rel, data in pick.changes.items()}
        base = {rel: self.bases.get(rel) for rel in files}
        result = self.fx.act(NODE, self.fx.steps() + 1, ApplyFiles(tool="apply_files", files=files, base=base,
                                                                   candidate=pick.id),
                             f"apply candidate {pick.id}: {reason}")
        return None if result.ok else f"could not apply candidate {pick.id}: {result.output}"

    def _verify(self) -> tuple[Outcome, str, dict[str, Any] | None]:
        criteria = self.brief.criteria
        pick = self.pick
        assert pick is not None
        note = f"candidate {pick.id} of {len(self.candidates)} (convergence {self.report['convergence']})"
        if not criteria.checks():
            self.fx.emit(NodeEvent(task_id="", node_id=NODE, status="done", detail=note))
            return "unverified", f"Max Mode applied {note}; no completion criteria were given", None
        results = self.fx.run_checks("goal", self.fx.steps(), criteria.checks(), trusted=True)
        self.fx.record_goal_check(results)
        first = next((r for r in results if not r.passed), results[0])
        check = {"passed": all(r.passed for r in results), "command": first.check, "exit_code": first.exit_code,
                 "output": first.evidence, "results": [r.model_dump() for r in results]}
        if check["passed"]:
            self.fx.emit(NodeEvent(task_id="", node_id=NODE, status="done", detail=note))
            return "verified", f"completion criteria passed with Max Mode {note}: {self.brief.criteria_text}", check
        self.fx.emit(NodeEvent(task_id="", node_id=NODE, status="failed", detail=f"{note}; criteria fail"))
        return "failed", f"completion criteria failed after Max Mode applied {note}: {first.check}", check

