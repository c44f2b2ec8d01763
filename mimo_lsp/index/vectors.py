"""Thin wrapper over an hnswlib cosine index keyed by integer chunk ids.

Deletions are hnswlib's mark_deleted; their slots are reused by later additions
(allow_replace_deleted), the graph grows by doubling (resize_index), and when most of it is
deleted slots it is rebuilt compactly from the live vectors.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy

EF_CONSTRUCTION = 200
M = 16
MIN_CAPACITY = 1024
COMPACT_MIN_SLOTS = 4096  # below this a compaction is not worth its time
COMPACT_DEAD_SHARE = 0.5


class VectorStore:
    def __init__(self, dim: int, capacity: int = MIN_CAPACITY) -> None:
        import hnswlib

        self.dim = dim
        self._index: Any = hnswlib.Index(space="cosine", dim=dim)
        # allow_replace_deleted: slots of deleted chunks are reused, so a long-lived
        # index does not grow without bound under incremental updates.
        self._index.init_index(max_elements=max(capacity, MIN_CAPACITY), ef_construction=EF_CONSTRUCTION, M=M,
                               allow_replace_deleted=True)
        self._live: set[int] = set()

    @classmethod
    def load(cls, path: Path, dim: int) -> tuple[VectorStore, set[int]]:
        """Load a saved graph. Returns it and every label it holds (live or deleted): the caller
        reconciles them with the store, see `reconcile`."""
        import hnswlib

        self = cls.__new__(cls)
        self.dim = dim
        self._index = hnswlib.Index(space="cosine", dim=dim)
        self._index.load_index(str(path), allow_replace_deleted=True)
        if self._index.dim != dim:
            raise ValueError(f"graph has dimension {self._index.dim}, expected {dim}")
        labels = {int(i) for i in self._index.get_ids_list()}
        self._live = set(labels)  # narrowed by reconcile
        return self, labels

    def reconcile(self, labels: set[int], wanted: set[int], fetch: Callable[[list[int]], dict[int, Any]]) -> int:
        """Make the live set equal `wanted`: delete extra labels, (re)add missing or deleted ones
        with vectors from `fetch`. Returns how many vectors were added."""
        for i in labels - wanted:
            try:
                self._index.mark_deleted(i)
            except RuntimeError:
                pass  # was deleted already
        self._live = labels & wanted
        # Labels present in both may be marked deleted in the saved graph (the graph was saved
        # while an unsaved buffer had replaced them): unmark those.
        for i in list(self._live):
            try:
                self._index.unmark_deleted(i)
            except RuntimeError:
                pass  # was live: the normal case
        missing = sorted(wanted - labels)
        if missing:
            import numpy as np

            vecs = fetch(missing)
            ids = [i for i in missing if i in vecs]
            if ids:
                self.add(ids, np.stack([vecs[i] for i in ids]))
        return len(missing)

    @property
    def live(self) -> int:
        return len(self._live)

    def has(self, label: int) -> bool:
        return label in self._live

    def add(self, ids: list[int], vectors: numpy.ndarray) -> None:
        if not ids:
            return
        import numpy as np

        idx = self._index
        fresh = [i for i in ids if i not in self._live]
        used = idx.get_current_count()  # includes deleted slots
        free_deleted = used - len(self._live)
        needed = used + max(0, len(fresh) - free_deleted)
        if needed > idx.get_max_elements():
            idx.resize_index(max(needed, 2 * idx.get_max_elements()))
        idx.add_items(np.asarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64), num_threads=1,
                      replace_deleted=True)
        self._live.update(ids)

    def delete(self, ids: Iterable[int]) -> None:
        for i in ids:
            if i in self._live:
                self._index.mark_deleted(int(i))
                self._live.discard(i)

    def get(self, ids: list[int]) -> numpy.ndarray:
        import numpy as np

        return np.asarray(self._index.get_items(ids), dtype=np.float32)

    def search(self, vector: numpy.ndarray, k: int, allow: Callable[[int], bool] | None = None) -> list[tuple[int, float]]:
        """Top-k (id, cosine similarity), best first."""
        k = min(k, len(self._live))
        if k <= 0:
            return []
        import numpy as np

        query = np.asarray(vector, dtype=np.float32).reshape(1, -1)
        # ef must be >= k, and a larger ef compensates for deleted nodes in the graph.
        self._index.set_ef(max(64, 2 * k))
        try:
            labels, dists = self._index.knn_query(query, k=k, num_threads=1, filter=allow)
        except RuntimeError:
            # Deleted or filtered-out nodes can leave fewer than k reachable results: shrink k.
            self._index.set_ef(max(k, min(self._index.get_current_count(), 4096)))
            try:
                labels, dists = self._index.knn_query(query, k=k, num_threads=1, filter=allow)
            except RuntimeError:
                return self._search_small(query, k, allow)
        return [(int(i), 1.0 - float(d)) for i, d in zip(labels[0], dists[0])]

    def _search_small(self, query: Any, k: int, allow: Callable[[int], bool] | None) -> list[tuple[int, float]]:
        """Exact scan over the allowed live vectors (a filter that lets few through)."""
        import numpy as np

        ids = [i for i in self._live if allow is None or allow(i)]
        if not ids:
            return []
        sims = self.get(ids) @ query[0]
        order = np.argsort(-sims)[:k]
        return [(ids[j], float(sims[j])) for j in order]

    def needs_compaction(self) -> bool:
        used = self._index.get_current_count()
        return used >= COMPACT_MIN_SLOTS and (used - len(self._live)) / used > COMPACT_DEAD_SHARE

    def compacted(self) -> VectorStore:
        """A new graph holding only the live vectors (the old one keeps serving until swapped)."""
        ids = sorted(self._live)
        fresh = VectorStore(self.dim, capacity=2 * len(ids))
        for start in range(0, len(ids), 4096):
            part = ids[start : start + 4096]
            fresh.add(part, self.get(part))
        return fresh

    def save(self, path: Path) -> None:
        """Write via a temp file + os.replace so readers never see a half-written graph."""
        tmp = path.with_name(path.name + ".tmp")
        self._index.save_index(str(tmp))
        os.replace(tmp, path)
