"""The goal mechanism: completion criteria checked independently before the agent may stop.

Criteria are executable (commands that must exit 0, file predicates) and optionally a natural-language
criterion judged by a separate, low-temperature judge call. Every result carries its evidence.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Optional

from pydantic import BaseModel, Field

from mimo_lsp.agent.plan import CheckSpec
from mimo_lsp.llm.port import ChatMessage, ChatModel
from mimo_lsp.llm.structured import complete_structured
from mimo_lsp.workspace import resolve_inside


class GoalCriteria(BaseModel):
    """What must hold when the task is done. Given by the user (trusted: no policy prompt)."""

    commands: list[str] = Field(default_factory=list)
    files: list[CheckSpec] = Field(default_factory=list)
    criterion: Optional[str] = None

    def empty(self) -> bool:
        return not (self.commands or self.files or self.criterion)

    def checks(self) -> list[CheckSpec]:
        return [CheckSpec(command=c) for c in self.commands] + list(self.files)

    @classmethod
    def of(cls, check: str | None = None, criteria: "GoalCriteria | None" = None) -> "GoalCriteria":
        """One acceptance command (older clients' `check`) first, then the given criteria."""
        base = criteria or cls()
        return base.model_copy(update={"commands": [check] + base.commands}) if check else base


class CheckResult(BaseModel):
    check: str  # human label
    passed: bool
    evidence: str = ""
    exit_code: Optional[int] = None


class JudgeVerdict(BaseModel):
    passed: bool
    reason: str = Field(max_length=300)


JUDGE_SYSTEM = """You are a strict reviewer. Decide whether a completion criterion holds, using only the
evidence shown. Reply with JSON: {"passed": true|false, "reason": "one sentence"}. If unsure, passed is false."""


def file_predicate(workspace: Path, spec: CheckSpec) -> CheckResult:
    """A file predicate, evaluated without running anything. Paths outside the workspace fail."""
    assert spec.path is not None
    try:
        path = resolve_inside(workspace, spec.path)
    except (ValueError, OSError) as exc:
        return CheckResult(check=spec.label(), passed=False, evidence=str(exc))
    exists = path.is_file()
    if spec.exists is not None:
        ok = exists == spec.exists
        return CheckResult(check=spec.label(), passed=ok, evidence=f"{spec.path} {'exists' if exists else 'is missing'}")
    if not exists:
        return CheckResult(check=spec.label(), passed=False, evidence=f"{spec.path} is missing")
    text = path.read_text(encoding="utf-8", errors="replace")
    if spec.contains is not None:
        ok = spec.contains in text
        why = "found" if ok else "not found"
    elif spec.not_contains is not None:
        ok = spec.not_contains not in text
        line = next((i + 1 for i, ln in enumerate(text.splitlines()) if spec.not_contains in ln), None)
        why = "absent" if ok else f"still present (line {line})"
    else:
        try:
            ok = re.search(spec.matches or "", text, re.MULTILINE) is not None
            why = "matched" if ok else "no match"
        except re.error as exc:
            ok, why = False, f"bad regex: {exc}"
    return CheckResult(check=spec.label(), passed=ok, evidence=why)


def judge(model: ChatModel, criterion: str, evidence: str, goal: str) -> CheckResult:
    """A separate judge call at temperature 0: its verdict never comes from the agent's own claim."""
    messages = [ChatMessage(role="system", content=JUDGE_SYSTEM),
                ChatMessage(role="user", content=f"Task: {goal}\nCriterion: {criterion}\n\nEvidence:\n{evidence[-3000:]}")]
    try:
        verdict = complete_structured(model, messages, JudgeVerdict, retries=1, max_tokens=160, temperature=0.0)
    except Exception as exc:  # a judge that cannot answer does not pass the criterion
        return CheckResult(check=f"judge: {criterion}", passed=False, evidence=f"judge unavailable: {exc}")
    return CheckResult(check=f"judge: {criterion}", passed=verdict.passed, evidence=verdict.reason)


def summarize_results(results: list[CheckResult]) -> str:
    return "\n".join(f"[{'PASS' if r.passed else 'FAIL'}] {r.check}: {r.evidence[-600:]}" for r in results)


def as_dict(results: list[CheckResult]) -> list[dict[str, Any]]:
    return [r.model_dump() for r in results]


def parse_checks(observation: str) -> list[CheckResult]:
    """Check results as journaled (a `check` action's observation)."""
    return [CheckResult.model_validate(r) for r in json.loads(observation)]


def dump_checks(results: list[CheckResult]) -> str:
    return json.dumps([r.model_dump() for r in results])
