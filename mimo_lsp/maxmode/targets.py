"""Which code a small model is asked to rewrite: one function (found with `ast`), or a short whole file.

`find_target` holds the rule (see its docstring); the errors here are the edit formats' errors too.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

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
