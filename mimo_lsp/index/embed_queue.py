"""The embedding queue: chunks waiting for a vector, most recently edited first, and the step that embeds
one batch of them (driven by build() and by the background worker, worker.py).

A chunk leaves the queue only once its vector is in hnswlib; a chunk whose text changed while its batch
was being embedded stays queued (its new text gets the vector, not the old one).
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from .pending import PendingQueue  # noqa: F401 (re-exported)
from .records import embed_text

if TYPE_CHECKING:
    from .embeddings import Embedder
    from .persistence import IndexPersistence
    from .state import IndexState

EMBED_BATCH = 32
# embed_pending (a build: CLI, benchmarks, first search) takes bigger steps: the embedder sorts each step's
# texts by length before batching, and 128 texts sort into batches with far less padding than 32 do.
BULK_EMBED_BATCH = 128


class EmbedQueue:
    """Embeds the state's pending chunks, one batch per step, one step at a time."""

    def __init__(self, state: IndexState, persistence: IndexPersistence, embedder: Embedder) -> None:
        self.state = state
        self.persistence = persistence
        self.embedder = embedder
        self._lock = threading.Lock()  # one embedding step at a time

    def _text_of(self, cid: int) -> str | None:
        rec = self.state.chunks.get(cid)
        return embed_text(rec.chunk) if rec is not None else None

    def step(self, size: int = EMBED_BATCH) -> int:
        """Embed one batch of pending chunks. Returns how many got vectors; raises on embedder failure
        (after recording it for status)."""
        import numpy as np

        state = self.state
        with self._lock:
            with state.lock:
                batch = state.pending.peek(size, lambda cid: embed_text(state.chunks[cid].chunk))
            if not batch:
                return 0
            t0 = time.perf_counter()
            try:
                vecs = self.embedder.embed([text for _, text in batch])
                if vecs.shape != (len(batch), self.embedder.dim):
                    raise ValueError(f"embedder returned shape {vecs.shape}, expected {(len(batch), self.embedder.dim)}")
            except Exception as exc:
                with state.lock:
                    state.embed_failed(exc)
                raise
            t0 = state.timings.add("embed", t0)
            with state.lock:
                state.last_embed_error = None
                live = [(i, (cid, _)) for i, (cid, _) in enumerate(batch)
                        if cid in state.pending and self._text_of(cid) == batch[i][1]]
                ids = [cid for _, (cid, _) in live]
                if not ids:
                    return 0
                arr = np.ascontiguousarray(vecs[[i for i, _ in live]], dtype=np.float32)
                if state.vectors is None:  # the model failed to load at start: stored vectors come in now
                    self.persistence.load_graph(self.embedder.dim)
                    assert state.vectors is not None
                state.vectors.add(ids, arr)
                state.vectors_dirty = True
                for cid in ids:
                    state.pending.discard(cid)
                t0 = state.timings.add("hnsw", t0)
                persisted = [(cid, arr[j].tobytes()) for j, cid in enumerate(ids) if state.chunks[cid].persisted]
                state.changed()
            if persisted:
                self.persistence.set_vectors(persisted)
                state.timings.add("store", t0)
            return len(ids)
