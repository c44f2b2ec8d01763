"""The naive baseline of the long-horizon benchmark: one flat ReAct loop over the whole instruction.

No DAG, no checkpoints, no checks, no verification: it stops when the model says "finish" (or at the
step cap). Same tools, same sandbox, same model as the agent, so the difference is the machinery.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mimo_lsp.agent.prompts import example_path, executor_system
from mimo_lsp.agent.window import Turn, build_window
from mimo_lsp.llm.port import ChatMessage, ChatModel, ModelError
from mimo_lsp.llm.structured import complete_structured
from mimo_lsp.tools.actions import AgentStep, ToolContext
from mimo_lsp.tools.registry import run_tool


def run_baseline(instruction: str, workspace: Path, model: ChatModel, max_steps: int, sandbox: Any = None,
                 n_ctx: int = 8192) -> dict[str, Any]:
    tools = ToolContext(workspace, sandbox=sandbox)
    head = [ChatMessage(role="system", content=executor_system(example_path(instruction))),
            ChatMessage(role="user", content=f"Task: {instruction}\nWork step by step; call finish when the task is done.")]
    turns: list[Turn] = []
    stopped = "budget"
    steps = 0
    for steps in range(1, max_steps + 1):
        messages, _ = build_window(head, turns, lambda ms: sum(model.count_tokens(m.content) + 4 for m in ms) < n_ctx)
        try:
            step = complete_structured(model, messages, AgentStep, retries=1)
        except ModelError:
            stopped = "model error"
            break
        if step.action.tool == "finish":
            stopped = "finish"
            break
        result = run_tool(step.action, tools)
        turns.append(Turn(step.model_dump_json(), f"Observation ({'ok' if result.ok else 'FAILED'}):\n{result.output}",
                          f"step {steps}: {step.action.tool}"))
    return {"steps": steps, "stopped": stopped}
