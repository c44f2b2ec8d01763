"""Line mutants of Python code: the operators of the mutation tool (see mutation.py for what is mutated).

Stdlib only.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from typing import Iterable

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


@dataclass(frozen=True)
class LineMutant:
    kind: str
    line: int  # index in the step's text
    new: str   # the whole new line
    what: str  # e.g. "'<' -> '<='"


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
            prefix = re.match(r"[rRbBuUfF]*", tok).group()  # type: ignore[union-attr]  # * always matches
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
