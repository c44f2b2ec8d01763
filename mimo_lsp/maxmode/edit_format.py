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
from collections.abc import Callable
from pathlib import Path
from typing import Any

Message = dict[str, str]

# A file this short is shown whole when the instruction names none of its functions.
WHOLE_FILE_MAX_LINES = 60
PYTHON_SUFFIXES = (".py", ".pyi")

# Below this many parameters a model gets the "rewrite one function" format instead of JSON tool edits.
# The shipped SmolLM2-135M is far below; 1B+ models follow JSON schemas with meaningful content.
SMALL_MODEL_MAX_PARAMS = 1_000_000_000


class EditFormatError(ValueError):
    """A reply that cannot be used, or a file / instruction with no usable target. The message says why."""


class TargetError(EditFormatError):
    pass


class ReplyError(EditFormatError):
    pass


class ApplyError(EditFormatError):
    pass


# ----------------------------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class FunctionSpan:
    qualname: str  # "add", "Account.withdraw"
    name: str
    class_name: str | None  # the enclosing class's qualname, for methods
    start: int  # 1-based first line, decorators included
    def_line: int  # 1-based line of `def`
    end: int  # 1-based last line, inclusive
    indent: str
    docstring: str


@dataclass(frozen=True)
class Target:
    """What the model is asked to rewrite: one function (name set) or the whole file (name None)."""

    path: str
    name: str | None  # qualified name, e.g. "Account.withdraw"; None = the whole file
    start: int  # 1-based, inclusive
    end: int
    source: str  # the text of lines start..end
    reason: str  # how it was chosen, for logs and reports
    class_name: str | None = None

    @property
    def whole_file(self) -> bool:
        return self.name is None


def is_python(path: str | Path) -> bool:
    return str(path).endswith(PYTHON_SUFFIXES)


def python_functions(text: str) -> list[FunctionSpan]:
    """Module-level functions and methods (of classes at any depth), in file order.

    Functions nested inside functions are part of their parent. Raises SyntaxError on invalid Python.
    """
    tree = ast.parse(text)
    lines = text.splitlines()
    out: list[FunctionSpan] = []

    def visit(body: list[ast.stmt], cls: str | None) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                start = min([d.lineno for d in node.decorator_list] + [node.lineno])
                line = lines[node.lineno - 1]
                out.append(FunctionSpan(
                    qualname=f"{cls}.{node.name}" if cls else node.name,
                    name=node.name,
                    class_name=cls,
                    start=start,
                    def_line=node.lineno,
                    end=node.end_lineno or node.lineno,
                    indent=line[: len(line) - len(line.lstrip())],
                    docstring=ast.get_docstring(node) or "",
                ))
            elif isinstance(node, ast.ClassDef):
                visit(node.body, f"{cls}.{node.name}" if cls else node.name)

    visit(tree.body, None)
    return out


_FILE_TOKEN = re.compile(r"(?<![\w/.-])(?:[\w-]+/)*[\w-]+\.[A-Za-z][A-Za-z0-9]{0,7}(?![\w(])")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_WORD = re.compile(r"[a-z0-9]+")
_STOP = set("""a an the and or but if in on of to for from with without by at as is are was be been it its
this that these those should must can cannot does doesn't don't not no yes so than then when where which
who what how why fix fixes fixed bug bugs please function functions method methods returns return
returned give gives gave make makes wrong right instead value values file code python add implement
test tests pass passes work works""".split())


def _mentions(instruction: str, path: str) -> list[str]:
    """Identifiers named in the instruction: those in `backticks` first, then the rest in order; file
    names (calc.py) left out."""
    names = {Path(path).name}

    def drop_files(text: str) -> str:
        return _FILE_TOKEN.sub(lambda m: " " if m.group(0).rsplit(".", 1)[-1] in _CODE_SUFFIXES or m.group(0) in names
                               else m.group(0), text)

    quoted = [i for span in re.findall(r"`([^`]+)`", instruction) for i in _IDENT.findall(drop_files(span))]
    return quoted + [i for i in _IDENT.findall(drop_files(instruction)) if i not in quoted]


def _code_like(name: str) -> bool:
    """Looks like an identifier rather than an English word: snake_case, a digit, or an inner capital."""
    return "_" in name or any(c.isdigit() for c in name) or any(c.isupper() for c in name[1:])


_CODE_SUFFIXES = set("py pyi js jsx ts tsx mjs go rs java kt c h cc cpp hpp cs rb php lua sh".split())


def _words(text: str) -> set[str]:
    parts = re.sub(r"([a-z])([A-Z])", r"\1 \2", text).lower().replace("_", " ")
    return {w for w in _WORD.findall(parts) if len(w) >= 3 and w not in _STOP}


def _slice(text: str, start: int, end: int) -> str:
    return "".join(text.splitlines(keepends=True)[start - 1 : end])


def _function_target(path: str, text: str, fn: FunctionSpan, reason: str) -> Target:
    return Target(path=path, name=fn.qualname, start=fn.start, end=fn.end, source=_slice(text, fn.start, fn.end),
                  reason=reason, class_name=fn.class_name)


def _whole_file(path: str, text: str, reason: str, max_lines: int) -> Target:
    n = len(text.splitlines())
    if n > max_lines:
        raise TargetError(f"{reason}, and {path} has {n} lines (more than {max_lines} to show whole): "
                          "name the function to change")
    return Target(path=path, name=None, start=1, end=max(n, 1), source=text, reason=reason)


