"""One Max Mode candidate: a sampled solution made in its own scratch tree and checked there.

`function` candidates are what a small model can do: one call that rewrites the target function in a
code block (`edit_format`), applied in the scratch tree. `agent` candidates are whole agent runs in the
scratch tree (the caller supplies them). Either way the task's executable checks then run in that tree,
sandboxed like every command.
"""

from __future__ import annotations

import difflib
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from mimo_lsp.agent.checks import evaluate_checks
from mimo_lsp.agent.goal import CheckResult, GoalCriteria
from mimo_lsp.llm.port import ChatMessage, ChatModel, ModelError
from mimo_lsp.maxmode import edit_format as ef
from mimo_lsp.maxmode.scratch import ScratchTree
from mimo_lsp.workspace import FileSelection, iter_files

_FILE = re.compile(r"[\w./-]+\.\w+")


@dataclass
class Candidate:
    id: int
    round: int
    temperature: float
    outcome: str = "pending"  # passed | failed | no_change | error
    checks_passed: bool = False
    checks: list[CheckResult] = field(default_factory=list)
    tokens: int = 0
    seconds: float = 0.0
    changes: dict[str, bytes | None] = field(default_factory=dict)
    diff: str = ""
    summary: str = ""

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "round": self.round, "temperature": self.temperature, "outcome": self.outcome,
                "checks_passed": self.checks_passed, "tokens": self.tokens, "seconds": round(self.seconds, 3),
                "diff": self.diff, "summary": self.summary,
                "checks": [c.model_dump(exclude={"evidence"}) for c in self.checks]}


def unified(changes: dict[str, bytes | None], base: dict[str, bytes]) -> str:
    out: list[str] = []
    for rel, new in sorted(changes.items()):
        old = base.get(rel, b"").decode("utf-8", "replace").splitlines(keepends=True)
        new_lines = (new or b"").decode("utf-8", "replace").splitlines(keepends=True)
        out += difflib.unified_diff(old, new_lines, f"a/{rel}", f"b/{rel}")
    return "".join(out)


def target_file(goal: str, workspace: Path) -> str | None:
    """The file a function-format candidate edits: the first existing file the goal names, else the one
    non-test Python file, else the Python file whose functions the goal relates to most."""
    for name in _FILE.findall(goal):
        if (workspace / name).is_file():
            return name
    sources = [rel for rel, _ in iter_files(workspace, FileSelection(workspace))
               if ef.is_python(rel) and not Path(rel).name.startswith("test") and "/tests/" not in f"/{rel}"]
    if len(sources) == 1:
        return sources[0]
    best, score = None, 0
    words = {w.lower() for w in re.findall(r"[A-Za-z_]{3,}", goal)}
    for rel in sources:
        try:
            names = {f.name.lower() for f in ef.python_functions((workspace / rel).read_text(encoding="utf-8"))}
        except (OSError, SyntaxError, UnicodeDecodeError):
            continue
        s = len(words & names)
        if s > score:
            best, score = rel, s
    return best


def run_checks(tree: Path, criteria: GoalCriteria, run_command: Callable[[str, Path], dict[str, Any]]
               ) -> list[CheckResult]:
    """The task's completion criteria (the user's: trusted) in a candidate's tree."""
    return evaluate_checks(criteria.checks(), tree, lambda command: run_command(command, tree), None)


def build_candidate(cand: Candidate, tree: ScratchTree, make: Callable[[Candidate, ScratchTree], None],
                    criteria: GoalCriteria, run_command: Callable[[str, Path], dict[str, Any]]) -> bool:
    """Make one candidate in its scratch tree, then check it there: the same in process and on a Ray worker.
    Returns whether checks ran (the caller reports them)."""
    make(cand, tree)
    if cand.outcome == "error":
        return False
    cand.changes = tree.changes()
    cand.diff = unified(cand.changes, tree.files)
    if not cand.changes:
        cand.outcome = "no_change"
        return False
    ran = bool(criteria.checks())
    if ran:
        cand.checks = run_checks(tree.root, criteria, run_command)
        cand.checks_passed = all(c.passed for c in cand.checks)
    cand.outcome = "passed" if cand.checks_passed else "failed"
    return ran


class FunctionCandidates:
    """Makes function-format candidates: one model call each, greedy first, then samples."""

    def __init__(self, model: ChatModel, goal: str, workspace: Path, max_tokens: int,
                 cancel: threading.Event | None = None, on_token: Callable[[str], None] | None = None,
                 rel: str | None = None) -> None:
        self.model, self.goal, self.workspace = model, goal, workspace
        self.max_tokens, self.cancel, self.on_token = max_tokens, cancel, on_token
        self.rel = rel if rel is not None else target_file(goal, workspace)  # given: chosen by the coordinator

    def make(self, cand: Candidate, tree: ScratchTree) -> None:
        if self.rel is None:
            cand.outcome, cand.summary = "error", "no target file: name the file in the goal"
            return
        text = (tree.root / self.rel).read_text(encoding="utf-8")
        try:
            target = ef.find_target(self.goal, self.rel, text)
        except ef.EditFormatError as exc:
            cand.outcome, cand.summary = "error", f"no target in {self.rel}: {exc}"
            return
        examples = ef.examples_for(cand.id)
        messages = [ChatMessage(role=m["role"], content=m["content"])  # type: ignore[arg-type]
                    for m in ef.build_messages(self.goal, self.rel, text, target, examples=examples)]
        try:
            reply = self.model.complete(messages, max_tokens=self.max_tokens, temperature=cand.temperature,
                                        on_token=self.on_token)
        except ModelError as exc:
            cand.outcome, cand.summary = "error", f"model error: {exc}"
            return
        cand.tokens = reply.prompt_tokens + reply.completion_tokens
        try:
            applied = ef.apply_reply(self.rel, text, reply.text, target)
        except ef.EditFormatError as exc:
            cand.outcome, cand.summary = "error", f"unusable reply: {exc}"
            return
        (tree.root / self.rel).write_text(applied.text, encoding="utf-8")
        cand.summary = f"rewrote {', '.join(applied.replaced) or target.name or self.rel} in {self.rel}"

