"""The ONNX artefact of the embedding model: exported once from the shipped sentence-transformers folder,
optimised and (by default) quantised to int8, cached under the models dir, checked against torch.

    python -m mimo_lsp.index.onnx_embedder MODEL_DIR DEST_DIR [int8|fp32]

(the embedder's module is the entry point: it supplies the probe check's ONNX embedding, so this module
never imports it)

Steps (all offline, from the weights on disk):
  1. torch.onnx.export (TorchScript exporter) of the transformer with eager attention, traced on a padded
     batch: traced on an all-ones mask, transformers drops the mask and padded batches come out wrong;
  2. onnxruntime's BERT optimiser fuses attention, the embedding layer norm and bias-gelu, but not
     residual add + layer norm into SkipLayerNormalization: that kernel took ~20 % of a run on this
     machine's onnxruntime (1.31, x86-64), Add + LayerNormalization ~4 % (the embedder's session disables
     onnxruntime's own SkipLayerNormFusion, which would fuse them again at load);
  3. int8: onnxruntime `quantize_dynamic`, per-channel int8 weights (per-tensor weights agreed with torch
     at mean cosine 0.948 on django chunks, per-channel at 0.995);
  4. the artefact's embeddings of a few probe texts must agree with torch's (cosine >= PROBE_MIN_COSINE),
     else nothing is written.

`ensure_artefact` runs this module in a child process, so the calling process (the language server) never
imports torch for it; the artefact lands in `models_dir()/embeddings/<model>-<variant>-<key>/`, where the key
hashes the model's files and EXPORT_VERSION, so new weights or a new recipe export afresh.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

log = logging.getLogger(__name__)

EXPORT_VERSION = 2  # bump when the recipe changes: cached artefacts of older recipes are not reused
# 2: no SkipLayerNormalization fusion (1: everything onnxruntime's BERT optimiser fuses)
# onnxruntime graph transformers the embedder's session must not apply (see the module doc, step 2).
SESSION_DISABLED_OPTIMIZERS = ["SkipLayerNormFusion"]
VARIANTS = ("int8", "fp32")
PROBE_MIN_COSINE = {"int8": 0.97, "fp32": 0.999}
EXPORT_TIMEOUT_S = 900.0
PROBES = [
    "function parse_config (parse config) in app/config.py\ndef parse_config(path):\n    return toml.load(path)",
    "class in docs\nThe quick brown fox jumps over the lazy dog.",
    "method Session.request (session request) in requests/sessions.py\n"
    "def request(self, method, url, params=None, data=None, headers=None, cookies=None):\n"
    "    req = Request(method=method.upper(), url=url, headers=headers)\n    return self.send(req)",
]
_KEYED_FILES = ("config.json", "model.safetensors", "pytorch_model.bin", "tokenizer.json",
                "sentence_bert_config.json", "1_Pooling/config.json")


def artefact_key(model_dir: Path, variant: str) -> str:
    """Changes with the model's files (size + content of the small ones, size + mtime of the weights),
    the variant and the recipe."""
    h = hashlib.blake2b(f"v{EXPORT_VERSION}:{variant}".encode(), digest_size=8)
    for rel in _KEYED_FILES:
        p = model_dir / rel
        if not p.is_file():
            continue
        st = p.stat()
        h.update(f"{rel}:{st.st_size}".encode())
        h.update(p.read_bytes() if st.st_size < 1 << 20 else str(st.st_mtime_ns).encode())
    return h.hexdigest()


def artefact_dir(model_dir: Path, variant: str, cache_root: Path | None = None) -> Path:
    if cache_root is None:
        from mimo_lsp.llm.download import models_dir

        cache_root = models_dir() / "embeddings"
    return cache_root / f"{model_dir.name if model_dir.name != 'model' else model_dir.parent.name}-{variant}-" \
                        f"{artefact_key(model_dir, variant)}"


def ensure_artefact(model_dir: Path, variant: str = "int8", cache_root: Path | None = None) -> Path:
    """The cached model.onnx for this model and variant, exported in a child process when missing.
    Raises RuntimeError (with the child's last output lines) when the export fails."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown ONNX variant {variant!r} (expected one of {VARIANTS})")
    dest = artefact_dir(model_dir, variant, cache_root)
    model = dest / "model.onnx"
    if model.is_file():
        return model
    log.info("exporting the embedding model to ONNX (%s) into %s; once per model", variant, dest)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mimo_lsp.index.onnx_embedder", str(model_dir), str(dest), variant],
                          capture_output=True, text=True, timeout=EXPORT_TIMEOUT_S,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    if proc.returncode != 0 or not model.is_file():
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
        raise RuntimeError(f"ONNX export failed (exit {proc.returncode}): {tail}")
    log.info("ONNX export done in %.1f s", time.perf_counter() - t0)
    return model


# --- the export itself (child process: imports torch, transformers, onnx) ------------------------------
def _torch_reference(model_dir: Path, texts: list[str]):
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(model_dir), device="cpu")
    return st.encode(texts, normalize_embeddings=True, convert_to_numpy=True)


def export(model_dir: Path, dest: Path, variant: str, probe: Callable[[str, list[str]], Any]) -> dict:
    """`probe(onnx_path, texts)` -> the artefact's embeddings of `texts` (the embedder's own code)."""
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model
    from transformers import AutoConfig, AutoModel

    torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))
    config = AutoConfig.from_pretrained(str(model_dir))
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()

    class LastHidden(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    ids = torch.tensor([[101, 2023, 2003, 1037, 3231, 102], [101, 3231, 102, 0, 0, 0]])
    mask = (ids != 0).long()
    names = ["input_ids", "attention_mask", "token_type_ids"]
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=dest.name + ".", dir=dest.parent))
    try:
        raw, opt, out = work / "raw.onnx", work / "opt.onnx", work / "model.onnx"
        with torch.inference_mode():
            torch.onnx.export(LastHidden(model), (ids, mask, torch.zeros_like(ids)), str(raw), dynamo=False,
                              input_names=names, output_names=["last_hidden_state"], opset_version=17,
                              dynamic_axes={n: {0: "batch", 1: "seq"} for n in names + ["last_hidden_state"]})
        fusions = FusionOptions("bert")
        fusions.enable_skip_layer_norm = fusions.enable_bias_skip_layer_norm = False
        fused = optimize_model(str(raw), model_type="bert", num_heads=config.num_attention_heads,
                               hidden_size=config.hidden_size, opt_level=1, optimization_options=fusions)
        fused.save_model_to_file(str(opt))
        if variant == "int8":
            quantize_dynamic(str(opt), str(out), weight_type=QuantType.QInt8, per_channel=True,
                             extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
        else:
            opt.rename(out)
        got = probe(str(out), PROBES)
        want = _torch_reference(model_dir, PROBES)
        cosines = [float(c) for c in (got * want).sum(axis=1)]
        if min(cosines) < PROBE_MIN_COSINE[variant]:
            raise RuntimeError(f"exported model disagrees with torch: probe cosines {cosines}")
        info = {"variant": variant, "export_version": EXPORT_VERSION, "probe_cosines": cosines,
                "torch": torch.__version__, "onnx": onnx.__version__, "fused": fused.get_fused_operator_statistics()}
        (work / "export.json").write_text(json.dumps(info, indent=1))
        for tmp in (raw, opt):
            tmp.unlink(missing_ok=True)
        if dest.exists():
            shutil.rmtree(dest)
        work.rename(dest)
        return info
    finally:
        shutil.rmtree(work, ignore_errors=True)
