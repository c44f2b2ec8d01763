"""The embedding queue: chunks waiting for a vector, most recently edited first, and the step that embeds
one batch of them (driven by build() and by the background worker, worker.py).

A chunk leaves the queue only once its vector is in hnswlib; a chunk whose text changed while its batch
was being embedded stays queued (its new text gets the vector, not the old one).
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .records import embed_text

if TYPE_CHECKING:
    from .embeddings import Embedder
    from .persistence import IndexPersistence
    from .state import IndexState

EMBED_BATCH = 32


class PendingQueue:
    """Chunk id -> priority (higher first). Heap entries of re-queued or dropped chunks go stale and are skipped."""

    def __init__(self) -> None:
        self._priority: dict[int, float] = {}
        self._heap: list[tuple[float, int]] = []

    def __len__(self) -> int:
        return len(self._priority)

    def __contains__(self, cid: object) -> bool:
        return cid in self._priority

    def push(self, cid: int, priority: float) -> None:
        self._priority[cid] = priority
        heapq.heappush(self._heap, (-priority, cid))

    def discard(self, cid: int) -> None:
        self._priority.pop(cid, None)

    def clear(self) -> None:
        self._priority.clear()
        self._heap.clear()

    def peek(self, size: int, text_of: Callable[[int], str]) -> list[tuple[int, str]]:
        """Up to `size` (id, text) of the highest priority, left in the queue."""
        out: list[tuple[int, str]] = []
        while self._heap and len(out) < size:
            neg, cid = heapq.heappop(self._heap)
            if self._priority.get(cid) != -neg:
                continue
            out.append((cid, text_of(cid)))
        # Put them back: they leave the queue only once their vectors are in.
        for cid, _ in out:
            heapq.heappush(self._heap, (-self._priority[cid], cid))
        return out


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
