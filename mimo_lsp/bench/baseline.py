"""The flat-loop baselines of the long-horizon benchmark: one ReAct loop over the whole instruction.

`flat`: no DAG, no checkpoints, no checks, no verification: it stops when the model says "finish" (or at
the step cap). `flat_gated`: the same loop with the agent's goal gate and nothing else: a `finish` is
rejected while the completion criteria fail, and the failing output is the observation, so the model
goes on. Same tools, same sandbox, same model and step budget as the agent, so the difference is the
machinery.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from mimo_lsp.agent.prompts import example_path, executor_system
from mimo_lsp.agent.window import Turn, build_window
from mimo_lsp.llm.port import ChatMessage, ChatModel, ModelError
from mimo_lsp.llm.structured import complete_structured
from mimo_lsp.tools.actions import AgentStep, ToolContext
from mimo_lsp.tools.registry import run_tool

# gate() -> (criteria pass, what failed): the goal gate of `flat_gated`.
Gate = Callable[[], "tuple[bool, str]"]


def run_baseline(instruction: str, workspace: Path, model: ChatModel, max_steps: int, sandbox: Any = None,
                 n_ctx: int = 8192, gate: Gate | None = None) -> dict[str, Any]:
    tools = ToolContext(workspace, sandbox=sandbox)
    head = [ChatMessage(role="system", content=executor_system(example_path(instruction))),
            ChatMessage(role="user", content=f"Task: {instruction}\nWork step by step; call finish when the task is done.")]
    turns: list[Turn] = []
    stopped = "budget"
    steps = rejections = 0
    for steps in range(1, max_steps + 1):
        messages, _ = build_window(head, turns, lambda ms: sum(model.count_tokens(m.content) + 4 for m in ms) < n_ctx)
        try:
            step = complete_structured(model, messages, AgentStep, retries=1)
        except ModelError:
            stopped = "model error"
            break
        if step.action.tool == "finish":
            if gate is None:
                stopped = "finish"
                break
            ok, failing = gate()
            if ok:
                stopped = "finish"
                break
            rejections += 1
            turns.append(Turn(step.model_dump_json(),
                              f"Observation (FAILED):\nfinish rejected: the completion criteria fail.\n{failing}",
                              f"step {steps}: finish -> rejected"))
            continue
        result = run_tool(step.action, tools)
        turns.append(Turn(step.model_dump_json(), f"Observation ({'ok' if result.ok else 'FAILED'}):\n{result.output}",
                          f"step {steps}: {step.action.tool}"))
    return {"steps": steps, "stopped": stopped, "rejections": rejections}
