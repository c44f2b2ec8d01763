"""The headline benchmark: every big family x p in {0.95, 0.9, 0.8}, agent vs the naive baseline.

FRAMEWORK BENCHMARK with the noisy oracle (mimo_lsp/bench/oracle.py): it measures the agent's
machinery against a flat loop on the same model, not any real model. One table on stdout, one JSON
file under benchmarks/results/.

    .venv/bin/python benchmarks/long_horizon/run.py [--seeds 34] [--p 0.95,0.9,0.8] [--families a.json,b.json]
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
    ap.add_argument("--workers", type=int)
    ap.add_argument("--model", help="a real model instead of the oracle ('default' = the shipped GGUF)")
    ap.add_argument("--out", default=str(HERE.parents[1] / "benchmarks" / "results" / "long_horizon.json"))
    args = ap.parse_args()
    results = []
    t0 = time.time()
    for p in [float(x) for x in args.p.split(",")]:
        for name in args.families.split(","):
            fam = HERE / "families" / name
            r = run_benchmark(fam, args.seeds, p, baseline=args.model is None, workers=args.workers,
                              model_spec=args.model, progress=lambda line: print(line, file=sys.stderr, flush=True))
            results.append(r)
            print(table([r]).splitlines()[-1], file=sys.stderr, flush=True)
        pooled = pool([r for r in results if r["p"] == p])
        results.append(pooled)
    print(table(results))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"seconds": round(time.time() - t0, 1), "results": results}, indent=2))
    print(f"\nwrote {out} ({time.time() - t0:.0f} s)")
    return 0


def pool(results: list[dict]) -> dict:
    """All families of one p together (task-weighted), labelled 'ALL'."""
    from mimo_lsp.bench.long_horizon import summarize

    runs = [r for res in results for r in res["runs"]]
    agent = summarize([dict(r, checkpoint_ms=[]) for r in runs if r["mode"] == "agent"])
    agent["checkpoint_ms_per_step"] = round(sorted(x["checkpoint_ms_per_step"] for x in results)[len(results) // 2], 3)
    base_runs = [dict(r, checkpoint_ms=[]) for r in runs if r["mode"] == "baseline"]
    base = summarize(base_runs) if base_runs else None
    return {"family": "ALL", "p": results[0]["p"], **agent, "baseline": base, "runs": []}


if __name__ == "__main__":
    raise SystemExit(main())
