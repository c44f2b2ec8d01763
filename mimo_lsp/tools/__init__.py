"""Agent tools: each a pydantic-typed action, dispatched by name through the registry."""

from mimo_lsp.tools.registry import TOOL_NAMES, AgentAction, AgentStep, ToolContext, ToolResult, run_tool

__all__ = ["TOOL_NAMES", "AgentAction", "AgentStep", "ToolContext", "ToolResult", "run_tool"]
