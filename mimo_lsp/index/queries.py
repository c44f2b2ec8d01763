"""Reading the index: hybrid search, status, workspace symbols and the repo map."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from . import hybrid
from .models import SearchHit
from .persistence import embedder_name
from .repomap import rank_definitions, render
from .state import MAX_ERRORS_LISTED
from .symbols import Definition, match_symbols

if TYPE_CHECKING:
    from .embeddings import Embedder
    from .persistence import IndexPersistence
    from .state import IndexState

SNIPPET_LINES = 8


class IndexQueries:
    def __init__(self, state: IndexState, persistence: IndexPersistence, embedder: Embedder,
                 prepare: Callable[[], None]) -> None:
        self.state = state
        self.persistence = persistence
        self.embedder = embedder
        self.prepare = prepare  # load; build first when nothing was ever indexed
        self._map_cache: dict[Any, list[tuple[float, str, int]]] = {}

    def search(self, query: str, k: int = 10, filters: hybrid.SearchFilters | None = None,
               mode: str = "hybrid", fusion: str = hybrid.DEFAULT_FUSION) -> list[SearchHit]:
        if mode not in hybrid.MODES:
            raise ValueError(f"unknown search mode {mode!r}: use one of {', '.join(hybrid.MODES)}")
        if fusion not in hybrid.FUSIONS:
            raise ValueError(f"unknown fusion {fusion!r}: use one of {', '.join(hybrid.FUSIONS)}")
        if not query.strip() or k <= 0:
            return []
        self.prepare()
        state = self.state
        qvec = None
        if mode != "lexical":
            try:
                qvec = self.embedder.embed([query])[0]
            except Exception as exc:
                if mode == "vector":
                    raise
                state.warn(f"query embedding failed, lexical and name matches only: {type(exc).__name__}: {exc}")
        depth = max(hybrid.MIN_DEPTH, 4 * k)
        with state.lock:
            allow = filters.compile(lambda cid: state.chunks[cid].chunk) if filters and not filters.empty() else None
            lists: list[list[tuple[int, float]]] = []
            if mode in ("hybrid", "lexical"):
                lists.append(state.lexical.search(query, depth, allow))
            if qvec is not None and state.vectors is not None:
                lists.append(state.vectors.search(qvec, depth, allow))
            if mode == "hybrid" and hybrid.names_code(query):
                lists.append(state.names.search(query, depth, allow))
            if mode == "hybrid":
                # A chunk edited a moment ago has no vector yet: it is missing from the vector list
                # through no fault of its own, so its lexical rank stands in for its vector rank.
                stand_in = [(cid, s) if cid in state.pending else (-1, s) for cid, s in lists[0]]
                ranked = (hybrid.fuse if fusion == "rrf" else hybrid.combsum)(lists + [stand_in])
                ranked = [(cid, s) for cid, s in ranked if cid != -1]
            else:
                ranked = lists[0] if lists else []
            hits = []
            for cid, score in ranked[:k]:
                rec = state.chunks.get(cid)
                if rec is None:
                    continue
                c = rec.chunk
                hits.append(SearchHit(path=c.path, start_line=c.start_line, end_line=c.end_line, symbol=c.symbol,
                                      kind=c.kind, language=c.language, score=round(float(score), 6),
                                      snippet="\n".join(c.text.split("\n")[:SNIPPET_LINES])))
        return hits

    def status(self) -> dict[str, Any]:
        state = self.state
        with state.lock:
            if not self.persistence.loaded:
                return self.persistence.status_from_disk()
            file_errors = state.file_errors()
            listed = (file_errors + state.warnings)[:MAX_ERRORS_LISTED]
            return {
                "files": len(state.files), "chunks": len(state.chunks), "pending": len(state.pending),
                "embedded": state.vectors.live if state.vectors is not None else 0,
                "errors": len(file_errors) + len(state.warnings), "errorList": listed,
                "embedFailures": state.embed_failures, "lastEmbedError": state.last_embed_error,
                "unsavedBuffers": len(state.buffers), "lastUpdate": state.last_update,
                "dataDir": str(self.persistence.data_dir), "embedder": embedder_name(self.embedder),
            }

    def workspace_symbols(self, query: str, limit: int = 100) -> list[tuple[str, Definition]]:
        with self.state.lock:
            defs = [(p, d) for p, t in self.state.tags.items() for d in t.defs]
        return match_symbols(query, defs, limit)

    def repo_map(self, token_budget: int = 1024, focus: Iterable[str] = ()) -> str:
        """Outline of the most referenced definitions. `focus`: paths (personalize the ranking
        towards them) and/or identifiers (boost definitions with those names)."""
        self.prepare()
        state = self.state
        focus = tuple(focus)
        with state.lock:
            files = tuple(f for f in focus if f in state.tags)
            names = tuple(f for f in focus if f not in state.tags)
            key = (state.generation, files, names)
            ranked = self._map_cache.get(key)
            tags = dict(state.tags)
        if ranked is None:
            ranked = rank_definitions(tags, files, names)
            with state.lock:
                self._map_cache = {key: ranked}  # one entry: a new generation invalidates the rest
        return render(tags, ranked, token_budget)
