"""Turn settings into ChatModels: resolution first (clear errors), loading second."""

from __future__ import annotations

from mimo_lsp.config import ROLES, LayeredSettings, ModelSettings, role_model
from mimo_lsp.llm.models import ResolvedModel, resolve_model
from mimo_lsp.llm.port import ChatModel


def _open(settings: ModelSettings, source: str) -> tuple[ChatModel, ResolvedModel]:
    resolved = resolve_model(settings.spec, source=source)
    if resolved.kind == "openai":
        from mimo_lsp.llm.openai_compat import OpenAIChatModel

        assert settings.spec is not None
        model = OpenAIChatModel.open(settings.spec, settings, source)
        return model, resolved.model_copy(update={"name": model.name})
    if resolved.kind == "scripted":
        from mimo_lsp.llm.scripted import ScriptedChatModel

        return ScriptedChatModel.from_file(resolved.file), resolved
    from mimo_lsp.llm.llama import LlamaChatModel

    return LlamaChatModel.shared(resolved.file, settings), resolved


def open_model(layered: LayeredSettings) -> tuple[ChatModel, ResolvedModel]:
    return _open(layered.settings.model, layered.model_source)


def open_role_models(layered: LayeredSettings) -> dict[str, ChatModel]:
    """Models for the roles configured under [roles.*]; roles left out use the main model."""
    out: dict[str, ChatModel] = {}
    for role in ROLES:
        settings = role_model(layered.settings, role)
        if settings is not None:
            out[role] = _open(settings, f"[roles.{role}]")[0]
    return out
