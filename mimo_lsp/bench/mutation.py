"""Wrong-value mutants of a task family's reference steps, and whether the family's own checks catch them.

Stdlib only (benchmarks/long_horizon/mutate.py runs it with any python3). Used by the mutation tool and by
the noisy oracle's sticky misconceptions (`errors.py`), so a misconception is always a mutant of this kind.

A mutant is one line of the text a reference step wrote changed in one place. "Wrote": the lines of its
`write_file` content or `edit_file` replacement that were not there before (a diff against the file before
the step, or against the edit's search text), so context a step carries along is not attributed to it.
Kinds:
- Python: a number (n -> n + 1; a default value in a `def` line is kind `default`), a comparison
  (`<` <-> `<=`, `==` <-> `!=`, `is` -> `is not`, ...), an arithmetic operator (`+` <-> `-`, `*` -> `+`,
  `//` -> `/`, ...), a boolean (`and` <-> `or`, `True` <-> `False`, `not` dropped), a name (another name
  of the same step: `user.name` -> `user.email`, `min` <-> `max`), a string literal (its first letter;
  digits inside it are `number` mutants; names inside f-string braces are `name` mutants). Docstrings,
  comments and import lines are left alone.
- Markdown / text: a number (each digit run), a name (identifiers in code spans and blocks, and
  snake_case or dotted names anywhere), a command (an argument of a `python3 ...`-style command line or
  span changed to another word of the same document, or a flag renamed).

Where it is judged: the mutated line is located in the workspace state right after the step's node (a
window of the step's lines, grown until it is unique there) and in the final state. The node's own checks
run on the mutated node state; if they pass and the line is still in the final state, every node check and
the goal run on the mutated final state. A mutant that passes everything survives: at level `final` (the
wrong value is in the finished workspace and the harness would count the task complete) or `node` (its
node accepted it and a later step overwrote it). A line no longer present after its node is `overwritten`
and not counted.
"""

from __future__ import annotations

import difflib
from typing import Any

from mimo_lsp.bench.mutation_docs import doc_mutants, doc_vocabulary
from mimo_lsp.bench.mutation_ops import LineMutant, code_mutants

__all__ = ["CODE_KINDS", "DOC_KINDS", "EFFECT", "LineMutant", "code_mutants", "doc_mutants", "is_doc", "locate",
           "step_mutants", "step_text", "substitute", "written_lines"]

EFFECT = ("write_file", "edit_file")
CODE_KINDS = ("number", "default", "compare", "arith", "bool", "name", "string")
DOC_KINDS = ("number", "name", "command")
_DOC_SUFFIXES = (".md", ".rst", ".txt")


def step_text(step: dict[str, Any]) -> str | None:
    if step.get("tool") == "write_file":
        return step["content"]
    if step.get("tool") == "edit_file":
        return step["replace"]
    return None


def is_doc(path: str) -> bool:
    return path.endswith(_DOC_SUFFIXES)


def written_lines(step: dict[str, Any], before: str | None) -> set[int]:
    """Indexes of the lines of the step's text that it adds or changes (not context it carries along)."""
    lines = (step_text(step) or "").split("\n")
    old = (step["search"] if step["tool"] == "edit_file" else (before or "")).split("\n")
    out: set[int] = set()
    for tag, _, _, j1, j2 in difflib.SequenceMatcher(a=old, b=lines, autojunk=False).get_opcodes():
        if tag in ("replace", "insert"):
            out.update(range(j1, j2))
    return out


def step_mutants(step: dict[str, Any], doc_text: str | None = None, before: str | None = None) -> list[LineMutant]:
    """Line mutants of what one reference step writes (Python or docs; other files: none). `before`: the
    file before the step (for a `write_file`), so that only the lines it adds or changes are mutated."""
    text = step_text(step)
    if not text:
        return []
    if step["path"].endswith(".py"):
        found = code_mutants(text)
    elif is_doc(step["path"]):
        found = doc_mutants(text, doc_vocabulary(doc_text) if doc_text else None)
    else:
        return []
    new = written_lines(step, before)
    return [m for m in found if m.line in new]


# ------------------------------------------------------------------ locating a mutated line in a state

def _count_lines(haystack: str, needle: str) -> int:
    return ("\n" + haystack + "\n").count("\n" + needle + "\n")


def locate(lines: list[str], i: int, states: list[str]) -> tuple[int, int] | None:
    """The smallest window [a, b) of `lines` around line i that occurs exactly once, on line boundaries,
    in every state of `states`; None when there is none."""
    n = len(lines)
    a, b = i, i + 1
    while True:
        window = "\n".join(lines[a:b])
        counts = [_count_lines(s, window) for s in states]
        if all(c == 1 for c in counts):
            return a, b
        if any(c == 0 for c in counts) or (a == 0 and b == n):
            return None
        if a > 0 and (b == n or (i - a) <= (b - 1 - i)):
            a -= 1
        else:
            b += 1


def substitute(state: str, old: str, new: str) -> str:
    wrapped = ("\n" + state + "\n").replace("\n" + old + "\n", "\n" + new + "\n", 1)
    return wrapped[1:-1]
