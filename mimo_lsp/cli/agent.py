"""CLI commands of the long-horizon agent: `mimo lessons` and `mimo bench long-horizon`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def cmd_lessons(args: argparse.Namespace) -> int:
    from mimo_lsp.app.workspace import WorkspaceServices

    lessons = WorkspaceServices().lessons(Path(args.workspace), args.query, args.k)
    if args.json:
        print(json.dumps([{"id": m.id, "task_id": m.task_id, "text": m.text, "created": m.created} for m in lessons],
                         indent=2))
    elif not lessons:
        print("no lessons yet")
    else:
        for m in lessons:
            print(f"#{m.id} (task {m.task_id}) {m.text}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from mimo_lsp.bench.long_horizon import run_benchmark, table

    family = Path(args.family)
    if not family.is_file():
        print(f"error: no task family file at {family}", file=sys.stderr)
        return 2
    try:
        result = run_benchmark(family, args.seeds, args.p, baselines=args.baseline or [], workers=args.workers,
                               model_spec=args.model, progress=None if args.quiet else _err, errors=args.errors)
    except (ValueError, KeyError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(table([result]))
    if args.json:
        out: dict[str, Any] = result if args.runs else {k: v for k, v in result.items() if k != "runs"}
        Path(args.json).write_text(json.dumps(out, indent=2))
    return 0


def _err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def register(sub: Any) -> None:
    les = sub.add_parser("lessons", help="list the lessons distilled from earlier tasks of this workspace")
    les.add_argument("--workspace", "-w", default=".")
    les.add_argument("--query", help="only the lessons closest to this text")
    les.add_argument("--k", type=int, default=10)
    les.add_argument("--json", action="store_true")
    les.set_defaults(func=cmd_lessons)
    bench = sub.add_parser("bench", help="framework benchmarks")
    kinds = bench.add_subparsers(dest="bench", required=True)
    lh = kinds.add_parser("long-horizon", help="the agent vs baselines on a task family (noisy oracle by default)")
    lh.add_argument("--family", required=True, help="task family JSON (docs/benchmarks.md)")
    lh.add_argument("--seeds", type=int, default=10)
    lh.add_argument("--p", type=float, default=0.9, help="the oracle's per-call accuracy")
    lh.add_argument("--baseline", action="append", nargs="?", const="flat", metavar="NAME",
                    help="also run a baseline on the same seeds: flat (the default of a bare --baseline), "
                         "flat_gated, no_node_checks, no_recovery, or all (the four); variants that add a mechanism: "
                         "node_max (3 node-level Max Mode candidates per failing node), more_retries "
                         "(its control: 3 more plain retries); repeatable")
    lh.add_argument("--errors", default="iid", metavar="MODEL",
                    help="the oracle's error model: iid, beta:K, sticky:SHARE,Q[,B[,O]], joined with + "
                         "(e.g. beta:2+sticky:0.1,0.9); see mimo_lsp/bench/errors.py")
    lh.add_argument("--model", help="benchmark this model instead of the oracle (GGUF path, name, 'default')")
    lh.add_argument("--workers", type=int, help="parallel tasks (default: CPU count)")
    lh.add_argument("--json", metavar="OUT.json", help="write the results as JSON")
    lh.add_argument("--runs", action="store_true", help="include every task's row in the JSON")
    lh.add_argument("--quiet", "-q", action="store_true")
    lh.set_defaults(func=cmd_bench)
