"""Split source files into search chunks.

Files of a known language (see languages.py) are split along definitions with tree-sitter
(error tolerant, so half-edited files still chunk): one chunk per function / method / class,
containers (classes, impls, namespaces) as a header chunk plus one chunk per member, large
definitions split at child boundaries, and the module-level remainder in contiguous chunks.
Every other text file is split into overlapping line windows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from .languages import LanguageSpec, language_for, language_name, parser

if TYPE_CHECKING:  # tree_sitter is imported lazily to keep `import mimo_lsp.index` cheap
    from tree_sitter import Node, Tree

WINDOW_LINES = 40
WINDOW_OVERLAP = 5
# Definitions and remainder runs longer than this are split so one chunk stays close to what
# the embedding model actually reads (~256 word pieces).
MAX_CHUNK_LINES = 80
MAX_REMAINDER_LINES = MAX_CHUNK_LINES
MAX_NAME_CHARS = 120

_FUNCTION_VALUES = frozenset({"arrow_function", "function_expression", "function", "generator_function"})
_BODYLESS_IS_USE = frozenset({"struct_specifier", "union_specifier", "enum_specifier", "class_specifier"})
_WORD = re.compile(r"[A-Za-z_]\w*")


class Chunk(BaseModel):
    path: str  # workspace-relative, posix separators
    start_line: int  # 1-based inclusive
    end_line: int  # 1-based inclusive
    symbol: str | None  # "parse_config", "Config.load"; None for module remainder / text windows
    kind: str  # function | method | class | struct | enum | interface | trait | impl | type | ... | module | text
    text: str
    language: str = "text"


@dataclass
class FileAnalysis:
    chunks: list[Chunk]
    spec: LanguageSpec | None
    tree: Tree | None
    syntax_errors: bool


def chunk_file(rel_path: str, text: str) -> list[Chunk]:
    """Chunk one file: tree-sitter for known languages, line windows for anything else."""
    return analyze(rel_path, text).chunks


def analyze(rel_path: str, text: str) -> FileAnalysis:
    lines = _split_lines(text)
    spec = language_for(rel_path)
    if not any(line.strip() for line in lines):
        return FileAnalysis([], spec, None, False)
    if spec is None:
        chunks = _windows(rel_path, lines, 1, len(lines), kind="text", symbol=None, lang=language_name(rel_path))
        return FileAnalysis(chunks, None, None, False)
    tree = parser(spec).parse(text.encode("utf-8"))
    chunks = _Chunker(rel_path, spec, lines).run(tree)
    return FileAnalysis(chunks, spec, tree, bool(tree.root_node.has_error))


def chunk_text(rel_path: str, text: str) -> list[Chunk]:
    """Line windows regardless of file type (fallback when structured chunking fails)."""
    lines = _split_lines(text)
    return _windows(rel_path, lines, 1, len(lines), kind="text", symbol=None, lang=language_name(rel_path))


def _split_lines(text: str) -> list[str]:
    # split("\n") rather than splitlines(): tree-sitter rows only advance on "\n",
    # and splitlines() also breaks on \x0c, \u2028 ... which would shift line numbers.
    lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _windows(
    path: str, lines: list[str], start: int, end: int, *, kind: str, symbol: str | None, lang: str,
    size: int = WINDOW_LINES, overlap: int = WINDOW_OVERLAP,
) -> list[Chunk]:
    """Overlapping windows over lines[start..end] (1-based inclusive), skipping blank ones."""
    out: list[Chunk] = []
    step = size - overlap
    first = start
    while first <= end:
        last = min(first + size - 1, end)
        if any(line.strip() for line in lines[first - 1 : last]):
            out.append(_make(path, lines, first, last, kind, symbol, lang))
        if last == end:
            break
        first += step
    return out


def _make(path: str, lines: list[str], start: int, end: int, kind: str, symbol: str | None, lang: str) -> Chunk:
    # Trim blank edge lines so ranges point at content (callers ensure some exists).
    while start < end and not lines[start - 1].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return Chunk(path=path, start_line=start, end_line=end, symbol=symbol, kind=kind,
                 text="\n".join(lines[start - 1 : end]), language=lang)


def node_text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def _end_row(node: Node) -> int:
    row, col = node.end_point
    # A node ending at column 0 stops before that line's first character.
    return int(row) - 1 if col == 0 and row > node.start_point[0] else int(row)


class _Chunker:
    def __init__(self, path: str, spec: LanguageSpec, lines: list[str]) -> None:
        self.path, self.spec, self.lines = path, spec, lines
        self.defs: list[Chunk] = []
        self.containers: list[tuple[int, int, str, str]] = []  # (start, end, qualified name, kind), 1-based

    def run(self, tree: Tree) -> list[Chunk]:
        self._visit(tree.root_node.children, "", False)
        return sorted(self.defs + self._remainder(), key=lambda c: (c.start_line, c.end_line))

    # -- definitions ------------------------------------------------------------------------------
    def resolve(self, node: Node) -> tuple[Node, str] | None:
        """(definition node, kind) behind `node`, looking through wrappers; None if not a definition."""
        spec = self.spec
        if node.type in spec.wrappers:
            for child in reversed(node.named_children):
                found = self.resolve(child)
                if found is not None:
                    return found
            return None
        kind = spec.defs.get(node.type)
        if kind is None:
            return None
        if node.type in ("lexical_declaration", "variable_declaration"):
            # `const handler = () => ...` is a function; `const x = 3` is module remainder.
            for decl in node.named_children:
                value = decl.child_by_field_name("value") if decl.type == "variable_declarator" else None
                if value is not None and value.type in _FUNCTION_VALUES:
                    return node, "function"
                if value is not None and value.type == "class":
                    return node, "class"
            return None
        if node.type in _BODYLESS_IS_USE and node.child_by_field_name("body") is None:
            return None  # `struct S *p;` uses a struct, it does not define one
        return node, kind

    def name(self, defn: Node) -> str:
        node = defn.child_by_field_name("name")
        if node is not None:
            name = node_text(node)
            receiver = defn.child_by_field_name("receiver")  # Go methods: (s *Server) Start -> Server.Start
            if receiver is not None:
                words = _WORD.findall(node_text(receiver))
                if words:
                    name = f"{words[-1]}.{name}"
        elif defn.type == "impl_item":
            name = node_text(defn.child_by_field_name("type"))
        elif defn.child_by_field_name("declarator") is not None:  # C/C++ functions, typedefs
            decl = defn
            while (inner := decl.child_by_field_name("declarator")) is not None:
                decl = inner
            name = node_text(decl)
        else:  # Go type_declaration, JS `const f = ...`: the first named child with a name
            name = ""
            for child in defn.named_children:
                inner = child.child_by_field_name("name")
                if inner is not None:
                    name = node_text(inner)
                    break
        name = " ".join(name.split())[:MAX_NAME_CHARS]
        return name or "<anonymous>"

    def start_row(self, node: Node) -> int:
        """0-based first row, extended upward over comments / attributes directly on top of it."""
        row = int(node.start_point[0])
        attached = self.spec.comments | self.spec.leading
        prev = node.prev_sibling
        while prev is not None and prev.type in attached and _end_row(prev) == row - 1:
            row = int(prev.start_point[0])
            prev = prev.prev_sibling
        return row

    def members(self, body: Node | None) -> list[Node]:
        out: list[Node] = []
        for child in body.children if body is not None else []:
            if child.type in self.spec.transparent or child.type == "ERROR":
                out.extend(self.members(child))
            elif self.resolve(child) is not None:
                out.append(child)
        return out

    def _visit(self, children: list[Any], prefix: str, in_container: bool) -> None:
        spec = self.spec
        for node in children:
            if node.type == "ERROR" or node.type in spec.transparent:
                # Syntax errors and #ifdef blocks: definitions are still recognisable inside.
                self._visit(node.children, prefix, in_container)
                continue
            found = self.resolve(node)
            if found is None:
                continue
            defn, kind = found
            if kind == "function" and in_container:
                kind = "method"
            qual = prefix + self.name(defn)
            start, end = self.start_row(node) + 1, _end_row(node) + 1
            if defn.type in spec.containers:
                self.containers.append((start, end, qual, kind))
                body = defn.child_by_field_name("body")
                members = self.members(body)
                if members:
                    # The header chunk holds the signature, docstring and fields up to the first
                    # member definition; members get their own chunks.
                    header_end = self.start_row(members[0])
                    if header_end >= start:
                        self.defs.extend(self._split(defn, start, header_end, kind, qual))
                    # Functions in a namespace / module stay functions; in a class they are methods.
                    self._visit(body.children if body is not None else [], qual + ".", kind != "namespace")
                    continue
            # Nested functions stay inside their parent: they rarely make sense alone.
            self.defs.extend(self._split(defn, start, end, kind, qual))

    def _split(self, defn: Node, start: int, end: int, kind: str, qual: str) -> list[Chunk]:
        """One chunk, or several cut at the boundaries of the body's statements when too long."""
        lang = self.spec.name
        if not any(line.strip() for line in self.lines[start - 1 : end]):
            return []
        if end - start + 1 <= MAX_CHUNK_LINES:
            return [_make(self.path, self.lines, start, end, kind, qual, lang)]
        body = defn.child_by_field_name("body") or defn
        pieces: list[tuple[int, int]] = []
        first = start
        for child in body.named_children:
            row = int(child.start_point[0]) + 1
            if first < row <= end and row - first > MAX_CHUNK_LINES - 10:
                pieces.append((first, row - 1))
                first = row
        pieces.append((first, end))
        out: list[Chunk] = []
        for a, b in pieces:
            if b - a + 1 > MAX_CHUNK_LINES:  # one statement longer than a chunk: windows
                out.extend(_windows(self.path, self.lines, a, b, kind=kind, symbol=qual, lang=lang,
                                    size=MAX_CHUNK_LINES, overlap=WINDOW_OVERLAP))
            elif any(line.strip() for line in self.lines[a - 1 : b]):
                out.append(_make(self.path, self.lines, a, b, kind, qual, lang))
        return out

    # -- remainder --------------------------------------------------------------------------------
    def _remainder(self) -> list[Chunk]:
        """Lines outside definition chunks (imports, constants, class attributes after the methods,
        `if __name__ == ...`) become contiguous chunks, so every line of the file is searchable."""
        lines, n = self.lines, len(self.lines)
        covered = [False] * (n + 2)
        for c in self.defs:
            for i in range(c.start_line, c.end_line + 1):
                covered[i] = True
        owner = self._owners(n)
        out: list[Chunk] = []
        i = 1
        while i <= n:
            if covered[i]:
                i += 1
                continue
            # A run ends at covered lines or where the enclosing container changes, so class
            # attributes after the methods stay attributed to their class.
            j = i
            while j + 1 <= n and not covered[j + 1] and owner[j + 1] == owner[i]:
                j += 1
            own = owner[i]
            kind, symbol = (own[1], own[0]) if own is not None else ("module", None)
            if j - i + 1 > MAX_REMAINDER_LINES:
                out.extend(_windows(self.path, lines, i, j, kind=kind, symbol=symbol, lang=self.spec.name))
            elif any(line.strip() for line in lines[i - 1 : j]):
                out.append(_make(self.path, lines, i, j, kind, symbol, self.spec.name))
            i = j + 1
        return out

    def _owners(self, n: int) -> list[tuple[str, str] | None]:
        """Innermost container (qualified name, kind) of every line."""
        owner: list[tuple[str, str] | None] = [None] * (n + 2)
        # Outer containers first, inner ones overwrite: containers nest, they never overlap partly.
        for start, end, qual, kind in sorted(self.containers, key=lambda c: (c[0], -c[1])):
            for i in range(start, min(end, n) + 1):
                owner[i] = (qual, kind)
        return owner
