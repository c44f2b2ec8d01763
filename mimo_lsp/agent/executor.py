"""Executor: runs one plan node as a ReAct tool loop, checkpointing after every action."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from mimo_lsp.agent.plan import PlanNode
from mimo_lsp.agent.prompts import EXECUTOR_SYSTEM, node_prompt
from mimo_lsp.llm.port import ChatMessage, ChatModel, ModelError, TokenCallback
from mimo_lsp.llm.structured import complete_structured
from mimo_lsp.tools.registry import AgentStep, ToolContext, ToolResult

# Keep this many recent (assistant, observation) turns verbatim; older ones shrink to one line each.
RECENT_TURNS = 4
LOOP_REPEATS = 3


class TaskCancelled(Exception):
    pass


@dataclass
class NodeOutcome:
    ok: bool
    detail: str
    steps: int


@dataclass
class NodeRunner:
    model: ChatModel
    tools: ToolContext
    # (node_id, step, action, thought) -> result: runs the action and checkpoints it (owned by the task).
    act: Callable[[str, int, Any, str], ToolResult]
    on_token: TokenCallback
    max_steps: int
    structured_retries: int
    max_tokens: int
    n_ctx: int

    def run(self, goal: str, plan_lines: str, node: PlanNode, check: str | None, step0: int) -> NodeOutcome:
        head = [
            ChatMessage(role="system", content=EXECUTOR_SYSTEM),
            ChatMessage(role="user", content=node_prompt(goal, plan_lines, node.title, node.expected_output, check)),
        ]
        turns: list[tuple[str, str, str]] = []  # (assistant json, observation, one-line summary)
        recent_actions: list[str] = []
        for i in range(1, self.max_steps + 1):
            if self.tools.cancel.is_set():
                raise TaskCancelled()
            try:
                step = complete_structured(
                    self.model, self._window(head, turns), AgentStep, retries=self.structured_retries,
                    max_tokens=self.max_tokens, on_token=self.on_token,
                )
            except ModelError as exc:
                return NodeOutcome(False, f"model error: {exc}", i - 1)
            action = step.action
            args = action.model_dump(exclude={"tool"})
            n = step0 + i
            result = self.act(node.id, n, action, step.thought)
            if action.tool == "finish":
                return NodeOutcome(True, action.summary, i)
            key = json.dumps([action.tool, args, result.output], sort_keys=True)
            recent_actions = (recent_actions + [key])[-LOOP_REPEATS:]
            if len(recent_actions) == LOOP_REPEATS and len(set(recent_actions)) == 1:
                return NodeOutcome(False, f"loop: the same {action.tool} action repeated {LOOP_REPEATS} times", i)
            status = "ok" if result.ok else "FAILED"
            turns.append((step.model_dump_json(), f"Observation ({status}):\n{result.output}",
                          f"step {n}: {action.tool} {json.dumps(args)[:120]} -> {status}"))
        return NodeOutcome(False, f"step budget of {self.max_steps} exhausted", self.max_steps)

    def _window(self, head: list[ChatMessage], turns: list[tuple[str, str, str]]) -> list[ChatMessage]:
        """Head (contract) always first; old turns compressed; drop oldest until it fits the context."""
        keep = RECENT_TURNS
        while True:
            old, recent = turns[:-keep] if keep else turns, turns[-keep:] if keep else []
            msgs = list(head)
            if old:
                msgs.append(ChatMessage(role="user", content="Earlier steps:\n" + "\n".join(t[2] for t in old)))
            for assistant, observation, _ in recent:
                msgs += [ChatMessage(role="assistant", content=assistant), ChatMessage(role="user", content=observation)]
            budget = self.n_ctx - self.max_tokens - 64
            if keep == 0 or sum(self.model.count_tokens(m.content) + 4 for m in msgs) <= budget:
                return msgs
            keep -= 1
