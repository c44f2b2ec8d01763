"""llama.cpp backend (llama-cpp-python). Imported lazily: `initialize` must not pay for it."""

from __future__ import annotations

import atexit
import os
import threading
from pathlib import Path
from typing import Any

from mimo_lsp.config import ModelSettings
from mimo_lsp.llm.models import verify_gguf
from mimo_lsp.llm.port import ChatMessage, Completion, ModelError, TokenCallback

_CACHE: dict[tuple[Any, ...], "LlamaChatModel"] = {}
_CACHE_LOCK = threading.Lock()


@atexit.register
def _close_all() -> None:
    """Free llama.cpp models before interpreter teardown (late frees raise inside llama_cpp)."""
    with _CACHE_LOCK:
        for model in _CACHE.values():
            model.close()
        _CACHE.clear()


def default_threads() -> int:
    # Fewer threads than cores: with every core busy llama.cpp's spin-waits collapse throughput.
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 2)
    return max(1, min(8, cores - 1))


class LlamaChatModel:
    def __init__(self, path: Path, settings: ModelSettings) -> None:
        verify_gguf(path)
        try:
            import llama_cpp
        except ImportError as exc:  # pragma: no cover - install problem
            raise ModelError(f"llama-cpp-python is not installed: {exc}") from exc
        self.path = path
        self.name = path.name
        self.settings = settings
        gpu = settings.n_gpu_layers
        if gpu < 0 and not llama_cpp.llama_supports_gpu_offload():
            gpu = 0
        self.n_gpu_layers = gpu
        self.n_threads = settings.n_threads or default_threads()
        try:
            self._llm = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=settings.n_ctx,
                n_gpu_layers=gpu,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                seed=settings.seed,
                verbose=False,
            )
        except Exception as exc:  # llama.cpp raises ValueError / RuntimeError on bad files
            raise ModelError(f"llama.cpp could not load {path}: {exc}") from exc
        self._lock = threading.Lock()  # one llama context: calls are serialised

    @classmethod
    def shared(cls, path: Path, settings: ModelSettings) -> "LlamaChatModel":
        key = (str(path), settings.n_ctx, settings.n_gpu_layers, settings.n_threads, settings.seed)
        with _CACHE_LOCK:
            if key not in _CACHE:
                _CACHE[key] = cls(path, settings)
            return _CACHE[key]

    def close(self) -> None:
        with self._lock:
            closer = getattr(self._llm, "close", None)
            if closer is not None:
                closer()

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def n_params(self) -> int | None:
        """Parameter count of the loaded GGUF (Max Mode picks the small-model edit format below 1B)."""
        from mimo_lsp.maxmode.edit_format import model_param_count

        return model_param_count(self._llm)

    def complete(
        self,
        messages: list[ChatMessage],
        *,
        schema: dict[str, Any] | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        on_token: TokenCallback | None = None,
        repeat_penalty: float | None = None,
    ) -> Completion:
        """`repeat_penalty`: this call's, instead of the settings' (a reply that copies code wants 1.0)."""
        kwargs: dict[str, Any] = dict(
            messages=[m.model_dump() for m in messages],
            max_tokens=max_tokens or self.settings.max_tokens,
            temperature=self.settings.temperature if temperature is None else temperature,
            repeat_penalty=self.settings.repeat_penalty if repeat_penalty is None else repeat_penalty,
        )
        if schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": schema}
        with self._lock:
            try:
                if on_token is None:
                    out: Any = self._llm.create_chat_completion(**kwargs)
                    choice = out["choices"][0]
                    usage = out.get("usage") or {}
                    return Completion(
                        text=choice["message"].get("content") or "",
                        prompt_tokens=usage.get("prompt_tokens", 0),
                        completion_tokens=usage.get("completion_tokens", 0),
                        finish_reason=choice.get("finish_reason"),
                    )
                return self._stream(kwargs, on_token)
            except ModelError:
                raise
            except Exception as exc:
                raise ModelError(f"llama.cpp generation failed on {self.name}: {exc}") from exc

    def _stream(self, kwargs: dict[str, Any], on_token: TokenCallback) -> Completion:
        parts: list[str] = []
        finish = None
        stream: Any = self._llm.create_chat_completion(stream=True, **kwargs)
        for chunk in stream:
            choice = chunk["choices"][0]
            piece = choice.get("delta", {}).get("content") or ""
            if piece:
                parts.append(piece)
                on_token(piece)
            finish = choice.get("finish_reason") or finish
        text = "".join(parts)
        return Completion(text=text, completion_tokens=self.count_tokens(text), finish_reason=finish)
