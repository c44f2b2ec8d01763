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
import keyword
import os
import re
import shutil
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from mimo_lsp.bench.family import check_passes, topo_nodes

EFFECT = ("write_file", "edit_file")
CODE_KINDS = ("number", "default", "compare", "arith", "bool", "name", "string")
DOC_KINDS = ("number", "name", "command")

_PY_TOKEN = re.compile(r"""
    (?P<comment>\#.*$)
  | (?P<string>(?:[rRbBuUfF]{0,2})(?:'''|\"\"\"|'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"))
  | (?P<number>\d+\.\d+|\d+)
  | (?P<name>[A-Za-z_]\w*)
  | (?P<op>\*\*=?|//=?|>>=?|<<=?|<=|>=|==|!=|->|:=|[-+*/%&|^~<>=]=?|[()\[\]{},.:;@])
  | (?P<space>\s+)
  | (?P<other>.)
""", re.VERBOSE)
COMPARE = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}
ARITH = {"+": "-", "-": "+", "*": "+", "/": "*", "//": "/", "%": "//", "+=": "-=", "-=": "+=", "**": "*"}
BOOL = {"and": "or", "or": "and", "True": "False", "False": "True"}
SWAP_NAMES = {"min": "max", "max": "min", "any": "all", "all": "any"}
_SKIP_NAMES = set(keyword.kwlist) | {"self", "cls", "None"}
_DOC_SUFFIXES = (".md", ".rst", ".txt")
_COMMANDS = ("python3", "python", "pip", "mimo", "$")


@dataclass(frozen=True)
class LineMutant:
    kind: str
    line: int  # index in the step's text
    new: str   # the whole new line
    what: str  # e.g. "'<' -> '<='"


# ------------------------------------------------------------------ Python lines

def _py_tokens(line: str) -> list[tuple[str, str, int]]:
    out = []
    pos = 0
    while pos < len(line):
        m = _PY_TOKEN.match(line, pos)
        if m is None:  # pragma: no cover - `other` matches any character
            break
        kind = m.lastgroup or "other"
        out.append((kind, m.group(), pos))
        pos = m.end()
    return out


def _bump_letter(text: str) -> str | None:
    """The first letter changed to the next one (same case)."""
    for i, ch in enumerate(text):
        if ch.isalpha() and ch.isascii():
            base = "a" if ch.islower() else "A"
            new = chr((ord(ch) - ord(base) + 1) % 26 + ord(base))
            return text[:i] + new + text[i + 1:]
    return None


def _digit_runs(text: str, offset: int) -> Iterable[tuple[int, int, str]]:
    for m in re.finditer(r"\d+", text):
        yield offset + m.start(), offset + m.end(), str(int(m.group()) + 1)


