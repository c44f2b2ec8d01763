"""Shared helpers for the family generators (stdlib only, deterministic output)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

FAMILIES = Path(__file__).resolve().parent.parent / "families"

# Test scripts run from the workspace root as `python3 tests/test_x.py`: they put the root on sys.path
# and never write __pycache__ into the workspace.
TEST_PRELUDE = '''import sys
sys.dont_write_bytecode = True
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
'''


def dedent(text: str) -> str:
    """textwrap.dedent, without the leading newline of a triple-quoted literal."""
    return textwrap.dedent(text).lstrip("\n")


def read(path, **kw):
    return {"tool": "read_file", "path": path, **kw}


def list_files(path="."):
    return {"tool": "list_files", "path": path}


def search(query, k=5):
    return {"tool": "search_code", "query": query, "k": k}


def write(path, content):
    return {"tool": "write_file", "path": path, "content": content}


def edit(path, search_text, replace):
    return {"tool": "edit_file", "path": path, "search": search_text, "replace": replace}


def run(command, timeout_s=None):
    step = {"tool": "run_command", "command": command}
    if timeout_s is not None:
        step["timeout_s"] = timeout_s
    return step


def finish(summary):
    return {"tool": "finish", "summary": summary}


def node(nid, title, depends_on, expected_output, files, checks, steps):
    return {"id": nid, "title": title, "depends_on": list(depends_on), "expected_output": expected_output,
            "files": list(files), "checks": list(checks), "steps": list(steps)}


def cmd(command):
    return {"command": command}


def contains(path, text):
    return {"path": path, "contains": text}


def not_contains(path, text):
    return {"path": path, "not_contains": text}


def family(name, description, instruction, files, goal, nodes):
    return {"format": 1, "name": name, "description": description, "instruction": instruction,
            "files": dict(sorted(files.items())), "goal": goal, "nodes": nodes}


def write_family(fam: dict, filename: str) -> Path:
    FAMILIES.mkdir(parents=True, exist_ok=True)
    out = FAMILIES / filename
    out.write_text(json.dumps(fam, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    steps = sum(len(n["steps"]) for n in fam["nodes"])
    print(f"wrote {out.relative_to(FAMILIES.parent.parent.parent)}: {len(fam['nodes'])} nodes, {steps} steps")
    return out


# A docs checker the families' given tests share: every name, number and command of a doc lives in a form
# that can be checked against the code (doctest blocks, console blocks with their output, API bullets whose
# signatures must match), so a wrong fact fails a check. Family-specific checks come after it.
DOCS_LIB = dedent('''
    import doctest
    import inspect
    import os
    import re
    import shutil
    import subprocess
    import tempfile

    ROOT = Path(__file__).resolve().parent.parent


    def read(rel):
        return (ROOT / rel).read_text(encoding="utf-8")


    def blocks(text, lang):
        """The bodies of the fenced blocks of this language."""
        return re.findall(r"^```" + lang + r"\\n(.*?)^```", text, re.MULTILINE | re.DOTALL)


    def section(text, heading):
        """The `## heading` section of a Markdown text, up to the next `## ` heading ('' if there is none)."""
        match = re.search(r"^## " + re.escape(heading) + r"\\n(.*?)(?=^## |\\Z)", text, re.MULTILINE | re.DOTALL)
        return match.group(1) if match else ""


    def check_pycon(rel, text=None):
        """Run every ```pycon block of the doc as a doctest (one namespace per block)."""
        parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        for i, body in enumerate(blocks(read(rel) if text is None else text, "pycon")):
            runner.run(parser.get_doctest(body, {}, f"{rel} block {i + 1}", rel, 0))
        failed, tried = runner.summarize(verbose=False)
        assert not failed, f"{rel}: {failed} of {tried} examples fail"
        return tried


    def check_console(rel, text=None, copy=None):
        """Run every ```console block: each `$ command` in a scratch copy of the workspace (one copy per block;
        `copy`: only these top-level entries), its output (stdout, then stderr) must be the lines that follow it."""
        runs = 0
        for body in blocks(read(rel) if text is None else text, "console"):
            scratch = Path(tempfile.mkdtemp(prefix="docs-"))
            try:
                for item in ROOT.iterdir():
                    if item.name not in (".mimo", ".git") and (copy is None or item.name in copy):
                        (shutil.copytree if item.is_dir() else shutil.copy2)(item, scratch / item.name)
                for cmd, expected in re.findall(r"^\\$ (.*)\\n((?:(?!\\$ ).*\\n)*)", body, re.MULTILINE):
                    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", COLUMNS="80")  # argparse wraps at COLUMNS
                    proc = subprocess.run(cmd, shell=True, cwd=scratch, capture_output=True, text=True, env=env,
                                          timeout=60)
                    got = proc.stdout + proc.stderr
                    assert got == expected, f"{rel}: `{cmd}` printed {got!r}, the doc says {expected!r}"
                    runs += 1
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        return runs


    def params(obj):
        """A signature as the docs write it: names and defaults, no annotations."""
        out, star = [], False
        for p in inspect.signature(obj).parameters.values():
            if p.kind is p.KEYWORD_ONLY and not star:
                out.append("*")
                star = True
            if p.kind is p.VAR_POSITIONAL:
                star = True
                out.append("*" + p.name)
            elif p.kind is p.VAR_KEYWORD:
                out.append("**" + p.name)
            else:
                out.append(p.name if p.default is p.empty else f"{p.name}={p.default!r}")
        return ", ".join(out)


    def api_bullets(text):
        """(module, name, params) of every `- `name(params)`` bullet, under its `## module` heading."""
        found, module = [], None
        for line in text.splitlines():
            head = re.match(r"## (\\S+)$", line)
            if head:
                module = head.group(1)
            bullet = re.match(r"- `(\\w+)\\((.*?)\\)`", line)
            if bullet and module:
                found.append((module, bullet.group(1), bullet.group(2)))
        return found


    def check_api(rel, skip=()):
        """Every API bullet names a real function or class of its module, with the signature the code has."""
        import importlib

        bullets = api_bullets(read(rel))
        for module, name, doc_params in bullets:
            if name in skip:
                continue
            mod = importlib.import_module(module)
            assert hasattr(mod, name), f"{rel}: {module} has no {name}"
            want = params(getattr(mod, name))
            assert doc_params.replace('"', "'") == want, f"{rel}: {name}({doc_params}) but the code has {name}({want})"
        return bullets


    def check_paths(rel):
        """Every docs/*.md, tests/*.py or scripts/*.py path the doc mentions exists."""
        for path in re.findall(r"\\b((?:docs|tests|scripts)/[\\w./-]*\\w)", read(rel)):
            assert (ROOT / path).exists(), f"{rel} mentions {path}, which does not exist"


    def main(checks, argv):
        """Run the named checks (none named: all of them)."""
        unknown = [a for a in argv if a not in checks]
        if unknown:
            sys.exit(f"unknown check(s) {unknown}; known: {sorted(checks)}")
        for name in argv or checks:
            checks[name]()
            print(f"ok: docs {name}")
    ''')
