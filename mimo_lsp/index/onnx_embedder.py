"""The embedder without torch: `tokenizers` + onnxruntime + mean pooling and L2 normalisation in numpy.

Same model and same maths as sentence-transformers (tokenize, truncate, mean-pool over the attention mask,
normalise), on the ONNX artefact of onnx_export.py. Texts are truncated at `max_tokens` word pieces (default:
the model's own limit, 256 for MiniLM; 128 embeds ~1.4x faster, but lost retrieval quality on every held-out
query set, docs/benchmarks.md). Per call the texts are sorted by token length and run in batches of
`batch_size`, so little is spent on padding.

The int8 model runs one text at a time by default: its activations are quantised with one range per tensor,
so in a batch a text's vector depends on its batch-mates (cosine ~0.993 between a text embedded alone and
beside long ones); alone it is the same whatever else is pending, and queries embed the same way as chunks.
fp32 batches by 16.

Threads: every onnxruntime run uses one intra-op thread, and a call with several batches runs up to
`threads` of them at the same time (a small pool; one core each). On 2 idle cores that is ~1.8x one
thread, where onnxruntime's own 2 intra-op threads gave ~1.4x (they synchronise at every operator); a
single text (a query, a one-chunk edit) runs on the caller's thread. Default: the cores this process may
use, at most MAX_THREADS.

`AutoEmbedder` is what the index uses by default: the ONNX embedder when its artefact can be built and
loaded, else (with a warning in the log) sentence-transformers on torch.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .embeddings import DEFAULT_DIM, SentenceTransformerEmbedder, default_model_path

if TYPE_CHECKING:
    import numpy

log = logging.getLogger(__name__)

# A word piece covers at least one character, and cutting at whitespace keeps the pieces before the cut:
# so a text is tokenized from its first CUT_CHARS_PER_PIECE * max_len characters, and again whole only when
# that prefix did not fill the model's window.
CUT_CHARS_PER_PIECE = 8
# Word pieces embedded per text (index.embed_max_tokens; 0 or None: the model's own limit, 256 for MiniLM).
DEFAULT_MAX_TOKENS: int | None = None
MAX_THREADS = 4  # index.embed_threads = 0 (auto): the cores available, at most this many


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _threads(threads: int | None) -> int:
    return threads if threads else max(1, min(MAX_THREADS, available_cores()))


def _limit_suffix(max_tokens: int | None) -> str:
    """Part of the embedder's name (stored with an index): another limit gives other vectors."""
    return f":{max_tokens}" if max_tokens else ""


class OnnxEmbedder:
    """onnxruntime on CPU, offline. The session loads lazily on the first `embed`."""

    def __init__(self, model_dir: str | None = None, onnx_path: str | None = None, variant: str = "int8",
                 threads: int | None = None, batch_size: int | None = None,
                 max_tokens: int | None = DEFAULT_MAX_TOKENS) -> None:
        self.model_dir = model_dir
        self.onnx_path = onnx_path  # None: the cached export of model_dir (exported on first use)
        self.variant = variant
        self.threads = _threads(threads)  # batches run at the same time, one core each
        self.batch_size = batch_size if batch_size else (1 if variant == "int8" else 16)
        self.max_tokens = max_tokens or None  # None: the model's own limit
        self._pool: ThreadPoolExecutor | None = None
        self._session: Any = None
        self._tokenizer: Any = None
        self._inputs: set[str] = set()
        self._max_len = 256
        self._dim = DEFAULT_DIM
        self._lock = threading.Lock()
        self.load_seconds: float | None = None

    @property
    def name(self) -> str:
        return (f"onnx-{self.variant}:{os.path.basename(self.model_dir or 'all-MiniLM-L6-v2')}"
                f"{_limit_suffix(self.max_tokens)}")

    @property
    def dim(self) -> int:
        return self._dim

    def load(self) -> None:
        """Export if needed, open the session and the tokenizer. Raises on any failure."""
        with self._lock:
            if self._session is not None:
                return
            t0 = time.perf_counter()
            import onnxruntime as ort
            from tokenizers import Tokenizer

            from .onnx_export import SESSION_DISABLED_OPTIMIZERS

            model_dir = Path(self.model_dir or default_model_path())
            if self.onnx_path is None:
                from .onnx_export import ensure_artefact

                self.onnx_path = str(ensure_artefact(model_dir, self.variant))
            opts = ort.SessionOptions()
            # One thread per run; parallelism comes from running batches at the same time (module doc).
            opts.intra_op_num_threads = 1
            opts.inter_op_num_threads = 1
            # Busy-waiting pool threads steal the core the event loop and the other processes need.
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
            session = ort.InferenceSession(self.onnx_path, opts, providers=["CPUExecutionProvider"],
                                           disabled_optimizers=SESSION_DISABLED_OPTIMIZERS)
            cfg = model_dir / "sentence_bert_config.json"
            if cfg.is_file():
                self._max_len = int(json.loads(cfg.read_text()).get("max_seq_length") or self._max_len)
            if self.max_tokens:
                self._max_len = min(self._max_len, self.max_tokens)
            tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
            tokenizer.no_padding()  # the shipped tokenizer.json pads to 128: padding is done per batch here
            tokenizer.enable_truncation(self._max_len)
            self._inputs = {i.name for i in session.get_inputs()}
            self._dim = int(session.get_outputs()[0].shape[-1] or DEFAULT_DIM)
            self._tokenizer = tokenizer
            self._session = session
            self.load_seconds = time.perf_counter() - t0

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        """The word pieces the model reads (with [CLS] / [SEP], truncated), tokenizing no more than needed."""
        limit = CUT_CHARS_PER_PIECE * self._max_len
        cut = []
        for t in texts:
            if len(t) > limit:
                pos = max(t.rfind(" ", 0, limit), t.rfind("\n", 0, limit))
                t = t[:pos] if pos > 0 else t
            cut.append(t)
        encs = self._tokenizer.encode_batch(cut)
        out = []
        for text, short, enc in zip(texts, cut, encs):
            if short is not text and len(enc.ids) < self._max_len:  # the prefix did not fill the window
                enc = self._tokenizer.encode(text)
            out.append(enc.ids)
        return out

    def _run(self, rows: list[list[int]]) -> numpy.ndarray:
        """One onnxruntime run: the normalised mean-pooled vectors of a batch of token id lists."""
        import numpy as np

        width = max(len(r) for r in rows)
        batch = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for r, ids in enumerate(rows):
            batch[r, :len(ids)] = ids
            mask[r, :len(ids)] = 1
        feed = {"input_ids": batch, "attention_mask": mask, "token_type_ids": np.zeros_like(batch)}
        hidden = self._session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0]
        summed = (hidden * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled / norms

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="mimo-embed")
            return self._pool

    def embed(self, texts: list[str]) -> numpy.ndarray:
        import numpy as np

        self.load()
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        if not texts:
            return out
        ids = self.token_ids(texts)
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
        batches = [order[start:start + self.batch_size] for start in range(0, len(order), self.batch_size)]
        work = [[ids[i] for i in rows] for rows in batches]
        if self.threads > 1 and len(batches) > 1:
            results = list(self._executor().map(self._run, work))
        else:
            results = [self._run(w) for w in work]
        for rows, vecs in zip(batches, results):
            out[rows] = vecs
        return out