def _split_fstring(body: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(literal spans, expression spans) of an f-string body; format specs count as literal."""
    literal, exprs = [], []
    i, start = 0, 0
    while i < len(body):
        if body.startswith("{{", i) or body.startswith("}}", i):
            i += 2
            continue
        if body[i] == "{":
            literal.append((start, i))
            depth, j = 1, i + 1
            while j < len(body) and depth:
                depth += {"{": 1, "}": -1}.get(body[j], 0)
                j += 1
            inner = body[i + 1:j - 1]
            cut = re.search(r"[:!](?![=])", inner)
            end_expr = i + 1 + (cut.start() if cut else len(inner))
            exprs.append((i + 1, end_expr))
            start = end_expr
            i = j
            continue
        i += 1
    literal.append((start, len(body)))
    return literal, exprs


def python_line_mutants(line: str, names: dict[str, list[str]], in_def: bool = False) -> list[tuple[str, str, str]]:
    """(kind, new line, what) for one line of Python code (not a docstring / comment line)."""
    out: list[tuple[str, str, str]] = []
    stripped = line.strip()
    if not stripped or stripped.startswith(("#", "import ", "from ")) or stripped.startswith(("'''", '"""')):
        return out
    in_def = in_def or stripped.startswith(("def ", "class ", "async def "))
    toks = _py_tokens(line)
    code = [t for t in toks if t[0] not in ("space", "comment")]

    def put(kind: str, start: int, end: int, new: str) -> None:
        old = line[start:end]
        out.append(("default" if in_def and kind in ("number", "string", "bool") else kind,
                    line[:start] + new + line[end:], f"{old!r} -> {new!r}"))

    def name_swap(tok: str, start: int, attr: bool) -> None:
        if tok in SWAP_NAMES:
            put("name", start, start + len(tok), SWAP_NAMES[tok])
            return
        pool = names["attr" if attr else "bare"]
        others = [n for n in pool if n != tok]
        if others:
            later = [n for n in others if n > tok]
            put("name", start, start + len(tok), (later or others)[0])

    def expr_mutants(text: str, offset: int) -> None:
        for kind, tok, pos in _py_tokens(text):
            start = offset + pos
            if kind == "number" and "." not in tok:
                put("number", start, start + len(tok), str(int(tok) + 1))
            elif kind == "name" and tok not in _SKIP_NAMES:
                prev = text[:pos].rstrip()
                name_swap(tok, start, prev.endswith("."))
            elif kind == "op" and tok in COMPARE:
                put("compare", start, start + len(tok), COMPARE[tok])
            elif kind == "op" and tok in ARITH:
                put("arith", start, start + len(tok), ARITH[tok])

    for idx, (kind, tok, start) in enumerate(code):
        end = start + len(tok)
        prev = code[idx - 1][1] if idx else ""
        if kind == "number":
            if "." in tok:
                digits = tok.rstrip("0") or tok
                new = digits[:-1] + str((int(digits[-1]) + 1) % 10) if digits[-1].isdigit() else tok + "1"
                put("number", start, end, new)
            else:
                put("number", start, end, str(int(tok) + 1))
        elif kind == "string":
            if idx == 0 and len(code) == 1:
                continue  # a bare string statement: a docstring
            prefix = re.match(r"[rRbBuUfF]*", tok).group()
            quote = tok[len(prefix)]
            body_start = start + len(prefix) + (3 if tok[len(prefix):].startswith(quote * 3) else 1)
            body_end = end - (body_start - start - len(prefix))
            body = line[body_start:body_end]
            if "f" in prefix.lower():
                literal, exprs = _split_fstring(body)
                for a, b in literal:
                    for s, e, new in _digit_runs(body[a:b], body_start + a):
                        put("number", s, e, new)
                for a, b in exprs:
                    expr_mutants(body[a:b], body_start + a)
                for a, b in literal:
                    bumped = _bump_letter(body[a:b])
                    if bumped is not None:
                        put("string", body_start + a, body_start + b, bumped)
                        break
            else:
                for s, e, new in _digit_runs(body, body_start):
                    put("number", s, e, new)
                bumped = _bump_letter(body)
                if bumped is not None:
                    put("string", body_start, body_end, bumped)
                elif not body:
                    put("string", body_start, body_end, " ")
        elif kind == "name":
            if tok in BOOL and tok in ("True", "False"):
                put("bool", start, end, BOOL[tok])
            elif tok in ("and", "or"):
                put("bool", start, end, BOOL[tok])
            elif tok == "not" and prev != "is":
                nxt = line[end:]
                put("bool", start, end + (len(nxt) - len(nxt.lstrip(" "))), "")
            elif tok == "is":
                nxt = code[idx + 1][1] if idx + 1 < len(code) else ""
                if nxt == "not":
                    put("compare", start, code[idx + 1][2] + 3, "is")
                else:
                    put("compare", start, end, "is not")
            elif tok == "in" and prev != "not" and not re.search(r"\bfor\b", line[:start]):
                put("compare", start, end, "not in")
            elif tok in _SKIP_NAMES or tok in BOOL:
                continue
            elif in_def:
                continue  # the function's own name and parameters: renaming them is not a wrong value
            else:
                name_swap(tok, start, prev == ".")
        elif kind == "op" and not in_def:
            if tok in COMPARE:
                put("compare", start, end, COMPARE[tok])
            elif tok in ARITH:
                if tok in ("*", "**") and prev in ("(", ",", ""):
                    continue  # *args / **kwargs
                put("arith", start, end, ARITH[tok])
    return out


def python_names(text: str) -> dict[str, list[str]]:
    """Bare names and attribute names used in a step's code: the pools name mutants draw from."""
    bare: set[str] = set()
    attr: set[str] = set()
    for line in text.splitlines():
        if line.strip().startswith(("#", "import ", "from ")):
            continue
        prev = ""
        for kind, tok, _ in _py_tokens(line):
            if kind == "name" and tok not in _SKIP_NAMES and tok not in BOOL:
                (attr if prev == "." else bare).add(tok)
            if kind not in ("space",):
                prev = tok
    return {"bare": sorted(bare), "attr": sorted(attr)}


def _docstring_lines(lines: list[str]) -> set[int]:
    """Indexes of lines inside (or opening / closing) a triple-quoted string."""
    inside, quote, out = False, "", set()
    for i, line in enumerate(lines):
        text = line
        if inside:
            out.add(i)
            if quote in text:
                inside = False
            continue
        m = re.search(r"(?:^|[^\w])[rRbBuU]?('''|\"\"\")", text)
        if m:
            q = m.group(1)
            rest = text[m.end():]
            if text.strip().startswith(("'''", '"""', "r'''", 'r"""')) or q not in rest:
                out.add(i)
            if q not in rest:
                inside, quote = True, q
    return out


def code_mutants(text: str) -> list[LineMutant]:
    lines = text.split("\n")
    skip = _docstring_lines(lines)
    names = python_names(text)
    out: list[LineMutant] = []
    in_def = False
    for i, line in enumerate(lines):
        if i in skip:
            continue
        stripped = line.strip()
        if stripped.startswith(("def ", "async def ", "class ")):
            in_def = not stripped.rstrip().endswith(":") or stripped.count("(") > stripped.count(")")
            for kind, new, what in python_line_mutants(line, names, in_def=True):
                out.append(LineMutant(kind, i, new, what))
            continue
        if in_def:  # a multi-line signature
            in_def = not stripped.endswith(":")
            for kind, new, what in python_line_mutants(line, names, in_def=True):
                out.append(LineMutant(kind, i, new, what))
            continue
        for kind, new, what in python_line_mutants(line, names):
            out.append(LineMutant(kind, i, new, what))
    return out


# ------------------------------------------------------------------ documentation lines

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


def _code_regions(lines: list[str]) -> tuple[set[int], dict[int, list[tuple[int, int]]]]:
    """(fenced code lines, inline code spans per line)."""
    fenced: set[int] = set()
    spans: dict[int, list[tuple[int, int]]] = {}
    inside = False
    for i, line in enumerate(lines):
        if line.strip().startswith("```"):
            inside = not inside
            continue
        if inside:
            fenced.add(i)
            continue
        spans[i] = [(m.start() + 1, m.end() - 1) for m in re.finditer(r"`[^`]+`", line)]
    return fenced, spans


def _is_command(text: str) -> bool:
    words = text.strip().split()
    return bool(words) and (words[0] in _COMMANDS or words[0].startswith("python3"))


def doc_vocabulary(text: str) -> dict[str, list[str]]:
    lines = text.split("\n")
    fenced, spans = _code_regions(lines)
    names: set[str] = set()
    args: set[str] = set()
    flags: set[str] = set()
    for i, line in enumerate(lines):
        pieces = [line] if i in fenced else [line[a:b] for a, b in spans.get(i, [])]
        for piece in pieces:
            if _is_command(piece):
                words = piece.strip().split()
                for w in words[1:]:
                    (flags if w.startswith("-") else args).add(w)
            for m in _IDENT.finditer(piece):
                if len(m.group()) >= 3 and m.group() not in keyword.kwlist:
                    names.add(m.group())
        for m in _IDENT.finditer(line):
            if "_" in m.group().strip("_") or "." in m.group():
                names.add(m.group())
    return {"names": sorted(names), "args": sorted(args), "flags": sorted(flags)}


def _other(pool: list[str], tok: str) -> str | None:
    others = [n for n in pool if n != tok]
    later = [n for n in others if n > tok]
    return (later or others)[0] if others else None


def doc_mutants(text: str, vocab: dict[str, list[str]] | None = None) -> list[LineMutant]:
    lines = text.split("\n")
    vocab = vocab or doc_vocabulary(text)
    fenced, spans = _code_regions(lines)
    out: list[LineMutant] = []
    for i, line in enumerate(lines):
        if line.strip().startswith("```") or set(line.strip()) <= set("|- "):
            continue

        def put(kind: str, start: int, end: int, new: str, i: int = i, line: str = line) -> None:
            out.append(LineMutant(kind, i, line[:start] + new + line[end:], f"{line[start:end]!r} -> {new!r}"))

        regions = [(0, len(line))] if i in fenced else spans.get(i, [])
        for a, b in regions:  # commands first: their words are command mutants, not names
            piece = line[a:b]
            if not _is_command(piece):
                continue
            words = list(re.finditer(r"\S+", piece))
            base = 1 if words[0].group() == "$" else 0  # a console prompt
            skip = base + 1
            if len(words) > base + 2 and words[base + 1].group() == "-m":
                skip = base + 3
            for w in words[skip:]:
                tok = w.group()
                if re.fullmatch(r"[\d.]+", tok) or tok.startswith(("'", '"', "<", "[")):
                    continue
                new = (_other(vocab["flags"], tok) or tok + "s") if tok.startswith("-") else (
                    _other(vocab["args"], tok) or tok + "s")
                put("command", a + w.start(), a + w.end(), new)
        command_spans = [(a, b) for a, b in regions if _is_command(line[a:b])]

        def in_command(pos: int, command_spans: list[tuple[int, int]] = command_spans) -> bool:
            return any(a <= pos < b for a, b in command_spans)

        for s, e, new in _digit_runs(line, 0):
            put("number", s, e, new)
        if i in fenced and re.search(r"\s#\s", line):  # a comment in a code block is prose
            cut = re.search(r"\s#\s", line).start()
            regions = [(0, cut)]
        code_at = [(a, b) for a, b in regions]
        for m in _IDENT.finditer(line):
            tok, s = m.group(), m.start()
            if in_command(s) or tok in keyword.kwlist or len(tok) < 3:
                continue
            in_code = any(a <= s < b for a, b in code_at)
            if not in_code and not ("_" in tok.strip("_") or "." in tok):
                continue
            if s > 0 and line[s - 1].isdigit():
                continue
            new = _other(vocab["names"], tok)
            if new:
                put("name", s, m.end(), new)
    return out


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


# ------------------------------------------------------------------ the family replayed in memory

def _apply(files: dict[str, str], step: dict[str, Any]) -> None:
    if step["tool"] == "write_file":
        files[step["path"]] = step["content"]
    elif step["tool"] == "edit_file":
        files[step["path"]] = files.get(step["path"], "").replace(step["search"], step["replace"], 1)


@dataclass
class Mutant:
    node: str
    step: int          # index of the step within its node
    path: str
    kind: str
    what: str
    old: str           # the located window
    new: str
    in_node: bool
    in_final: bool
    verdict: str = ""  # killed_node | killed_final | survived_node | survived_final
    detail: str = ""

    def public(self) -> dict[str, Any]:
        return {"node": self.node, "step": self.step, "path": self.path, "kind": self.kind, "what": self.what,
                "line": self.new.split("\n")[-1] if self.new else "", "level": self.verdict.split("_")[-1],
                "old": self.old, "new": self.new}


@dataclass
class FamilyMutants:
    family: dict[str, Any]
    include_tests: bool = False
    mutants: list[Mutant] = field(default_factory=list)
    overwritten: int = 0

    def __post_init__(self) -> None:
        order = topo_nodes(self.family)
        files = dict(self.family["files"])
        self.after_node: dict[str, dict[str, str]] = {}
        steps: list[tuple[dict[str, Any], int, dict[str, Any], str | None]] = []
        for node in order:
            for j, step in enumerate(node["steps"]):
                before = files.get(step.get("path", ""))
                _apply(files, step)
                steps.append((node, j, step, before))
            self.after_node[node["id"]] = dict(files)
        self.final = files
        self.order = order
        seen: set[tuple[str, str, str]] = set()
        for node, j, step, before in steps:
            if step["tool"] not in EFFECT or (step["path"].startswith("tests/") and not self.include_tests):
                continue
            text = step_text(step) or ""
            lines = text.split("\n")
            path = step["path"]
            node_state = self.after_node[node["id"]].get(path, "")
            final_state = self.final.get(path, "")
            for lm in step_mutants(step, doc_text=final_state or node_state, before=before):
                in_node = _count_lines(node_state, lines[lm.line]) > 0
                in_final = _count_lines(final_state, lines[lm.line]) > 0
                states = [s for s, present in ((node_state, in_node), (final_state, in_final)) if present]
                where = locate(lines, lm.line, states) if states else None
                if where is None:
                    self.overwritten += 1
                    continue
                a, b = where
                old = "\n".join(lines[a:b])
                new = "\n".join(lines[a:lm.line] + [lm.new] + lines[lm.line + 1:b])
                key = (path, old, new)
                if key in seen or old == new:
                    continue
                seen.add(key)
                self.mutants.append(Mutant(node["id"], j, path, lm.kind, lm.what, old, new, in_node, in_final))


class _Workdir:
    """A directory kept equal to a given file state with as few writes as possible."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.current: dict[str, str] = {}

    def sync(self, state: dict[str, str]) -> None:
        for rel in set(self.current) - set(state):
            (self.root / rel).unlink(missing_ok=True)
        for rel, text in state.items():
            if self.current.get(rel) != text:
                p = self.root / rel
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_text(text, encoding="utf-8", newline="")
        self.current = dict(state)


def _checks_pass(workdir: Path, checks: list[dict[str, Any]], timeout: float) -> tuple[bool, str]:
    preds = [c for c in checks if "command" not in c]
    cmds = [c for c in checks if "command" in c]
    for check in preds + cmds:  # predicates first: they cost nothing
        ok, out = check_passes(workdir, check, timeout)
        if not ok:
            return False, out.splitlines()[0][:200] if out else "failed"
    return True, ""


def final_checks(family: dict[str, Any]) -> list[dict[str, Any]]:
    """The harness's verdict (bench/long_horizon.evaluate): the goal and every node's checks, each once."""
    goal = family.get("goal", {})
    out: list[dict[str, Any]] = [{"command": c} for c in goal.get("commands", [])] + list(goal.get("files", []))
    seen = {repr(sorted(c.items())) for c in out}
    for node in family["nodes"]:
        for c in node.get("checks", []):
            key = repr(sorted(c.items()))
            if key not in seen:
                seen.add(key)
                out.append(c)
    return out


def run_mutants(family: dict[str, Any], workers: int = 2, timeout: float = 10, include_tests: bool = False,
                progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    fm = FamilyMutants(family, include_tests)
    by_id = {n["id"]: n for n in family["nodes"]}
    every = final_checks(family)
    saved = os.environ.get("PATH", "")
    os.environ["PATH"] = f"{Path(sys.base_prefix) / 'bin'}{os.pathsep}{saved}"  # python3 without a shim
    root = Path(tempfile.mkdtemp(prefix="lh-mutate-"))
    pool: list[_Workdir] = [_Workdir(root / f"w{i}") for i in range(max(1, workers))]
    for w in pool:
        w.root.mkdir()
    lock = threading.Lock()
    done = [0]

    def judge(m: Mutant) -> Mutant:
        with lock:
            w = pool.pop()
        try:
            if m.in_node:
                state = dict(fm.after_node[m.node])
                state[m.path] = substitute(state[m.path], m.old, m.new)
                w.sync(state)
                ok, why = _checks_pass(w.root, by_id[m.node]["checks"], timeout)
                if not ok:
                    m.verdict, m.detail = "killed_node", why
            if not m.verdict and m.in_final:
                state = dict(fm.final)
                state[m.path] = substitute(state[m.path], m.old, m.new)
                w.sync(state)
                ok, why = _checks_pass(w.root, every, timeout)
                m.verdict, m.detail = ("survived_final", "") if ok else ("killed_final", why)
            if not m.verdict:
                m.verdict = "survived_node"
        finally:
            with lock:
                pool.append(w)
                done[0] += 1
                if progress and (done[0] % 50 == 0 or m.verdict.startswith("survived")):
                    progress(f"{done[0]}/{len(fm.mutants)} {m.verdict} {m.path} {m.kind} {m.what}")
        return m

    try:
        with ThreadPoolExecutor(len(pool)) as ex:
            judged = list(ex.map(judge, fm.mutants))
    finally:
        os.environ["PATH"] = saved
        shutil.rmtree(root, ignore_errors=True)
    return report(family, judged, fm.overwritten)


def report(family: dict[str, Any], judged: list[Mutant], overwritten: int) -> dict[str, Any]:
    def score(ms: list[Mutant]) -> dict[str, Any]:
        killed = sum(1 for m in ms if m.verdict.startswith("killed"))
        return {"mutants": len(ms), "killed": killed, "survived": len(ms) - killed,
                "score": round(killed / len(ms), 4) if ms else None}

    code = [m for m in judged if not is_doc(m.path)]
    docs = [m for m in judged if is_doc(m.path)]
    kinds = sorted({m.kind for m in judged})
    survivors = [m for m in judged if m.verdict.startswith("survived")]
    return {
        "family": family.get("name"),
        "mutants": len(judged),
        "killed": len(judged) - len(survivors),
        "score": round((len(judged) - len(survivors)) / len(judged), 4) if judged else None,
        "code": score(code),
        "docs": score(docs),
        "docs_number_name_command": score([m for m in docs if m.kind in DOC_KINDS]),
        "by_kind": {k: score([m for m in judged if m.kind == k]) for k in kinds},
        "killed_by_node_checks": sum(1 for m in judged if m.verdict == "killed_node"),
        "overwritten": overwritten,
        "survivors": [m.public() for m in survivors],
    }
