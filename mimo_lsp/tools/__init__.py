"""Agent tools: each a pydantic-typed action, dispatched by name through the registry."""

from mimo_lsp.tools.actions import TOOL_NAMES, AgentAction, AgentStep, ToolContext, ToolResult
from mimo_lsp.tools.registry import run_tool

__all__ = ["TOOL_NAMES", "AgentAction", "AgentStep", "ToolContext", "ToolResult", "run_tool"]
