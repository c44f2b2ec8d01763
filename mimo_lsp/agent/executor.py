"""Executor: runs one plan node as a ReAct tool loop, checkpointing after every action.

The node's contract is enforced here: writes outside its allowed files are refused, `finish` is
accepted only when the node's checks pass (a premature finish is rejected with the failing check as
the observation), the step budget is bounded, and loops (the same action and observation again and
again) end the attempt. Every `summary_every` steps a progress summary goes to the persistent memory
and into the re-sent head of the window.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from mimo_lsp.agent.plan import PlanNode
from mimo_lsp.agent.prompts import example_path, executor_system, node_prompt
from mimo_lsp.agent.window import Turn, build_window
from mimo_lsp.llm.port import ChatMessage, ChatModel, ModelError, TokenCallback
from mimo_lsp.llm.structured import complete_structured
from mimo_lsp.tools.actions import AgentStep, ToolContext, ToolResult
from mimo_lsp.tools.registry import write_targets

RECENT_TURNS = 4
LOOP_REPEATS = 3
LOOP_WINDOW = 8


class TaskCancelled(Exception):
    pass


@dataclass
class NodeOutcome:
    ok: bool
    detail: str
    steps: int
    kind: str = "ok"  # ok | checks | budget | task_budget | loop | error
    rejections: int = 0  # premature finishes rejected by the node's checks
    trail: list[str] = field(default_factory=list)  # one line per step: what this attempt did


@dataclass
class Attempt:
    """What the runner needs to know about this try of the node."""

    goal: str
    plan: str
    node: PlanNode
    criteria: str | None
    number: int = 1
    failures: list[str] = field(default_factory=list)
    memory: str = ""
    temperature: float | None = None  # None: the model's own setting


# act(node_id, step, action, thought, preset) -> result. `preset` (a refusal or a rejected finish) is
# journaled as the action's result without running the tool.
ActFn = Callable[[str, int, Any, str, "ToolResult | None"], ToolResult]
VerifyFn = Callable[[PlanNode, int], "tuple[bool, str]"]
ProgressFn = Callable[[PlanNode, list[str]], str]


@dataclass
class NodeRunner:
    model: ChatModel
    tools: ToolContext
    act: ActFn
    verify: VerifyFn
    progress: ProgressFn
    on_token: TokenCallback
    max_steps: int
    structured_retries: int
    max_tokens: int
    n_ctx: int
    steps_left: Callable[[], int]
    pause: threading.Event | None = None  # set = paused
    summary_every: int = 5
    next_step: Callable[[], int] | None = None  # step numbers from the task (lanes); else step0 + i

    def run(self, attempt: Attempt, step0: int) -> NodeOutcome:
        node = attempt.node
        budget = node.max_steps or self.max_steps
        turns: list[Turn] = []
        trail: list[str] = []
        keys: list[str] = []
        progress = ""
        rejections = 0
        system = executor_system(example_path(" ".join(node.files), node.title, attempt.goal))
        for i in range(1, budget + 1):
            self._wait_if_paused()
            if self.tools.cancel.is_set():
                raise TaskCancelled()
            if self.steps_left() <= 0:
                return NodeOutcome(False, "the task's step budget is exhausted", i - 1, "task_budget", rejections, trail)
            head = [ChatMessage(role="system", content=system),
                    ChatMessage(role="user", content=node_prompt(
                        attempt.goal, attempt.plan, node, attempt.criteria, attempt=attempt.number,
                        failures=attempt.failures, memory=attempt.memory, progress=progress, budget=budget))]
            messages, _ = build_window(head, turns, self._fits, RECENT_TURNS)
            try:
                step = complete_structured(self.model, messages, AgentStep, retries=self.structured_retries,
                                           max_tokens=self.max_tokens, temperature=attempt.temperature,
                                           on_token=self.on_token)
            except ModelError as exc:
                return NodeOutcome(False, f"model error: {exc}", i - 1, "error", rejections, trail)
            action = step.action
            args = action.model_dump(exclude={"tool"})
            n = self.next_step() if self.next_step is not None else step0 + i
            preset = self._refusal(node, action)
            if action.tool == "finish" and preset is None:
                ok, evidence = self.verify(node, n)
                if not ok:
                    rejections += 1
                    preset = ToolResult(ok=False, output=f"finish rejected: the sub-task's checks fail.\n{evidence}")
            result = self.act(node.id, n, action, step.thought, preset)
            status = "ok" if result.ok else "FAILED"
            line = f"step {n}: {action.tool} {json.dumps(args)[:120]} -> {status}"
            trail.append(line + ("" if result.ok else f" ({result.output.splitlines()[0][:160] if result.output else ''})"))
            if action.tool == "finish" and result.ok:
                return NodeOutcome(True, action.summary, i, "ok", rejections, trail)
            keys.append(json.dumps([action.tool, args, result.output], sort_keys=True))
            if self._looping(keys):
                return NodeOutcome(False, f"loop: the same {action.tool} action and result came back "
                                   f"{LOOP_REPEATS} times", i, "loop", rejections, trail)
            turns.append(Turn(step.model_dump_json(), f"Observation ({status}):\n{result.output}", line))
            if i % self.summary_every == 0:
                progress = self.progress(node, trail)
        if rejections:
            return NodeOutcome(False, f"checks still failing when the step budget of {budget} ran out", budget,
                               "checks", rejections, trail)
        return NodeOutcome(False, f"step budget of {budget} exhausted", budget, "budget", rejections, trail)

    @staticmethod
    def _looping(keys: list[str]) -> bool:
        last = keys[-LOOP_REPEATS:]
        if len(last) == LOOP_REPEATS and len(set(last)) == 1:
            return True
        return keys[-LOOP_WINDOW:].count(keys[-1]) >= LOOP_REPEATS

    def _refusal(self, node: PlanNode, action: Any) -> ToolResult | None:
        if not node.files:
            return None
        targets = write_targets(action, self.tools.workspace)
        if not targets:
            return None
        outside = [t for t in targets if not node.allows(t)]
        if outside:
            return ToolResult(ok=False, output=f"refused: {', '.join(outside)} is outside this sub-task's allowed "
                              f"files ({', '.join(node.files)})")
        return None

    def _fits(self, msgs: list[ChatMessage]) -> bool:
        budget = self.n_ctx - self.max_tokens - 64
        return sum(self.model.count_tokens(m.content) + 4 for m in msgs) <= budget

    def _wait_if_paused(self) -> None:
        while self.pause is not None and self.pause.is_set() and not self.tools.cancel.is_set():
            self.tools.cancel.wait(0.2)
