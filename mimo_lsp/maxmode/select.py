"""Choosing among Max Mode candidates, and how far they agree.

Checks outrank the judge: a candidate that passes every executable check is never passed over for one
that fails. Among the passing ones (or, when none passes, among all that changed something) a judge call
at temperature 0 picks; with one eligible candidate no judge is needed.

Convergence: the share of candidates whose change set, whitespace ignored, equals the pick's
(`normalized`). 1.0 = every candidate made the same fix; 0.2 of five = the pick stands alone.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from mimo_lsp.llm.port import ChatMessage, ChatModel, ModelError
from mimo_lsp.llm.structured import complete_structured
from mimo_lsp.maxmode.candidates import Candidate
from mimo_lsp.maxmode.scratch import normalized


class JudgePick(BaseModel):
    pick: int = Field(ge=1, le=16, description="the number of the best candidate")
    reason: str = Field(max_length=300)


JUDGE_SYSTEM = ("You review candidate changes for one coding task. Prefer a candidate whose checks pass, "
                "then the smallest correct change. Reply with JSON: {\"pick\": N, \"reason\": \"one sentence\"}.")


def eligible(cands: list[Candidate]) -> list[Candidate]:
    passing = [c for c in cands if c.checks_passed and c.changes]
    return passing or [c for c in cands if c.changes and c.outcome != "error"]


def choose(cands: list[Candidate], judge: ChatModel | None, goal: str) -> tuple[Candidate | None, str, bool]:
    """(pick, reason, judged). None when no candidate changed anything."""
    pool = eligible(cands)
    if not pool:
        return None, "no candidate produced a usable change", False
    if len(pool) == 1 or judge is None:
        why = "the only candidate that passes every check" if pool[0].checks_passed else "the only usable candidate"
        return pool[0], why if len(pool) == 1 else f"the first of {len(pool)} equally checked candidates", False
    groups: dict[Any, list[Candidate]] = {}
    for c in pool:
        groups.setdefault(normalized(c.changes), []).append(c)
    if len(groups) == 1:
        return pool[0], f"all {len(pool)} eligible candidates made the same change", False
    shown = "\n\n".join(f"Candidate {i}: checks {'PASS' if c.checks_passed else 'FAIL'}; {c.summary}\n{c.diff[:1500]}"
                        for i, c in enumerate(pool, start=1))
    messages = [ChatMessage(role="system", content=JUDGE_SYSTEM),
                ChatMessage(role="user", content=f"Task: {goal}\n\n{shown}\n\nWhich candidate is best?")]
    try:
        verdict = complete_structured(judge, messages, JudgePick, max_tokens=160, temperature=0.0, retries=1)
    except ModelError as exc:
        return pool[0], f"judge unavailable ({exc}); the first eligible candidate", False
    index = min(max(verdict.pick, 1), len(pool)) - 1
    return pool[index], verdict.reason or f"the judge picked candidate {index + 1}", True


def convergence(cands: list[Candidate], pick: Candidate | None) -> float:
    if pick is None or not cands:
        return 0.0
    key = normalized(pick.changes)
    return round(sum(1 for c in cands if c.changes and normalized(c.changes) == key) / len(cands), 3)
