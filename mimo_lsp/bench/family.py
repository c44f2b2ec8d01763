"""Validate a long-horizon task family (format version 1, docs/benchmarks.md).

Usage: python3 benchmarks/long_horizon/validate_family.py [--strict] FILE [FILE...]  (or mimo_lsp/bench/family.py)

`validate_family(path)` checks the JSON shape, then replays the reference solution in a temporary
copy of `files`: the goal must fail at the start; each node's steps are applied in topological
order, the node's checks must pass after it, and the goal must pass at the end. It replays two
topological orders (first ready node first, then last ready node first), so a node whose steps rely
on a node it does not depend on is caught. It returns a list of problems (empty = valid). With
strict=True (CLI: --strict) a reference `run_command` step that exits non-zero is a problem too.
A node's `files` globs are matched with fnmatch (`*` also matches `/`). A `not_contains` predicate
passes for a missing file. Commands run with `sh` in the workspace, PYTHONDONTWRITEBYTECODE=1,
in their own process group (a timeout kills their children too).

Helpers for other code: load_family, topo_nodes, apply_step, check_passes. Stdlib only.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path, PurePosixPath

FORMAT_VERSION = 1
# tool -> (required arguments, optional arguments) with their types
TOOLS: dict[str, tuple[dict, dict]] = {
    "read_file": ({"path": str}, {"start_line": int, "end_line": int}),
    "list_files": ({}, {"path": str}),
    "search_code": ({"query": str}, {"k": int}),
    "write_file": ({"path": str, "content": str}, {}),
    "edit_file": ({"path": str, "search": str, "replace": str}, {}),
    "run_command": ({"command": str}, {"timeout_s": (int, float)}),
    "finish": ({"summary": str}, {}),
}
PREDICATES = {"exists": bool, "contains": str, "not_contains": str, "matches": str}


def load_family(path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def topo_nodes(family: dict, prefer_last: bool = False) -> list[dict]:
    """Nodes in a topological order: among ready nodes the first in file order (the last with prefer_last).
    ValueError on a cycle or an unknown id."""
    nodes = family.get("nodes") or []
    by_id = {n["id"]: n for n in nodes}
    for n in nodes:
        for dep in n.get("depends_on", []):
            if dep not in by_id:
                raise ValueError(f"node {n['id']}: depends on unknown node {dep!r}")
    done: set[str] = set()
    order: list[dict] = []
    pending = list(nodes)
    while pending:
        ready = [n for n in pending if all(d in done for d in n.get("depends_on", []))]
        if not ready:
            raise ValueError("dependency cycle among nodes: " + ", ".join(n["id"] for n in pending))
        node = ready[-1] if prefer_last else ready[0]
        order.append(node)
        done.add(node["id"])
        pending.remove(node)
    return order


def _safe_rel(rel: str) -> bool:
    p = PurePosixPath(rel)
    return (bool(rel) and "\\" not in rel and not p.is_absolute() and ".." not in p.parts
            and p.parts[0] not in (".git", ".mimo") and rel == p.as_posix())


def _inside(workdir: Path, rel: str) -> Path:
    if not _safe_rel(rel):
        raise ValueError(f"unsafe path {rel!r}")
    return workdir / rel


def _env() -> dict:
    return dict(os.environ, PYTHONDONTWRITEBYTECODE="1")


def _run(workdir: Path, command: str, timeout: float) -> tuple[bool, str]:
    """Run command in its own process group, so a timeout kills its children too."""
    proc = subprocess.Popen(command, shell=True, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=_env(), start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        return False, f"timed out after {timeout:g}s: {command}"
    return proc.returncode == 0, f"exit {proc.returncode}: {command}\n{out.strip()[-2000:]}"


def apply_step(workdir: Path, step: dict) -> tuple[bool, str]:
    """Apply one reference step in workdir. Read-only tools just check their target exists."""
    workdir = Path(workdir)
    tool = step.get("tool")
    try:
        if tool == "read_file":
            p = _inside(workdir, step["path"])
            return (True, p.read_text(encoding="utf-8")) if p.is_file() else (False, f"no such file: {step['path']}")
        if tool == "list_files":
            rel = step.get("path", ".")
            p = workdir if rel in (".", "") else _inside(workdir, rel)
            if not p.is_dir():
                return False, f"no such directory: {rel}"
            return True, "\n".join(sorted(x.relative_to(workdir).as_posix() for x in p.rglob("*") if x.is_file()))
        if tool in ("search_code", "finish"):
            return True, ""
        if tool == "write_file":
            p = _inside(workdir, step["path"])
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(step["content"], encoding="utf-8", newline="")
            return True, f"wrote {step['path']}"
        if tool == "edit_file":
            p = _inside(workdir, step["path"])
            if not p.is_file():
                return False, f"no such file: {step['path']}"
            with open(p, encoding="utf-8", newline="") as fh:  # keep CRLF as CRLF, like the agent's tool
                text = fh.read()
            count = text.count(step["search"]) if step["search"] else 0
            if count != 1:
                return False, f"search text occurs {count} times in {step['path']}; it must occur exactly once"
            p.write_text(text.replace(step["search"], step["replace"], 1), encoding="utf-8", newline="")
            return True, f"edited {step['path']}"
        if tool == "run_command":
            return _run(workdir, step["command"], float(step.get("timeout_s", 60)))
    except (KeyError, ValueError, OSError) as exc:
        return False, f"{tool}: {exc}"
    return False, f"unknown tool {tool!r}"


def check_passes(workdir: Path, check: dict, timeout=30) -> tuple[bool, str]:
    """A command check (exit 0) or a file predicate (exists / contains / not_contains / matches)."""
    workdir = Path(workdir)
    if "command" in check:
        return _run(workdir, check["command"], timeout)
    try:
        p = _inside(workdir, check["path"])
    except (KeyError, ValueError) as exc:
        return False, f"bad predicate {check!r}: {exc}"
    text = p.read_text(encoding="utf-8") if p.is_file() else None
    if "exists" in check:
        ok = (text is not None) == bool(check["exists"])
    elif "contains" in check:
        ok = text is not None and check["contains"] in text
    elif "not_contains" in check:
        ok = text is None or check["not_contains"] not in text  # a missing file contains nothing
    elif "matches" in check:
        ok = text is not None and re.search(check["matches"], text) is not None
    else:
        return False, f"bad predicate {check!r}"
    return ok, f"{'passed' if ok else 'failed'}: {json.dumps(check)[:300]}"


# ---------------------------------------------------------------- shape

def _check_shape(check, where: str) -> list[str]:
    if not isinstance(check, dict):
        return [f"{where}: check must be an object"]
    if "command" in check:
        extra = set(check) - {"command"}
        bad = [] if isinstance(check["command"], str) and check["command"].strip() else [f"{where}: empty command"]
        return bad + ([f"{where}: unexpected keys {sorted(extra)}"] if extra else [])
    if not isinstance(check.get("path"), str) or not _safe_rel(check["path"]):
        return [f"{where}: predicate needs a safe relative 'path'"]
    kinds = [k for k in PREDICATES if k in check]
    if len(kinds) != 1 or set(check) != {"path", kinds[0]}:
        return [f"{where}: predicate needs exactly one of {sorted(PREDICATES)}"]
    if not isinstance(check[kinds[0]], PREDICATES[kinds[0]]):
        return [f"{where}: {kinds[0]} has the wrong type"]
    if kinds[0] == "matches":
        try:
            re.compile(check["matches"])
        except re.error as exc:
            return [f"{where}: bad regex: {exc}"]
    return []


def _check_step(step, where: str) -> list[str]:
    if not isinstance(step, dict) or step.get("tool") not in TOOLS:
        return [f"{where}: unknown tool {step.get('tool') if isinstance(step, dict) else step!r}"]
    required, optional = TOOLS[step["tool"]]
    problems = []
    for key, typ in required.items():
        if key not in step:
            problems.append(f"{where}: {step['tool']} needs {key!r}")
        elif not isinstance(step[key], typ) or isinstance(step[key], bool):
            problems.append(f"{where}: {key!r} has the wrong type")
    for key, typ in optional.items():
        if key in step and (not isinstance(step[key], typ) or isinstance(step[key], bool)):
            problems.append(f"{where}: {key!r} has the wrong type")
    extra = set(step) - {"tool"} - set(required) - set(optional)
    if extra:
        problems.append(f"{where}: unexpected arguments {sorted(extra)}")
    if "path" in step and isinstance(step["path"], str) and step["path"] not in (".", "") and not _safe_rel(step["path"]):
        problems.append(f"{where}: unsafe path {step['path']!r}")
    return problems


def check_shape(family) -> list[str]:
    if not isinstance(family, dict):
        return ["family must be a JSON object"]
    p: list[str] = []
    if family.get("format") != FORMAT_VERSION:
        p.append(f"format must be {FORMAT_VERSION}")
    for key in ("name", "description", "instruction"):
        if not isinstance(family.get(key), str) or not family[key].strip():
            p.append(f"{key} must be a non-empty string")
    files = family.get("files")
    if not isinstance(files, dict):
        p.append("files must be an object of path -> text")
    else:
        for rel, text in files.items():
            if not _safe_rel(rel):
                p.append(f"files: unsafe path {rel!r}")
            if not isinstance(text, str):
                p.append(f"files: {rel} is not text")
    goal = family.get("goal")
    if not isinstance(goal, dict):
        p.append("goal must be an object")
    else:
        cmds, preds = goal.get("commands", []), goal.get("files", [])
        if not isinstance(cmds, list) or not all(isinstance(c, str) and c.strip() for c in cmds):
            p.append("goal.commands must be a list of commands")
        if not isinstance(preds, list):
            p.append("goal.files must be a list")
        else:
            for i, pred in enumerate(preds):
                if isinstance(pred, dict) and "command" in pred:
                    p.append(f"goal.files[{i}]: must be a file predicate")
                else:
                    p += ["goal." + e for e in _check_shape(pred, f"files[{i}]")]
        if not cmds and not preds:
            p.append("goal has neither commands nor file predicates")
        if "criterion" in goal and not isinstance(goal["criterion"], str):
            p.append("goal.criterion must be a string")
    nodes = family.get("nodes")
    if not isinstance(nodes, list) or not nodes:
        return p + ["nodes must be a non-empty list"]
    seen: set[str] = set()
    for i, n in enumerate(nodes):
        if not isinstance(n, dict) or not isinstance(n.get("id"), str) or not n["id"]:
            p.append(f"nodes[{i}]: needs a string id")
            continue
        nid = n["id"]
        if nid in seen:
            p.append(f"node {nid}: duplicate id")
        for key in ("title", "expected_output"):
            if not isinstance(n.get(key), str) or not n[key].strip():
                p.append(f"node {nid}: {key} must be a non-empty string")
        deps = n.get("depends_on", [])
        if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
            p.append(f"node {nid}: depends_on must be a list of ids")
        else:
            all_ids = {m.get("id") for m in nodes if isinstance(m, dict)}
            for d in deps:
                if d not in all_ids:
                    p.append(f"node {nid}: depends on unknown node {d!r}")
                elif d not in seen:
                    p.append(f"node {nid}: depends on {d!r}, which is not an earlier node")
        seen.add(nid)
        if not isinstance(n.get("files"), list) or not all(isinstance(g, str) for g in n["files"]):
            p.append(f"node {nid}: files must be a list of globs")
        checks = n.get("checks")
        if not isinstance(checks, list) or not checks:
            p.append(f"node {nid}: checks must be a non-empty list")
        else:
            for j, c in enumerate(checks):
                p += _check_shape(c, f"node {nid} checks[{j}]")
        steps = n.get("steps")
        if not isinstance(steps, list) or not steps:
            p.append(f"node {nid}: steps must be a non-empty list")
            continue
        for j, s in enumerate(steps):
            p += _check_step(s, f"node {nid} step {j + 1}")
        tools = [s.get("tool") for s in steps if isinstance(s, dict)]
        if not tools or tools[-1] != "finish":
            p.append(f"node {nid}: the last step must be finish")
        elif tools.count("finish") != 1:
            p.append(f"node {nid}: finish must appear only as the last step")
    if not p:
        try:
            topo_nodes(family)
        except ValueError as exc:
            p.append(str(exc))
    return p


# ---------------------------------------------------------------- replay

def _covered(rel: str, globs: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(rel, g) for g in globs)


def _goal_state(workdir: Path, goal: dict, timeout: float) -> list[str]:
    """Failures of the goal in workdir (empty = the goal passes)."""
    failed = []
    for cmd in goal.get("commands", []):
        ok, out = check_passes(workdir, {"command": cmd}, timeout)
        if not ok:
            failed.append(out)
    for pred in goal.get("files", []):
        ok, out = check_passes(workdir, pred, timeout)
        if not ok:
            failed.append(out)
    return failed


def replay(family: dict, workdir: Path, strict: bool = False, timeout: float = 30,
           prefer_last: bool = False) -> list[str]:
    problems: list[str] = []
    for rel, text in family["files"].items():
        dest = workdir / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8", newline="")
    if not _goal_state(workdir, family["goal"], timeout):
        problems.append("the goal already passes on the initial files")
    for node in topo_nodes(family, prefer_last):
        nid = node["id"]
        for j, step in enumerate(node["steps"], start=1):
            if step["tool"] in ("write_file", "edit_file") and not _covered(step["path"], node["files"]):
                problems.append(f"node {nid} step {j}: {step['path']} is outside the node's files {node['files']}")
            ok, out = apply_step(workdir, step)
            if not ok and (step["tool"] != "run_command" or strict):
                problems.append(f"node {nid} step {j} ({step['tool']}) failed: {out}")
        for check in node["checks"]:
            ok, out = check_passes(workdir, check, timeout)
            if not ok:
                problems.append(f"node {nid}: check failed after its steps: {out}")
    for out in _goal_state(workdir, family["goal"], timeout):
        problems.append(f"goal fails after all nodes: {out}")
    return problems


def validate_family(path, strict: bool = False) -> list[str]:
    try:
        family = load_family(path)
    except (OSError, ValueError) as exc:
        return [f"cannot load {path}: {exc}"]
    problems = check_shape(family)
    if problems:
        return problems
    with tempfile.TemporaryDirectory(prefix="lh-family-") as tmp:
        problems = replay(family, Path(tmp), strict=strict)
    # A node may rely only on its dependencies: replay a second topological order too.
    if not problems and [n["id"] for n in topo_nodes(family, True)] != [n["id"] for n in topo_nodes(family)]:
        with tempfile.TemporaryDirectory(prefix="lh-family-") as tmp:
            problems = ["(second order, last ready node first) " + p
                        for p in replay(family, Path(tmp), strict=strict, prefer_last=True)]
    return problems


def family_stats(family: dict) -> tuple[int, int]:
    """(nodes, steps) of a family."""
    return len(family["nodes"]), sum(len(n["steps"]) for n in family["nodes"])


def main(argv: list[str]) -> int:
    strict = "--strict" in argv
    paths = [a for a in argv if a != "--strict"]
    if not paths:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    bad = 0
    for path in paths:
        problems = validate_family(path, strict=strict)
        if problems:
            bad += 1
            print(f"INVALID {path}: {len(problems)} problem(s)")
            for prob in problems:
                print("  - " + prob.replace("\n", "\n    "))
        else:
            nodes, steps = family_stats(load_family(path))
            print(f"ok {path}: {nodes} nodes, {steps} steps")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
