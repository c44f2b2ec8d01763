"""Mutation test of a task family: do its own checks catch wrong values in what the reference steps write?

    python3 benchmarks/long_horizon/mutate.py --family functions.json --json OUT.json [--workers 2]

Every line a reference step writes (not under tests/: those are the checks) gets one wrong value at a
time -- numbers, comparisons, arithmetic and boolean operators, names, default values, strings; in docs
numbers, names and commands -- and the family's checks run on it: the node's own checks on the state
right after the node, then (if they pass) the goal and every node's checks on the final state. Writes
{"mutants", "killed", "score", "code", "docs", "by_kind", "survivors": [...]} (mimo_lsp/bench/mutation.py
says exactly what counts). Exit status 1 when a code mutant survives. Stdlib only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from mimo_lsp.bench.family import load_family  # noqa: E402
from mimo_lsp.bench.mutation_run import run_mutants  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--family", required=True, help="a family JSON (a bare name is looked up in families/)")
    ap.add_argument("--json", metavar="OUT.json", help="write the result here")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=10,
                    help="seconds per check command; a mutant that runs longer counts as killed (a hang)")
    ap.add_argument("--include-tests", action="store_true", help="also mutate test files the steps write")
    ap.add_argument("--quiet", "-q", action="store_true")
    args = ap.parse_args(argv)
    path = Path(args.family)
    if not path.is_file() and (HERE / "families" / args.family).is_file():
        path = HERE / "families" / args.family
    family = load_family(path)
    result = run_mutants(family, workers=args.workers, timeout=args.timeout, include_tests=args.include_tests,
                         progress=None if args.quiet else lambda line: print(line, file=sys.stderr, flush=True))
    for s in result["survivors"]:
        print(f"survived ({s['level']}) {s['node']} {s['path']} {s['kind']} {s['what']}: {s['line'].strip()}")
    c, d = result["code"], result["docs"]
    print(f"{result['family']}: {result['killed']}/{result['mutants']} mutants killed "
          f"(code {c['killed']}/{c['mutants']}, docs {d['killed']}/{d['mutants']}; {result['overwritten']} overwritten)")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 1 if c["survived"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