class AutoEmbedder:
    """The ONNX embedder, falling back to sentence-transformers on torch when the artefact cannot be exported
    or loaded. Which one is used is decided on first use (name, embed) and kept; `backend` says which."""

    def __init__(self, model_path: str | None = None, variant: str = "int8", threads: int | None = None,
                 max_tokens: int | None = DEFAULT_MAX_TOKENS) -> None:
        self.model_path = model_path
        self.variant = variant
        self.threads = _threads(threads)
        self.max_tokens = max_tokens or None
        self._inner: OnnxEmbedder | SentenceTransformerEmbedder | None = None
        self._lock = threading.Lock()
        self.fallback_reason: str | None = None

    def resolve(self) -> OnnxEmbedder | SentenceTransformerEmbedder:
        with self._lock:
            if self._inner is None:
                onnx = OnnxEmbedder(self.model_path, variant=self.variant, threads=self.threads,
                                    max_tokens=self.max_tokens)
                try:
                    onnx.load()
                    self._inner = onnx
                except Exception as exc:
                    self.fallback_reason = f"{type(exc).__name__}: {exc}"
                    log.warning("ONNX embedder unavailable (%s); falling back to sentence-transformers on torch",
                                self.fallback_reason)
                    self._inner = SentenceTransformerEmbedder(self.model_path, threads=self.threads,
                                                              max_seq_length=self.max_tokens)
            return self._inner

    @property
    def backend(self) -> str:
        return "onnx" if isinstance(self.resolve(), OnnxEmbedder) else "torch"

    # The shipped model's name and dimension are known without loading anything: opening an index (which
    # reads both, holding the index lock) must not wait for a first export (15-30 s) or a session load, or
    # the lexical index would not be searchable at once. Should the ONNX model then fail and torch take
    # over, torch's vectors are stored under the ONNX name: the two agree at cosine ~0.995.
    def _known(self) -> bool:
        return self._inner is None and self.model_path is None

    @property
    def name(self) -> str:
        if self._known():
            return f"onnx-{self.variant}:all-MiniLM-L6-v2{_limit_suffix(self.max_tokens)}"
        return self.resolve().name

    @property
    def dim(self) -> int:
        return DEFAULT_DIM if self._known() else self.resolve().dim

    @property
    def load_seconds(self) -> float | None:
        return self.resolve().load_seconds

    def embed(self, texts: list[str]) -> numpy.ndarray:
        return self.resolve().embed(texts)


def make_embedder(backend: str = "onnx", model_path: str | None = None, threads: int | None = None,
                  max_tokens: int | None = DEFAULT_MAX_TOKENS) -> AutoEmbedder | SentenceTransformerEmbedder:
    """`index.embedder`: "onnx" (int8, the default), "onnx-fp32" (both fall back to torch when the artefact
    can't be built), or "torch" (sentence-transformers). `threads` (index.embed_threads; None or 0: auto)
    and `max_tokens` (index.embed_max_tokens; None or 0: the model's own limit) apply to every backend."""
    if backend == "torch":
        return SentenceTransformerEmbedder(model_path, threads=threads or None, max_seq_length=max_tokens or None)
    if backend not in ("onnx", "onnx-fp32"):
        raise ValueError(f"unknown embedder backend {backend!r}")
    return AutoEmbedder(model_path, variant="fp32" if backend == "onnx-fp32" else "int8", threads=threads or None,
                        max_tokens=max_tokens)


def main(argv: list[str] | None = None) -> int:
    """`python -m mimo_lsp.index.onnx_embedder MODEL_DIR DEST_DIR [int8|fp32]`: the export, in the child process
    `onnx_export.ensure_artefact` starts; the probe check embeds with this module's OnnxEmbedder."""
    import sys

    from .onnx_export import export

    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (2, 3):
        print(main.__doc__, file=sys.stderr)
        return 2
    model_dir = args[0]

    def probe(onnx_path: str, texts: list[str]) -> Any:
        return OnnxEmbedder(model_dir=model_dir, onnx_path=onnx_path, threads=1, max_tokens=None).embed(texts)

    info = export(Path(model_dir), Path(args[1]), args[2] if len(args) == 3 else "int8", probe)
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
