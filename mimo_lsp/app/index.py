"""The workspace index as configured: `[index]` settings -> the IndexService's options and embedder."""

from __future__ import annotations

from typing import Any

from mimo_lsp.config import IndexSettings


def configure_index(service: Any, settings: IndexSettings) -> None:
    from mimo_lsp.index.workspace_index import IndexOptions

    service.options = IndexOptions(max_file_bytes=settings.max_file_bytes, max_line_chars=settings.max_line_chars,
                                   skip_generated=settings.skip_generated, extra_ignores=list(settings.extra_ignores))
    if service.embedder is None:
        from mimo_lsp.index.onnx_embedder import make_embedder

        service.embedder = make_embedder(settings.embedder, model_path=settings.model,
                                         threads=settings.embed_threads, max_tokens=settings.embed_max_tokens)
