"""Workspace context for the planner: the ranked repo map plus the chunks that match the goal, within a
token budget. Parse-only (lexical and symbol data): it never waits for embeddings."""

from __future__ import annotations

import re
from typing import Callable

from mimo_lsp.index.searcher import IndexSearcher

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")


def planner_context(searcher: IndexSearcher, goal: str, budget_tokens: int, hits: int = 5) -> str:
    index = searcher.index
    index.ensure_loaded()
    index.scan()  # incremental: only files whose content changed are parsed again
    focus = _IDENT.findall(goal)
    matches = searcher.search(goal, hits, mode="lexical")
    lines = [f"- {h.path}:{h.start_line}-{h.end_line} {h.symbol or ''}".rstrip() for h in matches]
    found = ("Code matching the goal:\n" + "\n".join(lines) + "\n\n") if lines else ""
    spent = len(found) // 4
    return found + "Repository map (most referenced definitions first):\n" + searcher.repo_map(
        max(64, budget_tokens - spent), focus)


def context_for(searcher: object) -> Callable[[str, int], str] | None:
    """The AgentTask `context` callback for a searcher, or None when it is not an index searcher."""
    if not isinstance(searcher, IndexSearcher):
        return None
    return lambda goal, budget: planner_context(searcher, goal, budget)
