"""The index's in-memory parts on their own: the embedding queue's order and IndexState's chunk swap."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mimo_lsp.index.chunker import chunk_file
from mimo_lsp.index.embed_queue import PendingQueue
from mimo_lsp.index.records import embed_hash, embed_text
from mimo_lsp.index.state import IndexState
from mimo_lsp.index.vectors import VectorStore


def test_pending_queue_gives_the_highest_priority_first_and_skips_stale_entries():
    q = PendingQueue()
    for cid, prio in [(1, 10.0), (2, 30.0), (3, 20.0)]:
        q.push(cid, prio)
    q.push(1, 40.0)  # re-queued (edited again): its old entry is stale
    q.discard(3)  # dropped
    texts = {1: "one", 2: "two", 3: "three"}
    assert q.peek(10, texts.__getitem__) == [(1, "one"), (2, "two")]
    assert len(q) == 2 and 1 in q and 3 not in q
    assert q.peek(1, texts.__getitem__) == [(1, "one")]  # peeking leaves them queued
    q.discard(1)
    assert q.peek(10, texts.__getitem__) == [(2, "two")]


SOURCE = "def alpha():\n    return 1\n\n\ndef beta():\n    return 2\n"


def test_swap_keeps_unchanged_chunks_and_reuses_vectors_of_returning_text(tmp_path: Path):
    state = IndexState(tmp_path)
    state.vectors = VectorStore(4)
    first = chunk_file("m.py", SOURCE)
    ids = state.swap_chunks("m.py", first, [embed_hash(c) for c in first], persisted=True, priority=1.0)
    assert sorted(state.by_path["m.py"]) == sorted(ids) and len(state.pending) == len(ids)
    by_symbol = {state.chunks[i].chunk.symbol: i for i in ids}
    vec = np.eye(4, dtype=np.float32)[:1]
    state.vectors.add([by_symbol["alpha"]], vec)  # alpha got its vector
    state.pending.discard(by_symbol["alpha"])

    # beta changes: alpha keeps its id and vector, beta gets a new id waiting for a vector.
    edited = chunk_file("m.py", SOURCE.replace("return 2", "return 3"))
    ids2 = state.swap_chunks("m.py", edited, [embed_hash(c) for c in edited], persisted=True, priority=2.0)
    by_symbol2 = {state.chunks[i].chunk.symbol: i for i in ids2}
    assert by_symbol2["alpha"] == by_symbol["alpha"] and state.vectors.has(by_symbol["alpha"])
    assert by_symbol2["beta"] != by_symbol["beta"] and by_symbol["beta"] not in state.chunks
    assert by_symbol2["beta"] in state.pending and by_symbol["beta"] not in state.pending
    assert embed_text(state.chunks[by_symbol2["beta"]].chunk).endswith("return 3")

    # alpha removed, then back (undo): its vector comes back without embedding.
    without = chunk_file("m.py", SOURCE.split("\n\n\n")[1])
    state.swap_chunks("m.py", without, [embed_hash(c) for c in without], persisted=True, priority=3.0)
    assert by_symbol["alpha"] not in state.chunks and not state.vectors.has(by_symbol["alpha"])
    back = chunk_file("m.py", SOURCE.replace("return 2", "return 3"))
    ids3 = state.swap_chunks("m.py", back, [embed_hash(c) for c in back], persisted=True, priority=4.0)
    alpha3 = next(i for i in ids3 if state.chunks[i].chunk.symbol == "alpha")
    assert alpha3 not in state.pending and np.allclose(state.vectors.get([alpha3]), vec)

    rows = state.rows(ids3)
    assert {r.id for r in rows} == set(ids3)
    assert [r.vec is not None for r in rows] == [i == alpha3 for i in ids3]
    state.remove_file("m.py")
    assert not state.chunks and "m.py" not in state.by_path and not state.pending
