"""Edit formats for small models: rewrite one function, and three alternatives for comparison.

A 135M model cannot point at a line (a JSON `{line, new_text}` edit or `N: corrected line`), but it can
copy a short function with a small change. So the main format shows the model ONE function and asks
for the corrected function in a ```python block; the reply is applied by replacing that function's
source in the file (found with `ast`, decorators included, indentation kept for methods).

Pure functions only: no model calls, no LSP imports. `gguf_param_count` imports llama_cpp lazily and
only reads metadata.

The pieces:
  find_target(instruction, path, text)      which function to rewrite (see its docstring for the rule)
  build_messages(instruction, path, text)   chat messages [{role, content}] for "rewrite one function"
  examples_for(attempt)                     how many worked examples the attempt-th try of an edit sees
  parse_code_reply(reply)                   the first fenced code block (an unclosed fence is tolerated)
  apply_function_reply(path, text, code)    replace each function of the reply that exists in the file
  FORMATS                                   the four formats benchmarks/edit_formats.py compares
  is_small_model(n_params), gguf_param_count(path), model_param_count(llm)
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass, field

from mimo_lsp.maxmode.model_size import (  # noqa: F401 (re-exported: the format's public names)
    SMALL_MODEL_MAX_PARAMS, gguf_param_count, is_small_model, model_param_count, parse_size_label)
from mimo_lsp.maxmode.targets import (  # noqa: F401
    PYTHON_SUFFIXES, WHOLE_FILE_MAX_LINES, ApplyError, EditFormatError, FunctionSpan, Message, ReplyError, Target,
    TargetError, find_target, is_python, python_functions)



# ------------------------------------------------------------------------------------- "rewrite one function"

SYSTEM = "You are a careful Python programmer. You fix code by rewriting one function."


@dataclass(frozen=True)
class Example:
    instruction: str
    path: str
    before: str
    after: str


# Worked examples on functions that appear in no benchmark task: one bug fix, one small feature.
EXAMPLES = (
    Example(
        instruction="Fix `is_empty` in box.py: it returns True for lists that have items.",
        path="box.py",
        before='def is_empty(items):\n    """Return True if items has no elements."""\n    return len(items) > 0\n',
        after='def is_empty(items):\n    """Return True if items has no elements."""\n    return len(items) == 0\n',
    ),
    Example(
        instruction="Add an optional `suffix` parameter to label in tags.py (default '') that goes after the brackets.",
        path="tags.py",
        before='def label(name):\n    """Return name in square brackets."""\n    return "[" + name + "]"\n',
        after='def label(name, suffix=""):\n    """Return name in square brackets."""\n    return "[" + name + "]" + suffix\n',
    ),
)


def _lang(path: str) -> str:
    return "python" if is_python(path) else ""


def _shown_code(target: Target) -> str:
    """The target as the model sees it: a method is dedented to column 0 (it is re-indented on apply)."""
    return textwrap.dedent(target.source) if not target.whole_file else target.source


def _function_request(instruction: str, path: str, code: str, what: str, lang: str) -> str:
    return (f"{instruction}\n\n{path}{what}:\n```{lang}\n{code.rstrip()}\n```\n\n"
            f"Reply with the corrected {'code' if what == '' else 'function'} in one ```{lang} block. "
            "Change as little as possible.")


def _what(target: Target) -> str:
    if target.whole_file:
        return ""
    if target.class_name and target.name:
        return f", method {target.name.split('.')[-1]} of class {target.class_name}"
    return f", function {target.name}"


def examples_for(attempt: int) -> int:
    """Worked examples for the `attempt`-th try (1-based) of the same edit. Odd tries (the greedy first among
    them) see none, even ones two: measured on the shipped model, no example is better greedily (15 vs 11 of
    40), examples make samples more faithful, and the mix solved more tasks at the same budget (24 vs 20 of
    40) than either prompt alone."""
    return 0 if attempt % 2 == 1 else 2


def build_messages(instruction: str, path: str, text: str, target: Target | None = None, *,
                   examples: int = 2) -> list[Message]:
    """Chat messages asking for the target function, corrected, in one fenced block.

    `examples` worked examples (0-2, from EXAMPLES) go first as user/assistant turns in the same shape.
    """
    target = target or find_target(instruction, path, text)
    lang = _lang(path)
    messages: list[Message] = [{"role": "system", "content": SYSTEM}]
    for ex in EXAMPLES[:examples]:
        name = ex.before.split("(")[0].split()[-1]
        messages.append({"role": "user", "content": _function_request(ex.instruction, ex.path, ex.before,
                                                                      f", function {name}", "python")})
        messages.append({"role": "assistant", "content": f"```python\n{ex.after.rstrip()}\n```"})
    messages.append({"role": "user", "content": _function_request(instruction, path, _shown_code(target),
                                                                  _what(target), lang)})
    return messages


_OPEN_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+.#-]*)[ \t]*\r?\n")
_CLOSE_FENCE = re.compile(r"^[ \t]*```", re.M)
_CODE_START = re.compile(r"^\s*(?:async\s+def|def|class|@)\s*\w", re.S)


def parse_code_reply(reply: str) -> str:
    """The code of the reply's first fenced block. An unclosed fence runs to the end of the reply (a
    reply stopped at the closing fence, or cut by max_tokens). With no fence at all, a reply that starts
    like code (`def`, `class`, `@`) is taken whole. Empty or code-less blocks raise ReplyError."""
    m = _OPEN_FENCE.search(reply)
    if m:
        rest = reply[m.end():]
        close = _CLOSE_FENCE.search(rest)
        code = rest[: close.start()] if close else rest
    elif _CODE_START.match(reply):
        code = reply
    else:
        raise ReplyError("no ``` code block in the reply" + (" (empty reply)" if not reply.strip() else ""))
    code = code.rstrip()
    meaningful = [ln for ln in code.splitlines() if ln.strip() and not ln.strip().startswith("#")
                  and ln.strip() not in ("...", "pass")]
    if not code.strip():
        raise ReplyError("the code block is empty")
    if not meaningful or not re.search(r"[A-Za-z]", code):
        raise ReplyError("the code block has no code in it")
    return code + "\n"


@dataclass
class ApplyResult:
    text: str  # the new file text
    replaced: list[str] = field(default_factory=list)  # qualified names replaced
    skipped: list[str] = field(default_factory=list)  # names in the reply that are not in the file

    @property
    def changed(self) -> bool:
        return bool(self.replaced)


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _reindent(segment: str, indent: str) -> list[str]:
    body = textwrap.dedent(segment)
    return [(indent + ln if ln.strip() else "") for ln in body.splitlines()]


def apply_function_reply(path: str, text: str, code: str, target: Target | None = None) -> ApplyResult:
    """Replace, in `text`, each function of `code` that exists in the file; append none.

    Matching, per function of the reply: the target method when the names agree; else a module-level
    function of that name; else a method of that name in the target's class. A class in the reply
    contributes its methods to the same-named class of the file, method by method. A reply function
    without decorators keeps the file function's decorators; one with decorators replaces them.
    Non-Python files (and Python files with no functions, when the target is the whole file) are
    replaced whole by the code. Raises ApplyError with the reason when nothing can be applied.
    """
    if not is_python(path):
        if target is not None and not target.whole_file:
            raise ApplyError(f"{path} is not Python: only a whole-file reply can be applied")
        return ApplyResult(text=code if code.endswith("\n") else code + "\n", replaced=[path])
    code = textwrap.dedent(code)
    try:
        reply_tree = ast.parse(code)
    except SyntaxError as exc:
        raise ApplyError(f"the reply is not valid Python (line {exc.lineno}: {exc.msg})") from exc
    try:
        file_funcs = python_functions(text)
    except SyntaxError as exc:
        raise ApplyError(f"{path} does not parse (line {exc.lineno}: {exc.msg}); cannot find functions in it") from exc

    reply_lines = code.splitlines()
    # (reply function node, file span) pairs
    pairs: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, FunctionSpan]] = []
    skipped: list[str] = []
    top = {f.name: f for f in reversed(file_funcs) if f.class_name is None}
    target_cls = target.class_name if target is not None else None

    def match_function(node: ast.FunctionDef | ast.AsyncFunctionDef, cls: str | None) -> FunctionSpan | None:
        if cls is not None:  # a method inside a class of the reply
            return next((f for f in file_funcs if f.class_name and f.class_name.split(".")[-1] == cls
                         and f.name == node.name), None)
        if target is not None and target.class_name and target.name and target.name.split(".")[-1] == node.name:
            return next(f for f in file_funcs if f.qualname == target.name)
        if node.name in top:
            return top[node.name]
        if target_cls:
            return next((f for f in file_funcs if f.class_name == target_cls and f.name == node.name), None)
        return None

    defined: list[str] = []
    for node in reply_tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            defined.append(node.name)
            span = match_function(node, None)
            (pairs.append((node, span)) if span else skipped.append(node.name))
        elif isinstance(node, ast.ClassDef):
            defined.append(node.name)
            for sub in node.body:
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    span = match_function(sub, node.name)
                    (pairs.append((sub, span)) if span else skipped.append(f"{node.name}.{sub.name}"))

    if not defined:
        if not file_funcs and (target is None or target.whole_file):
            return ApplyResult(text=code, replaced=[path])
        raise ApplyError("the reply defines no function (expected the corrected function, starting with `def`)")
    if not pairs:
        raise ApplyError(f"none of the reply's functions ({', '.join(defined)}) is in {path}")

    nl = _newline(text)
    lines = text.splitlines()
    done: set[str] = set()
    edits: list[tuple[int, int, list[str]]] = []  # (first line, last line) 1-based, replacement lines
    for node, span in pairs:
        if span.qualname in done:  # the reply defines it twice: the first one counts
            continue
        done.add(span.qualname)
        decos = [d.lineno for d in node.decorator_list]
        r_start = min(decos + [node.lineno])
        new = _reindent("\n".join(reply_lines[r_start - 1 : node.end_lineno]), span.indent)
        first = span.start if decos else span.def_line  # no decorators in the reply: keep the file's
        edits.append((first, span.end, new))
    for first, last, new in sorted(edits, reverse=True):
        lines[first - 1 : last] = new
    new_text = nl.join(lines) + (nl if text.endswith(("\n", "\r")) or not text else "")
    try:
        ast.parse(new_text)
    except SyntaxError as exc:
        raise ApplyError(f"the edited {path} does not parse (line {exc.lineno}: {exc.msg})") from exc
    return ApplyResult(text=new_text, replaced=sorted(done, key=lambda q: [s.qualname for s in file_funcs].index(q)),
                       skipped=skipped)


def apply_reply(path: str, text: str, reply: str, target: Target | None = None) -> ApplyResult:
    """parse_code_reply + apply_function_reply."""
    return apply_function_reply(path, text, parse_code_reply(reply), target)
