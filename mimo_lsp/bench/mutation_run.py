"""The mutation tool's engine: a family replayed in memory, each mutant judged by the family's own checks.

Stdlib only. What is mutated and how it is judged: mutation.py.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from mimo_lsp.bench.family import check_passes, topo_nodes
from mimo_lsp.bench.mutation import DOC_KINDS, EFFECT, _count_lines, is_doc, locate, step_mutants, step_text, substitute

# ------------------------------------------------------------------ the family replayed in memory

def _apply(files: dict[str, str], step: dict[str, Any]) -> None:
    if step["tool"] == "write_file":
        files[step["path"]] = step["content"]
    elif step["tool"] == "edit_file":
        files[step["path"]] = files.get(step["path"], "").replace(step["search"], step["replace"], 1)


@dataclass
class Mutant:
    node: str
    step: int          # index of the step within its node
    path: str
    kind: str
    what: str
    old: str           # the located window
    new: str
    in_node: bool
    in_final: bool
    verdict: str = ""  # killed_node | killed_final | survived_node | survived_final
    detail: str = ""

    def public(self) -> dict[str, Any]:
        return {"node": self.node, "step": self.step, "path": self.path, "kind": self.kind, "what": self.what,
                "line": self.new.split("\n")[-1] if self.new else "", "level": self.verdict.split("_")[-1],
                "old": self.old, "new": self.new}


@dataclass
class FamilyMutants:
    family: dict[str, Any]
    include_tests: bool = False
    mutants: list[Mutant] = field(default_factory=list)
    overwritten: int = 0

    def __post_init__(self) -> None:
        order = topo_nodes(self.family)
        files = dict(self.family["files"])
        self.after_node: dict[str, dict[str, str]] = {}
        steps: list[tuple[dict[str, Any], int, dict[str, Any], str | None]] = []
        for node in order:
            for j, step in enumerate(node["steps"]):
                before = files.get(step.get("path", ""))
                _apply(files, step)
                steps.append((node, j, step, before))
            self.after_node[node["id"]] = dict(files)
        self.final = files
        self.order = order
        seen: set[tuple[str, str, str]] = set()
        for node, j, step, before in steps:
            if step["tool"] not in EFFECT or (step["path"].startswith("tests/") and not self.include_tests):
                continue
            text = step_text(step) or ""
            lines = text.split("\n")
            path = step["path"]
            node_state = self.after_node[node["id"]].get(path, "")
            final_state = self.final.get(path, "")
            for lm in step_mutants(step, doc_text=final_state or node_state, before=before):
                in_node = _count_lines(node_state, lines[lm.line]) > 0
                in_final = _count_lines(final_state, lines[lm.line]) > 0
                states = [s for s, present in ((node_state, in_node), (final_state, in_final)) if present]
                where = locate(lines, lm.line, states) if states else None
                if where is None:
                    self.overwritten += 1
                    continue
                a, b = where
                old = "\n".join(lines[a:b])
                new = "\n".join(lines[a:lm.line] + [lm.new] + lines[lm.line + 1:b])
                key = (path, old, new)
                if key in seen or old == new:
                    continue
                seen.add(key)
                self.mutants.append(Mutant(node["id"], j, path, lm.kind, lm.what, old, new, in_node, in_final))


class _Workdir:
    """A directory kept equal to a given file state with as few writes as possible."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.current: dict[str, str] = {}

    def sync(self, state: dict[str, str]) -> None:
        for rel in set(self.current) - set(state):
            (self.root / rel).unlink(missing_ok=True)
        for rel, text in state.items():
            if self.current.get(rel) != text:
                p = self.root / rel
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_text(text, encoding="utf-8", newline="")
        self.current = dict(state)


def _checks_pass(workdir: Path, checks: list[dict[str, Any]], timeout: float) -> tuple[bool, str]:
    preds = [c for c in checks if "command" not in c]
    cmds = [c for c in checks if "command" in c]
    for check in preds + cmds:  # predicates first: they cost nothing
        ok, out = check_passes(workdir, check, timeout)
        if not ok:
            return False, out.splitlines()[0][:200] if out else "failed"
    return True, ""


