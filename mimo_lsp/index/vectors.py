"""Thin wrapper over an hnswlib cosine index keyed by integer chunk ids."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy

EF_CONSTRUCTION = 200
M = 16
MIN_CAPACITY = 1024


class VectorStore:
    def __init__(self, dim: int, capacity: int = MIN_CAPACITY) -> None:
        import hnswlib

        self.dim = dim
        self._index: Any = hnswlib.Index(space="cosine", dim=dim)
        # allow_replace_deleted: slots of deleted chunks are reused, so a long-lived
        # index does not grow without bound under incremental rebuilds.
        self._index.init_index(
            max_elements=max(capacity, MIN_CAPACITY),
            ef_construction=EF_CONSTRUCTION,
            M=M,
            allow_replace_deleted=True,
        )
        self._live = 0

    @classmethod
    def load(cls, path: Path, dim: int, live: int) -> VectorStore:
        """Load a saved index; `live` is the number of non-deleted ids the caller expects."""
        import hnswlib

        self = cls.__new__(cls)
        self.dim = dim
        self._index = hnswlib.Index(space="cosine", dim=dim)
        self._index.load_index(str(path), allow_replace_deleted=True)
        self._live = live
        return self

    @property
    def live(self) -> int:
        return self._live

    def ids(self) -> set[int]:
        return {int(i) for i in self._index.get_ids_list()}

    def add(self, ids: list[int], vectors: numpy.ndarray) -> None:
        if not ids:
            return
        import numpy as np

        idx = self._index
        used = idx.get_current_count()  # includes deleted slots
        free_deleted = used - self._live
        needed = used + max(0, len(ids) - free_deleted)
        if needed > idx.get_max_elements():
            idx.resize_index(max(needed, 2 * idx.get_max_elements()))
        idx.add_items(
            np.asarray(vectors, dtype=np.float32),
            np.asarray(ids, dtype=np.int64),
            num_threads=1,
            replace_deleted=True,
        )
        self._live += len(ids)

    def delete(self, ids: list[int]) -> None:
        for i in ids:
            try:
                self._index.mark_deleted(int(i))
            except RuntimeError:
                continue  # already deleted or never stored (e.g. after a failed embed)
            self._live -= 1

    def search(self, vector: numpy.ndarray, k: int) -> list[tuple[int, float]]:
        """Top-k (id, cosine similarity), best first."""
        k = min(k, self._live)
        if k <= 0:
            return []
        import numpy as np

        # ef must be >= k, and a larger ef compensates for deleted nodes in the graph.
        query = np.asarray(vector, dtype=np.float32).reshape(1, -1)
        self._index.set_ef(max(64, 2 * k))
        try:
            labels, dists = self._index.knn_query(query, k=k, num_threads=1)
        except RuntimeError:
            # Many deleted nodes can leave fewer than k reachable results at this ef;
            # retry with an exhaustive ef before giving up.
            self._index.set_ef(max(k, self._index.get_current_count()))
            labels, dists = self._index.knn_query(query, k=k, num_threads=1)
        return [(int(i), 1.0 - float(d)) for i, d in zip(labels[0], dists[0])]

    def save(self, path: Path) -> None:
        """Write via a temp file + os.replace so readers never see a half-written index."""
        tmp = path.with_name(path.name + ".tmp")
        self._index.save_index(str(tmp))
        os.replace(tmp, path)
