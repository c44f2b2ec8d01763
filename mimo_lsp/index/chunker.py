"""Split source files into search chunks.

Python is split along definitions with tree-sitter (error tolerant, so half-edited
files still chunk); every other text file is split into overlapping line windows.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:  # tree_sitter is imported lazily to keep `import mimo_lsp.index` cheap
    from tree_sitter import Node, Parser

WINDOW_LINES = 40
WINDOW_OVERLAP = 5
# Remainder (module-level) runs longer than this are windowed so one chunk stays
# within what the embedding model actually reads (~256 word pieces).
MAX_REMAINDER_LINES = 80

_DEF_TYPES = ("function_definition", "class_definition")


class Chunk(BaseModel):
    path: str  # workspace-relative, posix separators
    start_line: int  # 1-based inclusive
    end_line: int  # 1-based inclusive
    symbol: str | None  # "parse_config", "Config.load"; None for module remainder / text windows
    kind: str  # "function" | "method" | "class" | "module" | "text"
    text: str


def chunk_file(rel_path: str, text: str) -> list[Chunk]:
    """Chunk one file. Python goes through tree-sitter, anything else through line windows."""
    lines = _split_lines(text)
    if not any(line.strip() for line in lines):
        return []
    if rel_path.endswith((".py", ".pyi")):
        return _chunk_python(rel_path, text, lines)
    return _windows(rel_path, lines, 1, len(lines), kind="text", symbol=None)


def _split_lines(text: str) -> list[str]:
    # split("\n") rather than splitlines(): tree-sitter rows only advance on "\n",
    # and splitlines() also breaks on \x0c, \u2028 ... which would shift line numbers.
    lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _windows(
    path: str, lines: list[str], start: int, end: int, *, kind: str, symbol: str | None
) -> list[Chunk]:
    """Overlapping windows over lines[start..end] (1-based inclusive), skipping blank ones."""
    out: list[Chunk] = []
    step = WINDOW_LINES - WINDOW_OVERLAP
    first = start
    while first <= end:
        last = min(first + WINDOW_LINES - 1, end)
        body = lines[first - 1 : last]
        if any(line.strip() for line in body):
            out.append(_make(path, lines, first, last, kind, symbol))
        if last == end:
            break
        first += step
    return out


def _make(path: str, lines: list[str], start: int, end: int, kind: str, symbol: str | None) -> Chunk:
    # Trim blank edge lines so ranges point at content (callers ensure some exists).
    while start < end and not lines[start - 1].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return Chunk(
        path=path,
        start_line=start,
        end_line=end,
        symbol=symbol,
        kind=kind,
        text="\n".join(lines[start - 1 : end]),
    )


# --- tree-sitter ---------------------------------------------------------------

_tls = threading.local()  # Parser objects are not meant to be shared across threads


def _parser() -> Parser:
    parser = getattr(_tls, "parser", None)
    if parser is None:
        import tree_sitter_python
        from tree_sitter import Language, Parser

        parser = Parser(Language(tree_sitter_python.language()))
        _tls.parser = parser
    return parser


def _start_row(node: Node) -> int:
    """0-based first row, extended upward over comments that sit directly on top of the def."""
    row = int(node.start_point[0])
    prev = node.prev_sibling
    while prev is not None and prev.type == "comment" and _end_row(prev) == row - 1:
        row = int(prev.start_point[0])
        prev = prev.prev_sibling
    return row


def _end_row(node: Node) -> int:
    row, col = node.end_point
    # A node ending at column 0 stops before that line's first character.
    return int(row) - 1 if col == 0 and row > node.start_point[0] else int(row)


def _unwrap(node: Node) -> Node | None:
    """Return the function/class definition behind `node` (through decorators), else None."""
    if node.type in _DEF_TYPES:
        return node
    if node.type == "decorated_definition":
        inner = node.child_by_field_name("definition")
        if inner is not None and inner.type in _DEF_TYPES:
            return inner
    return None


def _name(defn: Node) -> str:
    name = defn.child_by_field_name("name")
    if name is None or name.text is None:
        return "<anonymous>"
    return name.text.decode("utf-8", "replace")


def _chunk_python(path: str, text: str, lines: list[str]) -> list[Chunk]:
    tree = _parser().parse(text.encode("utf-8"))
    defs: list[Chunk] = []
    classes: list[tuple[int, int, str]] = []  # (start, end, qualified name), 1-based
    _visit(tree.root_node.children, "", False, path, lines, defs, classes)

    covered = [False] * (len(lines) + 2)
    for c in defs:
        for i in range(c.start_line, c.end_line + 1):
            covered[i] = True

    # Whatever is not inside a def chunk (docstring, imports, constants, class
    # attributes, `if __name__ == ...`) becomes contiguous remainder chunks, so
    # every line of the file is searchable.
    rest: list[Chunk] = []
    owner = [_innermost_class(classes, i) for i in range(len(lines) + 2)]
    i = 1
    n = len(lines)
    while i <= n:
        if covered[i]:
            i += 1
            continue
        # A run ends at covered lines or where the enclosing class changes, so class
        # attributes after the methods stay attributed to their class.
        j = i
        while j + 1 <= n and not covered[j + 1] and owner[j + 1] == owner[i]:
            j += 1
        kind, symbol = ("class", owner[i]) if owner[i] else ("module", None)
        if j - i + 1 > MAX_REMAINDER_LINES:
            rest.extend(_windows(path, lines, i, j, kind=kind, symbol=symbol))
        elif any(line.strip() for line in lines[i - 1 : j]):
            rest.append(_make(path, lines, i, j, kind, symbol))
        i = j + 1

    return sorted(defs + rest, key=lambda c: (c.start_line, c.end_line))


def _innermost_class(classes: list[tuple[int, int, str]], line: int) -> str | None:
    best: tuple[int, int, str] | None = None
    for cls in classes:
        if cls[0] <= line <= cls[1] and (best is None or cls[0] >= best[0]):
            best = cls
    return best[2] if best else None


def _visit(
    children: list[Any],
    prefix: str,
    in_class: bool,
    path: str,
    lines: list[str],
    out: list[Chunk],
    classes: list[tuple[int, int, str]],
) -> None:
    for node in children:
        if node.type == "ERROR":
            # Syntax errors: definitions may still be recognisable inside the error node.
            _visit(node.children, prefix, in_class, path, lines, out, classes)
            continue
        defn = _unwrap(node)
        if defn is None:
            continue
        qual = prefix + _name(defn)
        start, end = _start_row(node) + 1, _end_row(node) + 1
        if defn.type == "function_definition":
            # Nested functions stay inside their parent: they rarely make sense alone.
            out.append(_make(path, lines, start, end, "method" if in_class else "function", qual))
            continue
        classes.append((start, end, qual))
        body = defn.child_by_field_name("body")
        members = [c for c in (body.children if body is not None else []) if _unwrap(c) is not None]
        # The class chunk holds the header, docstring and attributes up to the first
        # member definition; members get their own chunks.
        header_end = _start_row(members[0]) if members else end
        if header_end >= start:
            out.append(_make(path, lines, start, header_end, "class", qual))
        if body is not None:
            _visit(body.children, qual + ".", True, path, lines, out, classes)


def chunk_text(rel_path: str, text: str) -> list[Chunk]:
    """Line windows regardless of file type (fallback when structured chunking fails)."""
    lines = _split_lines(text)
    return _windows(rel_path, lines, 1, len(lines), kind="text", symbol=None)