def final_checks(family: dict[str, Any]) -> list[dict[str, Any]]:
    """The harness's verdict (bench/long_horizon.evaluate): the goal and every node's checks, each once."""
    goal = family.get("goal", {})
    out: list[dict[str, Any]] = [{"command": c} for c in goal.get("commands", [])] + list(goal.get("files", []))
    seen = {repr(sorted(c.items())) for c in out}
    for node in family["nodes"]:
        for c in node.get("checks", []):
            key = repr(sorted(c.items()))
            if key not in seen:
                seen.add(key)
                out.append(c)
    return out


def run_mutants(family: dict[str, Any], workers: int = 2, timeout: float = 10, include_tests: bool = False,
                progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    fm = FamilyMutants(family, include_tests)
    by_id = {n["id"]: n for n in family["nodes"]}
    every = final_checks(family)
    saved = os.environ.get("PATH", "")
    os.environ["PATH"] = f"{Path(sys.base_prefix) / 'bin'}{os.pathsep}{saved}"  # python3 without a shim
    root = Path(tempfile.mkdtemp(prefix="lh-mutate-"))
    pool: list[_Workdir] = [_Workdir(root / f"w{i}") for i in range(max(1, workers))]
    for w in pool:
        w.root.mkdir()
    lock = threading.Lock()
    done = [0]

    def judge(m: Mutant) -> Mutant:
        with lock:
            w = pool.pop()
        try:
            if m.in_node:
                state = dict(fm.after_node[m.node])
                state[m.path] = substitute(state[m.path], m.old, m.new)
                w.sync(state)
                ok, why = _checks_pass(w.root, by_id[m.node]["checks"], timeout)
                if not ok:
                    m.verdict, m.detail = "killed_node", why
            if not m.verdict and m.in_final:
                state = dict(fm.final)
                state[m.path] = substitute(state[m.path], m.old, m.new)
                w.sync(state)
                ok, why = _checks_pass(w.root, every, timeout)
                m.verdict, m.detail = ("survived_final", "") if ok else ("killed_final", why)
            if not m.verdict:
                m.verdict = "survived_node"
        finally:
            with lock:
                pool.append(w)
                done[0] += 1
                if progress and (done[0] % 50 == 0 or m.verdict.startswith("survived")):
                    progress(f"{done[0]}/{len(fm.mutants)} {m.verdict} {m.path} {m.kind} {m.what}")
        return m

    try:
        with ThreadPoolExecutor(len(pool)) as ex:
            judged = list(ex.map(judge, fm.mutants))
    finally:
        os.environ["PATH"] = saved
        shutil.rmtree(root, ignore_errors=True)
    return report(family, judged, fm.overwritten)


def report(family: dict[str, Any], judged: list[Mutant], overwritten: int) -> dict[str, Any]:
    def score(ms: list[Mutant]) -> dict[str, Any]:
        killed = sum(1 for m in ms if m.verdict.startswith("killed"))
        return {"mutants": len(ms), "killed": killed, "survived": len(ms) - killed,
                "score": round(killed / len(ms), 4) if ms else None}

    code = [m for m in judged if not is_doc(m.path)]
    docs = [m for m in judged if is_doc(m.path)]
    kinds = sorted({m.kind for m in judged})
    survivors = [m for m in judged if m.verdict.startswith("survived")]
    return {
        "family": family.get("name"),
        "mutants": len(judged),
        "killed": len(judged) - len(survivors),
        "score": round((len(judged) - len(survivors)) / len(judged), 4) if judged else None,
        "code": score(code),
        "docs": score(docs),
        "docs_number_name_command": score([m for m in docs if m.kind in DOC_KINDS]),
        "by_kind": {k: score([m for m in judged if m.kind == k]) for k in kinds},
        "killed_by_node_checks": sum(1 for m in judged if m.verdict == "killed_node"),
        "overwritten": overwritten,
        "survivors": [m.public() for m in survivors],
    }
