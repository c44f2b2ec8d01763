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
