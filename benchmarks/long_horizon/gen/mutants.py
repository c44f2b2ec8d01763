"""Mutation check for a family: are its tests discriminating?

Usage: python3 benchmarks/long_horizon/gen/mutants.py FAMILY.json [--files GLOB ...]

Replays the reference solution, then for each Python file the reference steps wrote or edited (not
under tests/) makes one small change at a time -- an operator swapped, an integer literal moved by
one, a comparison flipped, a line broken into a syntax error -- and runs the goal commands. A mutant
that still passes the goal "survives"; the survivors are printed. Stdlib only.
"""

from __future__ import annotations

import io
import shutil
import sys
import tempfile
import tokenize
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from validate_family import apply_step, check_passes, load_family, topo_nodes  # noqa: E402

SWAPS = {"+": "-", "-": "+", "*": "//", "//": "*", "<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=",
         "!=": "==", "%": "//", "and": "or", "or": "and", "True": "False", "False": "True", "min": "max",
         "max": "min", "not": ""}


def mutants(source: str):
    """(description, mutated source) pairs."""
    lines = source.splitlines(keepends=True)
    toks = list(tokenize.generate_tokens(io.StringIO(source).readline))
    in_doc = set()
    for t in toks:  # skip docstrings / strings: mutating text rarely matters
        if t.type == tokenize.STRING:
            in_doc.update(range(t.start[0], t.end[0] + 1))
    for t in toks:
        (row, col), (_, end) = t.start, t.end
        if row in in_doc and t.type != tokenize.OP:
            continue
        new = None
        if t.type == tokenize.OP and t.string in SWAPS:
            new = SWAPS[t.string]
        elif t.type == tokenize.NAME and t.string in SWAPS:
            new = SWAPS[t.string]
        elif t.type == tokenize.NUMBER and t.string.isdigit():
            new = str(int(t.string) + 1)
        if new is None:
            continue
        line = lines[row - 1]
        mutated = line[:col] + new + line[end:]
        yield (f"line {row}: {t.string!r} -> {new!r}: {line.strip()}",
               "".join(lines[:row - 1]) + mutated + "".join(lines[row:]))
    for i, line in enumerate(lines):
        if line.strip().startswith("def "):
            yield (f"line {i + 1}: syntax error", "".join(lines[:i]) + line.replace(":", "", 1) + "".join(lines[i + 1:]))
            break


def main(argv):
    fam = load_family(argv[0])
    base = Path(tempfile.mkdtemp(prefix="lh-mut-"))
    try:
        for rel, text in fam["files"].items():
            (base / rel).parent.mkdir(parents=True, exist_ok=True)
            (base / rel).write_text(text, encoding="utf-8")
        targets = []
        for n in topo_nodes(fam):
            for s in n["steps"]:
                apply_step(base, s)
                if s["tool"] in ("write_file", "edit_file") and s["path"].endswith(".py") \
                        and not s["path"].startswith("tests/") and s["path"] not in targets:
                    targets.append(s["path"])
        goal = fam["goal"]["commands"]
        jobs = [(rel, desc, src) for rel in targets for desc, src in mutants((base / rel).read_text())]
        workers = 8
        dirs = []
        for i in range(workers):
            d = base.parent / f"{base.name}-w{i}"
            shutil.copytree(base, d)
            dirs.append(d)
        free = list(dirs)

        def run(job):
            rel, desc, src = job
            d = free.pop()
            try:
                original = (d / rel).read_text()
                (d / rel).write_text(src)
                survived = all(check_passes(d, {"command": c}, timeout=20)[0] for c in goal)
                (d / rel).write_text(original)
                return rel, desc, survived
            finally:
                free.append(d)

        with ThreadPoolExecutor(workers) as pool:
            results = list(pool.map(run, jobs))
        survivors = [(r, d) for r, d, s in results if s]
        for rel, desc in survivors:
            print(f"survived {rel} {desc}")
        print(f"{len(results) - len(survivors)}/{len(results)} mutants killed, {len(survivors)} survived")
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
