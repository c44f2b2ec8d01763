"""How big a model is: Max Mode gives models under 1e9 parameters the "rewrite one function" format."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

SMALL_MODEL_MAX_PARAMS = 1_000_000_000




# ------------------------------------------------------------------------------------------ model size


def is_small_model(n_params: int | float | None) -> bool:
    """True below SMALL_MODEL_MAX_PARAMS (1e9). An unknown count (None or 0) is not small: the caller
    decides, e.g. from the manifest's `params`."""
    return n_params is not None and 0 < float(n_params) < SMALL_MODEL_MAX_PARAMS


_SIZE = re.compile(r"^\s*(?:(\d+)\s*x\s*)?(\d+(?:\.\d+)?)\s*([KMBT])\s*$", re.I)
_SCALE = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}


def parse_size_label(label: str | None) -> int | None:
    """GGUF `general.size_label` or a manifest `params` value to a count: '135M' -> 135000000,
    '1.5B', '8x7B' (experts x size). None when it is not a size."""
    if not label:
        return None
    m = _SIZE.match(str(label))
    if not m:
        return None
    experts = int(m.group(1)) if m.group(1) else 1
    return int(round(experts * float(m.group(2)) * _SCALE[m.group(3).upper()]))


def model_param_count(llm: Any) -> int | None:
    """Parameter count of a loaded llama_cpp.Llama: the sum of its tensors' elements, else the GGUF
    metadata's `general.size_label`. llama-cpp-python 0.3.x has no public `Llama.n_params()`; its
    internal `Llama._model.n_params()` (llama_model_n_params) gives the count (134515008 for the shipped
    SmolLM2-135M); a `n_params()` on the object itself (other versions, test doubles) is tried first."""
    for owner in (llm, getattr(llm, "_model", None)):
        fn = getattr(owner, "n_params", None)
        if callable(fn):
            try:
                n = int(fn())
            except Exception:  # a vocab-only load, a closed model
                continue
            if n > 0:
                return n
    meta = getattr(llm, "metadata", None) or {}
    return parse_size_label(meta.get("general.size_label"))


def gguf_param_count(path: str | Path) -> int | None:
    """Parameter count of a GGUF file, read through llama_cpp without loading the weights: a vocab-only
    load still has the tensor shapes (134515008 for the shipped SmolLM2-135M, 0.3 s) and the metadata
    (`general.size_label`, the fallback)."""
    import llama_cpp  # lazy: only callers that have a model file pay for it

    llm = llama_cpp.Llama(model_path=str(path), vocab_only=True, n_threads=1, verbose=False)
    try:
        return model_param_count(llm)
    finally:
        _close(llm)


def _close(llm: Any) -> None:
    closer = getattr(llm, "close", None)
    if closer is not None:
        closer()
