"""LLM layer: the ChatModel port and its backends (llama.cpp in process, OpenAI-compatible servers, scripted for tests)."""

from mimo_lsp.llm.port import ChatMessage, ChatModel, Completion, ModelError, ModelUnavailable, TokenCallback

__all__ = ["ChatMessage", "ChatModel", "Completion", "ModelError", "ModelUnavailable", "TokenCallback"]
