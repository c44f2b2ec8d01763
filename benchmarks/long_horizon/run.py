"""The headline benchmark: families x p x error models, the agent vs baselines on the same seeds.

FRAMEWORK BENCHMARK with the noisy oracle (mimo_lsp/bench/oracle.py): it measures the agent's
machinery against baselines that each take one mechanism away, on the same model; not any real model.
One table on stdout, one JSON file under benchmarks/results/.

    .venv/bin/python benchmarks/long_horizon/run.py [--seeds 34] [--p 0.95,0.9,0.8] [--families a.json,b.json]
        [--baselines all] [--errors iid --errors beta:2+sticky:0.1,0.9]
    .venv/bin/python benchmarks/long_horizon/run.py --model default --families small_functions.json --seeds 3
        (the shipped GGUF instead of the oracle: honest numbers, no target)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from mimo_lsp.bench.long_horizon import run_benchmark, table  # noqa: E402

BIG = "functions.json,migration.json,package.json"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--families", default=BIG)
    ap.add_argument("--p", default="0.95,0.9,0.8")
    ap.add_argument("--seeds", type=int, default=34, help="per family and p (3 families x 34 = 102 tasks per p)")
    ap.add_argument("--baselines", default="flat", help="comma-separated: flat, flat_gated, no_node_checks, "
                    "no_recovery, all ('' for none)")
    ap.add_argument("--errors", action="append", help="error model(s), repeatable (default: iid)")
    ap.add_argument("--workers", type=int)
    ap.add_argument("--model", help="a real model instead of the oracle ('default' = the shipped GGUF)")
    ap.add_argument("--out", default=str(HERE.parents[1] / "benchmarks" / "results" / "long_horizon.json"))
    args = ap.parse_args()
    results = []
    t0 = time.time()
    baselines = [] if args.model else [b for b in args.baselines.split(",") if b]
    for errors in args.errors or ["iid"]:
        for p in [float(x) for x in args.p.split(",")]:
            group = []
            for name in args.families.split(","):
                fam = HERE / "families" / name
                r = run_benchmark(fam, args.seeds, p, baselines=baselines, workers=args.workers, errors=errors,
                                  model_spec=args.model, progress=lambda line: print(line, file=sys.stderr, flush=True))
                group.append(r)
                print(table([r]), file=sys.stderr, flush=True)
            results += group
            if len(group) > 1:
                results.append(pool(group))
    print(table(results))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"seconds": round(time.time() - t0, 1), "results": results}, indent=2))
    print(f"\nwrote {out} ({time.time() - t0:.0f} s)")
    return 0


def pool(results: list[dict]) -> dict:
    """All families of one p and error model together (task-weighted), labelled 'ALL'."""
    from mimo_lsp.bench.long_horizon import summarize

    runs = [dict(r, checkpoint_ms=[]) for res in results for r in res["runs"]]
    agent = summarize([r for r in runs if r["mode"] == "agent"])
    agent["checkpoint_ms_per_step"] = round(sorted(x["checkpoint_ms_per_step"] or 0 for x in results)[len(results) // 2], 3)
    names = list(results[0].get("baselines") or {})
    baselines = {name: summarize([r for r in runs if r["mode"] == name]) for name in names}
    for name, b in baselines.items():  # the median of the families' medians, as for the agent
        cps = sorted(x["baselines"][name]["checkpoint_ms_per_step"] or 0 for x in results)
        b["checkpoint_ms_per_step"] = round(cps[len(cps) // 2], 3) if any(cps) else None
    flat = baselines.get("flat")
    return {"family": "ALL", "p": results[0]["p"], "model": results[0]["model"],
            "error_model": results[0].get("error_model"), **agent, "baseline": flat, "baselines": baselines, "runs": []}


if __name__ == "__main__":
    raise SystemExit(main())