def find_target(instruction: str, path: str, text: str, *, whole_file_max_lines: int = WHOLE_FILE_MAX_LINES) -> Target:
    """Choose what the model rewrites. The rule, first match wins:

    1. a function or method NAMED in the instruction: `Account.withdraw` (qualified) beats a bare
       `withdraw`; for a bare name shared by several methods, the one whose class is also named, else the
       first in the file; when several different functions are named, the first named in the instruction.
       Names in `backticks` come first. Names match case-sensitively first, then ignoring case (only
       names in backticks, dotted or code-like: `Median`, COUNT_WORDS; not "Add" for add()). File names
       (calc.py) are not names.
    2. the file's only function;
    3. the function most RELATED to the instruction: words of its name count 3, words of its docstring 1
       (stop words and words under 3 letters left out); used only when one function scores highest;
    4. the whole file, if it has at most `whole_file_max_lines` lines (also for non-Python files and files
       that do not parse, which have no functions to find);
    otherwise TargetError.
    """
    if not is_python(path):
        return _whole_file(path, text, "not a Python file", whole_file_max_lines)
    try:
        funcs = python_functions(text)
    except SyntaxError as exc:
        return _whole_file(path, text, f"{path} does not parse (line {exc.lineno}: {exc.msg})", whole_file_max_lines)
    if not funcs:
        return _whole_file(path, text, "no function in the file", whole_file_max_lines)

    mentions = _mentions(instruction, path)
    quoted = {i for span in re.findall(r"`([^`]+)`", instruction) for i in _IDENT.findall(span)}
    for fold in (False, True):
        norm = (lambda s: s.lower()) if fold else (lambda s: s)
        if fold:  # ignoring case, plain words ("Add a subtract function") would hit add(): code-like names only
            mentions = [m for m in mentions if m in quoted or "." in m or _code_like(m)]
        by_qual = {norm(f.qualname): f for f in funcs}
        named_classes = {norm(p) for m in mentions for p in m.split(".")}
        for m in mentions:  # qualified names first: "Account.withdraw"
            if "." in m and norm(m) in by_qual:
                return _function_target(path, text, by_qual[norm(m)], f"named in the instruction ({m})")
            # "calc.add" or "self.balance": the longest dotted suffix that is a qualname
            parts = m.split(".")
            for i in range(1, len(parts)):
                suffix = norm(".".join(parts[i:]))
                if "." in suffix and suffix in by_qual:
                    return _function_target(path, text, by_qual[suffix], f"named in the instruction ({m})")
        for m in mentions:
            for part in m.split("."):
                hits = [f for f in funcs if norm(f.name) == norm(part)]
                if hits:
                    in_named = [f for f in hits if f.class_name and norm(f.class_name.split(".")[-1]) in named_classes]
                    fn = (in_named or hits)[0]
                    return _function_target(path, text, fn, f"named in the instruction ({part})")

    if len(funcs) == 1:
        return _function_target(path, text, funcs[0], "the file's only function")

    words = _words(instruction)
    scores = [(3 * len(words & _words(f.name)) + len(words & _words(f.docstring)), i) for i, f in enumerate(funcs)]
    scores.sort(reverse=True)
    if scores[0][0] > 0 and (len(scores) == 1 or scores[0][0] > scores[1][0]):
        fn = funcs[scores[0][1]]
        return _function_target(path, text, fn, f"most related to the instruction (score {scores[0][0]})")
    return _whole_file(path, text, "no function named or clearly related", whole_file_max_lines)


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


# ------------------------------------------------------------------------------------------ model size


def is_small_model(n_params: int | float | None) -> bool:
    """True below SMALL_MODEL_MAX_PARAMS (1e9). An unknown count (None or 0) is not small: the caller
    decides, e.g. from the manifest's `params`."""
    return n_params is not None and 0 < float(n_params) < SMALL_MODEL_MAX_PARAMS


_SIZE = re.compile(r"^\s*(?:(\d+)\s*x\s*)?(\d+(?:\.\d+)?)\s*([KMBT])\s*$", re.I)
_SCALE = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}


def parse_size_label(label: str | None) -> int | None:
    """GGUF `general.size_label` or a manifest `params` value to a count: '135M' -> 135000000,
    '1.5B', '8x7B' (experts x size). None when it is not a size."""
    if not label:
        return None
    m = _SIZE.match(str(label))
    if not m:
        return None
    experts = int(m.group(1)) if m.group(1) else 1
    return int(round(experts * float(m.group(2)) * _SCALE[m.group(3).upper()]))


def model_param_count(llm: Any) -> int | None:
    """Parameter count of a loaded llama_cpp.Llama: the sum of its tensors' elements, else the GGUF
    metadata's `general.size_label`. llama-cpp-python 0.3.x has no public `Llama.n_params()`; its
    internal `Llama._model.n_params()` (llama_model_n_params) gives the count (134515008 for the shipped
    SmolLM2-135M); a `n_params()` on the object itself (other versions, test doubles) is tried first."""
    for owner in (llm, getattr(llm, "_model", None)):
        fn = getattr(owner, "n_params", None)
        if callable(fn):
            try:
                n = int(fn())
            except Exception:  # a vocab-only load, a closed model
                continue
            if n > 0:
                return n
    meta = getattr(llm, "metadata", None) or {}
    return parse_size_label(meta.get("general.size_label"))


def gguf_param_count(path: str | Path) -> int | None:
    """Parameter count of a GGUF file, read through llama_cpp without loading the weights: a vocab-only
    load still has the tensor shapes (134515008 for the shipped SmolLM2-135M, 0.3 s) and the metadata
    (`general.size_label`, the fallback)."""
    import llama_cpp  # lazy: only callers that have a model file pay for it

    llm = llama_cpp.Llama(model_path=str(path), vocab_only=True, n_threads=1, verbose=False)
    try:
        return model_param_count(llm)
    finally:
        _close(llm)


def _close(llm: Any) -> None:
    closer = getattr(llm, "close", None)
    if closer is not None:
        closer()
