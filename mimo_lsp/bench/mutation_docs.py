"""Line mutants of documentation (Markdown, text): numbers, names and commands (see mutation.py).

Stdlib only.
"""

from __future__ import annotations

import keyword
import re

from mimo_lsp.bench.mutation_ops import LineMutant, _digit_runs

_COMMANDS = ("python3", "python", "pip", "mimo", "$")
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
        comment = re.search(r"\s#\s", line) if i in fenced else None
        if comment:  # a comment in a code block is prose
            regions = [(0, comment.start())]
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
            other = _other(vocab["names"], tok)
            if other:
                put("name", s, m.end(), other)
    return out
