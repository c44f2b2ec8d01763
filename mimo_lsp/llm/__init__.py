"""LLM layer: the ChatModel port and its backends (llama.cpp, scripted for tests)."""

from mimo_lsp.llm.port import ChatMessage, ChatModel, Completion, ModelError, TokenCallback

__all__ = ["ChatMessage", "ChatModel", "Completion", "ModelError", "TokenCallback"]
