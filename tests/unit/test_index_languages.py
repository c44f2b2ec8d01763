"""Chunk boundaries per language: real tree-sitter grammars (the PyPI grammar wheels), no model."""

from __future__ import annotations

import pytest

from mimo_lsp.index.chunker import MAX_CHUNK_LINES, chunk_file
from mimo_lsp.index.languages import LANGUAGES, language_for

CASES = {
    "web/a.js": (
        "import x from 'y';\n// says foo\nexport function foo(a) { return a; }\nclass A extends B {\n"
        "  m() { return 1; }\n  static n = 2;\n}\nconst bar = (x) => x * 2;\nconst K = 3;\nexport default class C {}\n",
        [("module", None, 1, 1), ("function", "foo", 2, 3), ("class", "A", 4, 4), ("method", "A.m", 5, 5),
         ("class", "A", 6, 7), ("function", "bar", 8, 8), ("module", None, 9, 9), ("class", "C", 10, 10)],
    ),
    "web/a.ts": (
        "interface I { a: number }\ntype T = string;\nenum E { A }\nexport class A {\n  m(x: number): void {}\n}\n"
        "abstract class Z { abstract f(): void; }\nfunction f<T>(x: T): T { return x }\n",
        [("interface", "I", 1, 1), ("type", "T", 2, 2), ("enum", "E", 3, 3), ("class", "A", 4, 4),
         ("method", "A.m", 5, 5), ("class", "A", 6, 6), ("class", "Z", 7, 7), ("function", "f", 8, 8)],
    ),
    "web/App.tsx": (
        "const App = () => <div/>;\nexport function B() { return <p/>; }\n",
        [("function", "App", 1, 1), ("function", "B", 2, 2)],
    ),
    "svc/a.go": (
        "package p\nimport \"fmt\"\ntype S struct { A int }\n// M does it\nfunc (s *S) M() int { return s.A }\n"
        "func F() { fmt.Println(1) }\n",
        [("module", None, 1, 2), ("type", "S", 3, 3), ("method", "S.M", 4, 5), ("function", "F", 6, 6)],
    ),
    "src/a.rs": (
        "use std::io;\nstruct S { a: i32 }\nimpl S {\n    fn m(&self) -> i32 { self.a }\n}\n#[test]\nfn f() {}\n"
        "mod m {\n    fn g() {}\n}\nenum E { A }\n",
        [("module", None, 1, 1), ("struct", "S", 2, 2), ("impl", "S", 3, 3), ("method", "S.m", 4, 4),
         ("impl", "S", 5, 5), ("function", "f", 6, 7), ("namespace", "m", 8, 8), ("function", "m.g", 9, 9),
         ("namespace", "m", 10, 10), ("enum", "E", 11, 11)],
    ),
    "src/A.java": (
        "package p;\npublic class A {\n  int x;\n  public A() {}\n  void m() {}\n}\nenum E {\n  A;\n  void g() {}\n}\n",
        [("module", None, 1, 1), ("class", "A", 2, 3), ("method", "A.A", 4, 4), ("method", "A.m", 5, 5),
         ("class", "A", 6, 6), ("enum", "E", 7, 8), ("method", "E.g", 9, 9), ("enum", "E", 10, 10)],
    ),
    "src/a.c": (
        "#include <stdio.h>\n#ifndef H\nstruct S { int a; };\nstatic int *f(int a) { return 0; }\n"
        "typedef struct { int b; } T;\n#endif\n",
        [("module", None, 1, 2), ("struct", "S", 3, 3), ("function", "f", 4, 4), ("type", "T", 5, 5),
         ("module", None, 6, 6)],
    ),
    "src/a.cpp": (
        "namespace n {\nclass A {\n public:\n  void m() {}\n  int x;\n};\nvoid A::k() {}\n"
        "template<typename T> T g(T a) { return a; }\n}\n",
        [("namespace", "n", 1, 1), ("class", "n.A", 2, 3), ("method", "n.A.m", 4, 4), ("class", "n.A", 5, 6),
         ("function", "n.A::k", 7, 7), ("function", "n.g", 8, 8), ("namespace", "n", 9, 9)],
    ),
}


@pytest.mark.parametrize("path", sorted(CASES))
def test_chunk_boundaries(path: str):
    source, expected = CASES[path]
    chunks = chunk_file(path, source)
    assert [(c.kind, c.symbol, c.start_line, c.end_line) for c in chunks] == expected
    lines = source.split("\n")
    spec = language_for(path)
    assert spec is not None
    for c in chunks:
        assert c.language == spec.name and c.path == path
        assert c.text == "\n".join(lines[c.start_line - 1 : c.end_line])


def test_every_language_loads_offline():
    from mimo_lsp.index.languages import grammar, identifier_query, parser

    for spec in LANGUAGES.values():
        assert parser(spec).parse(b"\n").root_node is not None
        assert identifier_query(spec) is not None and grammar(spec) is not None


def test_large_function_split_at_statement_boundaries():
    body = "".join(f"    x{i} = compute({i})\n    if x{i}:\n        total += x{i}\n" for i in range(60))
    source = "def big(total):\n" + body + "    return total\n"
    chunks = chunk_file("m.py", source)
    assert len(chunks) >= 3 and all(c.symbol == "big" and c.kind == "function" for c in chunks)
    assert chunks[0].start_line == 1 and chunks[-1].end_line == source.count("\n")
    assert all(c.end_line - c.start_line + 1 <= MAX_CHUNK_LINES for c in chunks)
    # Pieces are contiguous, cut before a statement (never inside the `if` block).
    for a, b in zip(chunks, chunks[1:]):
        assert b.start_line == a.end_line + 1
        assert b.text.startswith("    ") and not b.text[4].isspace()  # a body statement, not inside one


def test_unknown_suffix_is_line_windows_and_language_by_suffix():
    chunks = chunk_file("conf/app.yaml", "\n".join(f"key{i}: {i}" for i in range(100)))
    assert chunks and all(c.kind == "text" and c.language == "yaml" for c in chunks)
