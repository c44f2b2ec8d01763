"""Edit formats measured against the main one (benchmarks/edit_formats.py): a SEARCH/REPLACE block and
`N: corrected line`, plus the list of every format the benchmark compares. Not used by Max Mode: on the
shipped model they solved 2/40 and 15/40 tasks where "rewrite one function" solved 20/40."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass

from mimo_lsp.maxmode.edit_format import (
    _CLOSE_FENCE, _OPEN_FENCE, EXAMPLES, ApplyResult, _lang, _newline, _shown_code, apply_reply, build_messages)
from mimo_lsp.maxmode.targets import ApplyError, Message, ReplyError, Target, find_target, is_python



# ---------------------------------------------------------------------------------- SEARCH/REPLACE format

SR_SYSTEM = "You are a careful Python programmer. You fix code with SEARCH/REPLACE blocks."
_SR_HELP = ("Reply with one SEARCH/REPLACE block: the exact lines to change after <<<<<<< SEARCH, "
            "then =======, then the new lines, then >>>>>>> REPLACE. Change as little as possible.")


def _sr_block(before: str, after: str) -> str:
    old, new = before.splitlines(), after.splitlines()
    # the smallest changed line range, as a model should give it
    i = 0
    while i < min(len(old), len(new)) and old[i] == new[i]:
        i += 1
    j = 0
    while j < min(len(old), len(new)) - i and old[-1 - j] == new[-1 - j]:
        j += 1
    return ("<<<<<<< SEARCH\n" + "\n".join(old[i: len(old) - j]) + "\n=======\n"
            + "\n".join(new[i: len(new) - j]) + "\n>>>>>>> REPLACE")


def build_search_replace_messages(instruction: str, path: str, text: str, target: Target | None = None, *,
                                  examples: int = 2) -> list[Message]:
    target = target or find_target(instruction, path, text)
    lang = _lang(path)
    messages: list[Message] = [{"role": "system", "content": SR_SYSTEM}]
    for ex in EXAMPLES[:examples]:
        messages.append({"role": "user", "content": f"{ex.instruction}\n\n{ex.path}:\n```python\n{ex.before.rstrip()}\n```\n\n{_SR_HELP}"})
        messages.append({"role": "assistant", "content": _sr_block(ex.before, ex.after)})
    messages.append({"role": "user", "content": f"{instruction}\n\n{path}:\n```{lang}\n{target.source.rstrip()}\n```\n\n{_SR_HELP}"})
    return messages


_SR = re.compile(r"<{5,}\s*SEARCH[ \t]*\r?\n(.*?)^={5,}[ \t]*\r?\n(.*?)(?:^>{5,}\s*REPLACE[^\n]*$|\Z)", re.S | re.M)


def parse_search_replace(reply: str) -> list[tuple[str, str]]:
    """The (search, replace) pairs of the reply. A missing final `>>>>>>> REPLACE` is tolerated (the
    replacement then runs to a closing fence or the end)."""
    blocks = []
    for m in _SR.finditer(reply):
        search, replace = m.group(1), m.group(2)
        replace = _CLOSE_FENCE.split(replace, maxsplit=1)[0] if "```" in replace else replace
        blocks.append((search.rstrip("\r\n"), replace.rstrip("\r\n")))
    if not blocks:
        raise ReplyError("no <<<<<<< SEARCH ... ======= ... block in the reply")
    if not any(s.strip() for s, _ in blocks):
        raise ReplyError("the SEARCH part is empty")
    return blocks


def apply_search_replace(path: str, text: str, blocks: list[tuple[str, str]]) -> ApplyResult:
    """Each SEARCH text must occur in the file: exactly, else line by line ignoring indentation (the
    replacement is then re-indented by the difference). The first occurrence is replaced."""
    nl = _newline(text)
    for search, replace in blocks:
        if not search.strip():
            raise ApplyError("a SEARCH part is empty")
        if search in text:
            text = text.replace(search, replace, 1)
            continue
        lines = text.splitlines()
        want = [ln.strip() for ln in search.splitlines()]
        while want and not want[-1]:
            want.pop()
        for i in range(len(lines) - len(want) + 1):
            if [ln.strip() for ln in lines[i: i + len(want)]] == want:
                have_indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
                s0 = search.splitlines()[0]
                got_indent = s0[: len(s0) - len(s0.lstrip())]
                new = []
                for ln in replace.splitlines():
                    ln = ln[len(got_indent):] if ln.startswith(got_indent) else ln.lstrip()
                    new.append(have_indent + ln if ln.strip() else "")
                lines[i: i + len(want)] = new
                text = nl.join(lines) + nl
                break
        else:
            first = search.strip().splitlines()[0]
            raise ApplyError(f"SEARCH text not found in {path}: {first!r}")
    if is_python(path):
        try:
            ast.parse(text)
        except SyntaxError as exc:
            raise ApplyError(f"the edited {path} does not parse (line {exc.lineno}: {exc.msg})") from exc
    return ApplyResult(text=text, replaced=["search/replace"])


# -------------------------------------------------------------------------------- "N: corrected line" format

LINE_SYSTEM = "You are a careful Python programmer. You fix code by correcting one numbered line."
_LINE_HELP = ("Reply with each line to change as `N: corrected line`, where N is its number. "
              "Change as little as possible.")


def _numbered(source: str, first: int) -> str:
    return "\n".join(f"{first + i}: {ln}" for i, ln in enumerate(source.rstrip("\n").splitlines()))


def _line_answer(before: str, after: str) -> str:
    old, new = before.splitlines(), after.splitlines()
    return "\n".join(f"{i + 1}: {n}" for i, (o, n) in enumerate(zip(old, new)) if o != n)


def build_line_messages(instruction: str, path: str, text: str, target: Target | None = None, *,
                        examples: int = 2) -> list[Message]:
    target = target or find_target(instruction, path, text)
    messages: list[Message] = [{"role": "system", "content": LINE_SYSTEM}]
    for ex in EXAMPLES[:examples]:
        messages.append({"role": "user", "content": f"{ex.instruction}\n\n{ex.path}:\n{_numbered(ex.before, 1)}\n\n{_LINE_HELP}"})
        messages.append({"role": "assistant", "content": _line_answer(ex.before, ex.after)})
    # numbered from 1 like the examples: the model renumbers from 1 whatever the file line is
    messages.append({"role": "user", "content": f"{instruction}\n\n{path}:\n{_numbered(_shown_code(target), 1)}\n\n{_LINE_HELP}"})
    return messages


_LINE_EDIT = re.compile(r"^\s*(?:line\s*)?(\d+)\s*[:|]\s?(.*)$", re.I)


def parse_line_edits(reply: str) -> list[tuple[int, str]]:
    """`N: text` lines of the reply (fence lines ignored). The first edit of a line number counts."""
    edits: dict[int, str] = {}
    for ln in reply.splitlines():
        if ln.strip().startswith("```"):
            continue
        m = _LINE_EDIT.match(ln)
        if m and int(m.group(1)) not in edits:
            edits[int(m.group(1))] = m.group(2)
    if not edits:
        raise ReplyError("no `N: corrected line` in the reply")
    return sorted(edits.items())


def apply_line_edits(path: str, text: str, edits: list[tuple[int, str]], target: Target | None = None) -> ApplyResult:
    """Replace shown line N (numbered from 1 at the target's first line) by the given text, keeping the
    file line's indentation (a one-line fix keeps it). Only the lines shown may change."""
    lines = text.splitlines()
    first, last = (target.start, target.end) if target is not None else (1, len(lines))
    for n, new in edits:
        if not 1 <= n <= last - first + 1:
            raise ApplyError(f"line {n} is not among the lines shown (1-{last - first + 1})")
        i = first + n - 2
        old = lines[i]
        lines[i] = old[: len(old) - len(old.lstrip())] + new.strip() if new.strip() else ""
    nl = _newline(text)
    new_text = nl.join(lines) + (nl if text.endswith(("\n", "\r")) else "")
    if is_python(path):
        try:
            ast.parse(new_text)
        except SyntaxError as exc:
            raise ApplyError(f"the edited {path} does not parse (line {exc.lineno}: {exc.msg})") from exc
    return ApplyResult(text=new_text, replaced=[f"line {n}" for n, _ in edits])


# ------------------------------------------------------------------------------------------------ registry


def _fence_closed(reply: str) -> bool:
    m = _OPEN_FENCE.search(reply)
    return bool(m and _CLOSE_FENCE.search(reply[m.end():]))


@dataclass(frozen=True)
class EditFormat:
    name: str
    description: str
    build: Callable[[str, str, str, Target], list[Message]]
    apply: Callable[[str, str, str, Target], ApplyResult]  # (path, text, reply, target); raises EditFormatError
    done: Callable[[str], bool]  # the reply is complete: a generator may stop here


FORMATS: dict[str, EditFormat] = {
    "function_example": EditFormat(
        "function_example", "whole corrected function in a ```python block, two worked examples, change as little as possible",
        lambda i, p, t, tg: build_messages(i, p, t, tg, examples=2),
        lambda p, t, r, tg: apply_reply(p, t, r, tg),
        _fence_closed),
    "function": EditFormat(
        "function", "whole corrected function in a ```python block, no example, change as little as possible",
        lambda i, p, t, tg: build_messages(i, p, t, tg, examples=0),
        lambda p, t, r, tg: apply_reply(p, t, r, tg),
        _fence_closed),
    "search_replace": EditFormat(
        "search_replace", "one SEARCH/REPLACE block (two worked examples)",
        lambda i, p, t, tg: build_search_replace_messages(i, p, t, tg, examples=2),
        lambda p, t, r, tg: apply_search_replace(p, t, parse_search_replace(r)),
        lambda r: bool(re.search(r"^>{5,}\s*REPLACE", r, re.M))),
    "line": EditFormat(
        "line", "`N: corrected line` on the numbered function (two worked examples)",
        lambda i, p, t, tg: build_line_messages(i, p, t, tg, examples=2),
        lambda p, t, r, tg: apply_line_edits(p, t, parse_line_edits(r), tg),
        lambda r: False),
}
