"""mimo_lsp.maxmode.edit_format (no model) and the Max Mode task set's well-formedness."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mimo_lsp.maxmode import edit_format as ef
from mimo_lsp.maxmode import other_formats as of
from mimo_lsp.maxmode.edit_format import (
    ApplyError,
    ReplyError,
    TargetError,
    apply_function_reply,
    apply_reply,
    build_messages,
    find_target,
    is_small_model,
    parse_code_reply,
    parse_size_label,
)
from mimo_lsp.maxmode.other_formats import (
    apply_line_edits,
    apply_search_replace,
    parse_line_edits,
    parse_search_replace,
)

TASKS = Path(__file__).resolve().parents[2] / "benchmarks" / "max_mode_tasks"

CALC = textwrap.dedent('''\
    """Calculator."""
    import math


    def add(a, b):
        """Return the sum."""
        return a - b


    def multiply(a, b):
        return a * b


    def root(x):
        return math.sqrt(x)
    ''')

BANK = textwrap.dedent('''\
    class Account:
        def __init__(self, balance=0):
            self.balance = balance

        def deposit(self, amount):
            self.balance += amount

        def withdraw(self, amount):
            self.balance += amount


    class Ledger:
        def withdraw(self, amount):
            return amount
    ''')

FIB = textwrap.dedent('''\
    import functools


    @functools.lru_cache(maxsize=None)
    def fib(n):
        if n <= 2:
            return n
        return fib(n - 1) + fib(n - 2)


    def other():
        return 1
    ''')


# ------------------------------------------------------------------------------------------ targets


def test_target_named_function():
    t = find_target("Fix the add function in calc.py so that the tests pass", "calc.py", CALC)
    assert (t.name, t.start, t.end) == ("add", 5, 7)
    assert t.source.startswith("def add(a, b):") and "multiply" not in t.source


def test_target_qualified_method_and_class_disambiguation():
    t = find_target("Account.withdraw in bank.py increases the balance", "bank.py", BANK)
    assert (t.name, t.class_name, t.start, t.end) == ("Account.withdraw", "Account", 8, 9)
    # a bare method name shared by two classes: the class named in the instruction wins
    t = find_target("withdraw of the Ledger class should return a negative amount", "bank.py", BANK)
    assert t.name == "Ledger.withdraw"
    t = find_target("withdraw is wrong", "bank.py", BANK)
    assert t.name == "Account.withdraw"  # the first in the file


def test_target_file_name_is_not_a_function_name():
    text = "def calc(x):\n    return x\n\n\ndef add(a, b):\n    return a - b\n"
    assert find_target("Fix add in calc.py", "calc.py", text).name == "add"


def test_target_backticks_first_and_case_folding_only_for_code_like_names():
    assert find_target("multiply works, but `add` does not", "calc.py", CALC).name == "add"
    assert find_target("multiply works, but add does not", "calc.py", CALC).name == "multiply"  # first named
    assert find_target("Fix `ADD` in calc.py", "calc.py", CALC).name == "add"
    text = "def add(a, b):\n    return a + b\n\n\ndef count_words(s):\n    return len(s)\n"
    assert find_target("COUNT_WORDS is wrong", "calc.py", text).name == "count_words"
    # "Add" is an English word here, not the function add(): nothing named, short file -> whole file
    assert find_target("Add a subtract function", "calc.py", text).whole_file


def test_target_includes_decorators():
    t = find_target("fib(2) should be 1", "fib.py", FIB)
    assert (t.name, t.start, t.end) == ("fib", 4, 8)
    assert t.source.startswith("@functools.lru_cache")


def test_target_related_words_then_whole_file_then_error():
    geo = textwrap.dedent('''\
        def rectangle_area(w, h):
            """Area of a rectangle."""
            return w * h


        def rectangle_perimeter(w, h):
            """Perimeter of a rectangle."""
            return w + h
        ''')
    t = find_target("the perimeter of a rectangle is half what it should be", "geometry.py", geo)
    assert t.name == "rectangle_perimeter" and t.reason.startswith("most related")
    # nothing named, nothing related: a short file is shown whole
    t = find_target("this module is broken", "geometry.py", geo)
    assert t.whole_file and t.source == geo and (t.start, t.end) == (1, 8)
    # ... a long one is refused with a reason
    long = geo + "".join(f"\n\ndef f{i}():\n    return {i}\n" for i in range(30))
    with pytest.raises(TargetError, match="name the function"):
        find_target("this module is broken", "geometry.py", long)


def test_target_non_python_and_unparsable_files_are_whole_file():
    assert find_target("fix add", "calc.js", "function add(a, b) { return a - b; }\n").whole_file
    t = find_target("fix add", "calc.py", "def add(a, b)\n    return a - b\n")
    assert t.whole_file and "does not parse" in t.reason


# ------------------------------------------------------------------------------------------ prompt


def test_messages_show_only_the_target_function_with_examples():
    msgs = build_messages("Fix the add function in calc.py so that the tests pass", "calc.py", CALC)
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "user", "assistant", "user"]
    last = msgs[-1]["content"]
    assert last.startswith("Fix the add function in calc.py")
    assert "```python\ndef add(a, b):\n" in last and "return a - b" in last
    assert "multiply" not in last and "import math" not in last
    assert "Change as little as possible" in last
    # the worked examples are complete fenced functions on other code
    for m in msgs[2:-1:2]:
        assert m["content"].startswith("```python\ndef ") and m["content"].endswith("```")
        assert "add" not in m["content"]
    assert all(set(m) == {"role", "content"} and isinstance(m["content"], str) for m in msgs)


def test_messages_without_examples_and_for_a_method():
    msgs = build_messages("Account.withdraw in bank.py increases the balance", "bank.py", BANK, examples=0)
    assert [m["role"] for m in msgs] == ["system", "user"]
    last = msgs[-1]["content"]
    assert "method withdraw of class Account" in last
    assert "```python\ndef withdraw(self, amount):\n    self.balance += amount\n```" in last  # dedented
    assert "deposit" not in last


def test_example_functions_are_in_no_task():
    names = {ex.before.split("(")[0].split()[-1] for ex in ef.EXAMPLES}
    for task in TASKS.glob("*/task.json"):
        meta = json.loads(task.read_text())
        text = (task.parent / meta["file"]).read_text()
        assert not names & {f.name for f in ef.python_functions(text)}, task.parent.name


# ------------------------------------------------------------------------------------------ parsing


def test_parse_closed_unclosed_and_unfenced():
    assert parse_code_reply("Here:\n```python\ndef f():\n    return 1\n```\nDone.") == "def f():\n    return 1\n"
    assert parse_code_reply("```python\ndef f():\n    return 1\n") == "def f():\n    return 1\n"  # cut at the fence
    assert parse_code_reply("```\ndef f():\n    return 1") == "def f():\n    return 1\n"
    assert parse_code_reply("Sure! ```python\ndef f():\n    return 1\n```") == "def f():\n    return 1\n"
    assert parse_code_reply("def f():\n    return 1\n") == "def f():\n    return 1\n"  # bare code
    assert parse_code_reply("@cache\ndef f():\n    return 1") == "@cache\ndef f():\n    return 1\n"


def test_parse_takes_the_first_of_several_blocks():
    reply = "```python\ndef f():\n    return 1\n```\nor\n```python\ndef f():\n    return 2\n```"
    assert parse_code_reply(reply) == "def f():\n    return 1\n"


@pytest.mark.parametrize("reply, why", [
    ("", "empty reply"),
    ("The bug is in the return statement.", "no ``` code block"),
    ("```python\n```", "empty"),
    ("```python\n\n   \n```", "empty"),
    ("```python\n...\n```", "no code"),
    ("```\n# TODO\n```", "no code"),
    ("```\n+-*/ 123\n```", "no code"),
])
def test_parse_rejects_empty_and_garbled(reply, why):
    with pytest.raises(ReplyError, match=why):
        parse_code_reply(reply)


# ------------------------------------------------------------------------------------------ applying


def test_apply_function_in_the_middle_of_a_file():
    out = apply_function_reply("calc.py", CALC, 'def add(a, b):\n    """Return the sum."""\n    return a + b\n')
    assert out.text == CALC.replace("return a - b", "return a + b")
    assert out.replaced == ["add"] and out.changed


@pytest.mark.parametrize("reply", [
    "def withdraw(self, amount):\n    self.balance -= amount\n",  # at column 0, as shown
    "    def withdraw(self, amount):\n        self.balance -= amount\n",  # copied with its indentation
    "class Account:\n    def withdraw(self, amount):\n        self.balance -= amount\n",  # wrapped in its class
])
def test_apply_method_keeps_the_class_indentation(reply):
    target = find_target("Account.withdraw in bank.py increases the balance", "bank.py", BANK)
    out = apply_function_reply("bank.py", BANK, reply, target)
    expected = BANK.replace("    def withdraw(self, amount):\n        self.balance += amount",
                            "    def withdraw(self, amount):\n        self.balance -= amount")
    assert out.text == expected  # Ledger.withdraw untouched
    assert out.replaced == ["Account.withdraw"]


def test_apply_keeps_decorators_unless_the_reply_has_its_own():
    target = find_target("fib(2) should be 1", "fib.py", FIB)
    out = apply_function_reply("fib.py", FIB, "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n", target)
    assert out.text == FIB.replace("n <= 2", "n < 2")
    assert "@functools.lru_cache(maxsize=None)\ndef fib(n):" in out.text
    out = apply_function_reply("fib.py", FIB, "@functools.cache\ndef fib(n):\n    return n\n", target)
    assert "@functools.cache\ndef fib(n):\n    return n\n" in out.text and "lru_cache" not in out.text


def test_apply_several_defs_replaces_the_known_ones_and_appends_none():
    reply = ("import os\n\ndef add(a, b):\n    return a + b\n\n\ndef multiply(a, b):\n    return b * a\n\n\n"
             "def helper():\n    return 0\n\nprint(add(1, 2))\n")
    out = apply_function_reply("calc.py", CALC, reply)
    assert out.replaced == ["add", "multiply"] and out.skipped == ["helper"]
    assert "return a + b" in out.text and "return b * a" in out.text
    assert "helper" not in out.text and "print(" not in out.text and "import os" not in out.text
    assert out.text.count("def ") == 3


def test_apply_syntax_error_is_a_clear_error():
    with pytest.raises(ApplyError, match=r"not valid Python \(line 2"):
        apply_function_reply("calc.py", CALC, "def add(a, b):\n    return a +\n")
    with pytest.raises(ApplyError, match=r"none of the reply's functions \(subtract\) is in calc.py"):
        apply_function_reply("calc.py", CALC, "def subtract(a, b):\n    return a - b\n")
    with pytest.raises(ApplyError, match="defines no function"):
        apply_function_reply("calc.py", CALC, "return a + b\n")


def test_apply_reply_end_to_end_and_whole_file_for_other_languages():
    out = apply_reply("calc.py", CALC, "Fixed:\n```python\ndef add(a, b):\n    return a + b\n```")
    assert "def add(a, b):\n    return a + b\n\n\ndef multiply" in out.text
    js = "function add(a, b) { return a - b; }\n"
    out = apply_reply("calc.js", js, "```js\nfunction add(a, b) { return a + b; }\n```")
    assert out.text == "function add(a, b) { return a + b; }\n"


# ------------------------------------------------------------------------- the comparison formats


def test_search_replace_parse_and_apply():
    reply = "<<<<<<< SEARCH\n    return a - b\n=======\n    return a + b\n>>>>>>> REPLACE\n"
    out = apply_search_replace("calc.py", CALC, parse_search_replace(reply))
    assert out.text == CALC.replace("return a - b", "return a + b")
    # indentation lost by the model, closing marker missing: still applied, re-indented
    blocks = parse_search_replace("```\n<<<<<<< SEARCH\nreturn a - b\n=======\nreturn a + b\n```")
    assert blocks == [("return a - b", "return a + b")]
    assert apply_search_replace("calc.py", CALC, blocks).text == CALC.replace("return a - b", "return a + b")
    with pytest.raises(ApplyError, match="not found"):
        apply_search_replace("calc.py", CALC, [("return a / b", "return a + b")])
    with pytest.raises(ReplyError):
        parse_search_replace("return a + b")


def test_line_edits_parse_and_apply():
    target = find_target("fix add", "calc.py", CALC)  # file lines 5-7, shown as 1-3
    assert "\n1: def add(a, b):\n2: " in of.FORMATS["line"].build("fix add", "calc.py", CALC, target)[-1]["content"]
    assert parse_line_edits("3: return a + b\n3: return 0") == [(3, "return a + b")]  # the first edit of a line
    out = apply_line_edits("calc.py", CALC, parse_line_edits("```\n3:     return a + b\n```"), target)
    assert out.text == CALC.replace("return a - b", "return a + b")  # the file line's indentation kept
    out = apply_line_edits("calc.py", CALC, [(3, "return a + b")], target)
    assert out.text == CALC.replace("return a - b", "return a + b")
    with pytest.raises(ApplyError, match="not among the lines shown"):
        apply_line_edits("calc.py", CALC, [(4, "return 0")], target)
    with pytest.raises(ReplyError):
        parse_line_edits("change the minus to a plus")


def test_every_format_builds_messages_for_every_task():
    for task in sorted(TASKS.glob("*/task.json")):
        meta = json.loads(task.read_text())
        text = (task.parent / meta["file"]).read_text()
        target = find_target(meta["instruction"], meta["file"], text)
        for fmt in of.FORMATS.values():
            msgs = fmt.build(meta["instruction"], meta["file"], text, target)
            assert msgs[0]["role"] == "system" and msgs[-1]["role"] == "user"
            assert meta["instruction"] in msgs[-1]["content"]


# ------------------------------------------------------------------------------------------ model size


def test_small_model_threshold_and_size_labels():
    assert parse_size_label("135M") == 135_000_000
    assert parse_size_label("1.5B") == 1_500_000_000
    assert parse_size_label("8x7B") == 56_000_000_000
    assert parse_size_label("Instruct") is None and parse_size_label(None) is None
    assert is_small_model(134_515_008) and is_small_model(parse_size_label("360M"))
    assert not is_small_model(1_000_000_000) and not is_small_model(parse_size_label("7.6B"))
    assert not is_small_model(None) and not is_small_model(0)


def test_model_param_count_prefers_n_params_then_the_size_label():
    class Loaded:
        metadata = {"general.size_label": "135M"}

        def __init__(self, n):
            self.n = n

        def n_params(self):
            return self.n

    assert ef.model_param_count(Loaded(134_515_008)) == 134_515_008
    assert ef.model_param_count(Loaded(0)) == 135_000_000


# ------------------------------------------------------------------------------------------ the task set


def _tasks() -> list[Path]:
    return sorted(p.parent for p in TASKS.glob("*/task.json"))


def _run_check(task: Path, use_solution: bool) -> subprocess.CompletedProcess:
    """The protocol of benchmarks/max_mode_tasks/README.md, implemented independently of the benchmark."""
    meta = json.loads((task / "task.json").read_text())
    scratch = Path(os.environ.get("TMPDIR", "/tmp"))
    import tempfile

    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        ws = Path(tmp) / task.name
        shutil.copytree(task, ws, ignore=shutil.ignore_patterns("hidden", "task.json"))
        if use_solution:
            for f in (task / "hidden" / "solution").iterdir():
                shutil.copy(f, ws / f.name)
        for f in (task / "hidden").iterdir():
            if f.is_file():
                shutil.copy(f, ws / f.name)
        cmd = meta["check"]
        if cmd.startswith("python "):
            cmd = f'"{sys.executable}" ' + cmd[len("python "):]
        env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTHONDONTWRITEBYTECODE="1")
        return subprocess.run(cmd, shell=True, cwd=ws, env=env, capture_output=True, text=True,
                              timeout=meta.get("timeout", 60))


def test_task_set_is_well_formed_and_no_task_passes_on_its_starting_files():
    tasks = _tasks()
    assert len(tasks) >= 30
    assert (TASKS / "calculator_add" / "calc.py").read_text() == (TASKS.parents[1] / "examples" / "calculator" / "calc.py").read_text()
    for task in tasks:
        meta = json.loads((task / "task.json").read_text())
        assert isinstance(meta["instruction"], str) and len(meta["instruction"]) > 10, task.name
        assert isinstance(meta["check"], str) and meta["check"].strip(), task.name
        assert (task / meta["file"]).is_file(), task.name
        assert (task / "hidden" / "test_hidden.py").is_file(), task.name
        assert not list(task.glob("test_hidden*")), f"{task.name}: the hidden test is outside hidden/"
        sol = task / "hidden" / "solution"
        assert sol.is_dir() and all((task / f.name).is_file() for f in sol.iterdir()), task.name
        assert "test_hidden" not in meta["instruction"], task.name
    with ThreadPoolExecutor(max_workers=2) as pool:
        starting = list(pool.map(lambda t: _run_check(t, False), tasks))
    passing = [t.name for t, r in zip(tasks, starting) if r.returncode == 0]
    assert not passing, f"hidden tests pass on the starting files: {passing}"
    # failing for the right reason: tests ran and failed (exit 1), not a collection error (exit 2+)
    errors = {t.name: r.stdout[-400:] for t, r in zip(tasks, starting) if r.returncode != 1}
    assert not errors, errors


def test_every_hidden_test_passes_with_the_reference_fix():
    tasks = _tasks()
    with ThreadPoolExecutor(max_workers=2) as pool:
        solved = list(pool.map(lambda t: _run_check(t, True), tasks))
    unsolved = {t.name: r.stdout[-400:] for t, r in zip(tasks, solved) if r.returncode != 0}
    assert not unsolved, f"hidden tests fail on the reference fix: {unsolved}"


def test_an_oracle_reply_through_the_edit_format_solves_every_task():
    """The reference fix's version of the target function, sent as a model reply, gives the reference
    file: the target choice and the apply step lose nothing on any task."""
    for task in _tasks():
        meta = json.loads((task / "task.json").read_text())
        text = (task / meta["file"]).read_text()
        solution = (task / "hidden" / "solution" / meta["file"]).read_text()
        target = find_target(meta["instruction"], meta["file"], text)
        if target.whole_file:
            reply_code = solution
        else:
            span = next(f for f in ef.python_functions(solution) if f.qualname == target.name)
            reply_code = textwrap.dedent("".join(solution.splitlines(keepends=True)[span.start - 1: span.end]))
        reply = f"```python\n{reply_code}```\n"
        out = apply_reply(meta["file"], text, reply, target)
        assert out.text == solution, task.name


@pytest.mark.real_model
def test_gguf_param_count_of_the_shipped_model():
    pytest.importorskip("llama_cpp")
    from mimo_lsp.llm.models import resolve_model
    from mimo_lsp.llm.port import ModelError

    try:
        path = resolve_model(None).path
    except ModelError as exc:
        pytest.skip(f"shipped model not installed: {exc}")
    n = ef.gguf_param_count(path)
    assert 130_000_000 < n < 140_000_000  # SmolLM2-135M: 134515008 tensor elements
    assert is_small_model(n)
