"""Turn settings into a ChatModel: resolution first (clear errors), loading second."""

from __future__ import annotations

from mimo_lsp.config import LayeredSettings
from mimo_lsp.llm.models import ResolvedModel, resolve_model
from mimo_lsp.llm.port import ChatModel


def open_model(layered: LayeredSettings) -> tuple[ChatModel, ResolvedModel]:
    settings = layered.settings.model
    resolved = resolve_model(settings.spec, source=layered.model_source)
    if resolved.kind == "scripted":
        from mimo_lsp.llm.scripted import ScriptedChatModel

        return ScriptedChatModel.from_file(resolved.path), resolved
    from mimo_lsp.llm.llama import LlamaChatModel

    return LlamaChatModel.shared(resolved.path, settings), resolved
