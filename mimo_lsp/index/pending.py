"""The chunks waiting for a vector, highest priority first (unsaved buffers > saves > recent files)."""

from __future__ import annotations

import heapq
from collections.abc import Callable


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
