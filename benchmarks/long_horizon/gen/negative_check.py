"""Negative check of the validator: corrupted copies of a family must each be rejected.

Usage: python3 benchmarks/long_horizon/gen/negative_check.py [FAMILY.json]
(default: families/small_functions.json). Exit 1 if a corruption is not caught. Stdlib only.
"""

from __future__ import annotations

import copy
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from validate_family import validate_family  # noqa: E402


def first(fam, tool):
    return next((n, s) for n in fam["nodes"] for s in n["steps"] if s["tool"] == tool)


def corruptions(fam):
    """(name, corrupted family) pairs; each must make validate_family report a problem."""
    def variant(fn):
        f = copy.deepcopy(fam)
        fn(f)
        return f

    def wrong_value(f):  # an off-by-one in the reference implementation: the node's test must fail
        _, step = first(f, "edit_file")
        for old, new in (("+ 1", "+ 2"), ("- 1", "- 2"), ("<=", "<"), (">", ">="), ("0", "1"), ("==", "!=")):
            if old in step["replace"]:
                step["replace"] = step["replace"].replace(old, new, 1)
                return
        step["replace"] = step["replace"] + "\n    return None"

    def syntax_error(f):
        _, step = first(f, "edit_file")
        step["replace"] = step["replace"] + "\n    return ((("

    def bad_search(f):
        _, step = first(f, "edit_file")
        step["search"] = step["search"] + "  # not in the file"

    def outside_files(f):
        node, _ = first(f, "edit_file")
        node["files"] = ["nowhere/*.py"]

    def unknown_tool(f):
        f["nodes"][0]["steps"][0] = {"tool": "delete_file", "path": "x"}

    def bad_argument(f):
        _, step = first(f, "read_file")
        step["file"] = step.pop("path")

    def no_finish(f):
        f["nodes"][-1]["steps"].pop()

    def cycle(f):
        f["nodes"][0]["depends_on"] = [f["nodes"][-1]["id"]]

    def duplicate_id(f):
        f["nodes"][1]["id"] = f["nodes"][0]["id"]

    def goal_passes_at_start(f):
        f["goal"] = {"files": [{"path": next(iter(f["files"])), "exists": True}]}

    def goal_never_passes(f):
        f["goal"]["files"] = f["goal"].get("files", []) + [{"path": "README.md", "contains": "no such text"}]

    def wrong_check(f):
        f["nodes"][0]["checks"].append({"path": f["nodes"][0]["files"][0], "contains": "text nobody writes"})

    for fn in (wrong_value, syntax_error, bad_search, outside_files, unknown_tool, bad_argument, no_finish, cycle,
               duplicate_id, goal_passes_at_start, goal_never_passes, wrong_check):
        yield fn.__name__, variant(fn)


def main(argv):
    path = Path(argv[0]) if argv else HERE.parent / "families" / "small_functions.json"
    fam = json.loads(path.read_text(encoding="utf-8"))
    assert validate_family(path) == [], f"{path} itself must be valid"
    missed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, bad in corruptions(fam):
            copy_path = Path(tmp) / f"{name}.json"
            copy_path.write_text(json.dumps(bad), encoding="utf-8")
            problems = validate_family(copy_path)
            print(f"{'caught' if problems else 'MISSED'} {name}: {problems[0][:150] if problems else ''}")
            missed += not problems
    print(f"{missed} corruption(s) missed")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
