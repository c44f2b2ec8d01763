"""Workspace index benchmarks: cold build, incremental update latency, retrieval quality. Same run, tables + JSON.

    .venv/bin/python benchmarks/index_bench.py [--repos requests,django] [--edits 50] [--json OUT]

Inputs are fetched by the script: `pip download --no-deps --no-binary :all:` of django and requests
(sdists, into benchmarks/results/cache), unpacked; the indexed trees are requests' `src/` and
django's `django/` package (the library code, not its tests or docs).

1. Cold build, each repo in a fresh child process (so peak RSS is the build's own): files/s,
   chunks/s, seconds per stage (read+parse+tags, BM25, SQLite store, embedding, hnswlib), the share of
   everything-but-embedding, peak RSS, index size on disk. The model load is reported apart.
2. Incremental, on the largest built index with the background indexer running: one function edited
   50 times (a new marker string each time); time until a hybrid query finds the new text, (a) from
   the didSave handling (what the server does on textDocument/didSave) and (b) from the file write,
   seen by watchdog; plus the time until the edited chunk's vector is in hnswlib. p50 / p95.
3. Retrieval quality (benchmarks/index_quality.py): natural-language queries, each with the file + symbol
   that answers it, MRR@10 and recall@10 for the index's lexical, vector and hybrid modes (both fusions)
   and for an independent plain BM25 over the same chunks (the anchor). Development sets:
   benchmarks/index_queries_requests.jsonl (requests' src/), index_queries_click.jsonl (click's
   src/) and index_queries_attrs.jsonl (attrs' src/: code generation for classes); held out (written blind, not for tuning): index_queries_django.jsonl (django/{utils,http,core}),
   index_queries_httpx.jsonl (httpx/, a fully type-annotated library), index_queries_networkx.jsonl
   (networkx/algorithms/{shortest_paths,flow,centrality,connectivity,approximation}, numeric graph code;
   the sub-packages' tests/ folders are indexed too), index_queries_rich.jsonl (rich/),
   index_queries_mpmath.jsonl (mpmath/{libmp,functions,calculus}), index_queries_starlette.jsonl
   (starlette/) and index_queries_sympy.jsonl (sympy/{ntheory,combinatorics}). Packages are fetched only
   when asked for.
   `--quality-only [--quality requests,click]` runs just this part; `--index-dir DIR` keeps the built
   indexes there, so a rerun re-embeds only chunks whose embedded text changed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.index_quality import evaluate, load_queries, print_quality  # noqa: E402
RESULTS = ROOT / "benchmarks" / "results"
CACHE = RESULTS / "cache"
PACKAGES = {"requests": ("requests==2.32.5", "src"), "django": ("django==5.2.8", "django"),
            "httpx": ("httpx==0.28.1", "httpx"), "networkx": ("networkx==3.4.2", "networkx"),
            "click": ("click==8.1.8", "src"), "attrs": ("attrs==24.3.0", "src"),
            "rich": ("rich==13.9.4", "rich"), "mpmath": ("mpmath==1.3.0", "mpmath"),
            "starlette": ("starlette==0.41.3", "starlette"), "sympy": ("sympy==1.13.3", "sympy")}
# Query sets: requests' was the development set (the fusion rule was chosen on it); django's was written
# afterwards, blind to every ranker's output, over django/{utils,http,core} only: the held-out test. httpx's
# and networkx's were written later still, also blind (no ranker run, no results read), as two more held-out
# tests over code of other styles: a typed HTTP client, and numeric graph algorithms.
QUALITY_SETS = {
    "requests": (ROOT / "benchmarks" / "index_queries_requests.jsonl", None),
    "django": (ROOT / "benchmarks" / "index_queries_django.jsonl", ("django/utils", "django/http", "django/core")),
    "httpx": (ROOT / "benchmarks" / "index_queries_httpx.jsonl", ("httpx",)),
    "networkx": (ROOT / "benchmarks" / "index_queries_networkx.jsonl",
                 tuple(f"networkx/algorithms/{sub}" for sub in
                       ("shortest_paths", "flow", "centrality", "connectivity", "approximation"))),
    # A second development set (issue 17), over a package none of the held-out sets uses.
    "click": (ROOT / "benchmarks" / "index_queries_click.jsonl", None),
    # A third development set (issue 17 goal 2), over attrs' src/ (class-building code generation).
    "attrs": (ROOT / "benchmarks" / "index_queries_attrs.jsonl", None),
    # Two more held-out sets (issue 17 goal 2), written blind while the method above was developed and
    # before it was frozen: rich (typed terminal rendering) and mpmath's libmp, functions and calculus
    # (arbitrary-precision numerics).
    "rich": (ROOT / "benchmarks" / "index_queries_rich.jsonl", ("rich",)),
    "mpmath": (ROOT / "benchmarks" / "index_queries_mpmath.jsonl",
               ("mpmath/libmp", "mpmath/functions", "mpmath/calculus")),
    # And two written blind after that method was frozen (00719a0): starlette (typed ASGI toolkit) and
    # sympy's ntheory + combinatorics (number theory, permutation groups; their tests/ folders indexed too).
    "starlette": (ROOT / "benchmarks" / "index_queries_starlette.jsonl", ("starlette",)),
    "sympy": (ROOT / "benchmarks" / "index_queries_sympy.jsonl", ("sympy/ntheory", "sympy/combinatorics")),
}


def fetch(name: str) -> Path:
    """The library tree of a PyPI sdist, downloaded and unpacked once into benchmarks/results/cache."""
    spec, sub = PACKAGES[name]
    version = spec.split("==")[1]
    dest = CACHE / f"{name}-{version}"
    if not (dest / "PKG-INFO").exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", spec,
                        "-d", str(CACHE), "-q"], check=True)
        archive = next(CACHE.glob(f"{name}-{version}.tar.gz"), None) or next(CACHE.glob(f"{name.capitalize()}-{version}.tar.gz"))
        with tarfile.open(archive) as tar:
            tar.extractall(CACHE, filter="data")
        unpacked = next(p for p in CACHE.iterdir() if p.is_dir() and p.name.lower() == f"{name}-{version}")
        if unpacked != dest:
            unpacked.rename(dest)
    return dest / sub


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- 1. cold build (child process) ----------------------------------------------------------------
def embedder_options(spec: str) -> dict:
    """"THREADS,MAX_TOKENS" (empty: the default) -> make_embedder's keyword arguments."""
    threads, max_tokens = (spec.split(",") + ["", ""])[:2]
    out: dict = {}
    if threads:
        out["threads"] = int(threads)
    if max_tokens:
        out["max_tokens"] = int(max_tokens)
    return out


def child_build(root: Path, data_dir: Path, backend: str = "onnx", options: str = "") -> None:
    from mimo_lsp.index import WorkspaceIndex, make_embedder

    t0 = time.perf_counter()
    emb = make_embedder(backend, **embedder_options(options))  # the ONNX export (first use only) runs in its own process: not in peak RSS
    emb.embed(["warm up"])
    load_s = time.perf_counter() - t0
    index = WorkspaceIndex(root, data_dir, embedder=emb)
    stats = index.build()
    index.close()
    print(json.dumps({"stats": stats.model_dump(), "model_load_s": load_s, "peak_rss_mb": peak_rss_mb(),
                      "threads": emb.threads, "embedder": getattr(emb, "name", "?"),
                      "load_average": os.getloadavg(),
                      "torch_imported": "torch" in sys.modules}))


def cold_build(name: str, root: Path, data_dir: Path, backend: str = "onnx", options: str = "") -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    load_before = os.getloadavg()
    proc = subprocess.run([sys.executable, __file__, "--child-build", str(root), str(data_dir), backend, options],
                          capture_output=True, text=True, env=env, check=True)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    s = out["stats"]
    t = s["timings"]
    total = s["seconds"]
    parse = t.get("scan", 0) + t.get("read", 0) + t.get("parse", 0)
    non_embed = total - t.get("embed", 0)
    return {
        "repo": name, "files": s["files"], "chunks": s["chunks"], "errors": len(s["errors"]),
        "seconds": total, "files_per_s": s["files"] / total, "chunks_per_s": s["chunks"] / total,
        "embed_s": t.get("embed", 0), "parse_s": parse, "lexical_s": t.get("lexical", 0),
        "store_s": t.get("store", 0), "hnsw_s": t.get("hnsw", 0),
        "other_s": total - parse - sum(t.get(k, 0) for k in ("lexical", "store", "embed", "hnsw")),
        "non_embed_share": non_embed / total, "model_load_s": out["model_load_s"],
        "peak_rss_mb": out["peak_rss_mb"], "index_mb": dir_size(data_dir) / 2**20,
        "source_mb": sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 2**20,
        "torch_threads": out["threads"], "embedder": out["embedder"], "torch_imported": out["torch_imported"],
        "load_average_before": load_before, "load_average_after": out["load_average"],
    }


# --- 2. incremental ---------------------------------------------------------------------------------
def pick_function(index) -> tuple[str, str, int]:
    """A mid-sized top-level function of a mid-sized Python file: (path, symbol, line of its `def`)."""
    candidates = []
    for cid, rec in index.chunks.items():
        c = rec.chunk
        if c.kind == "function" and c.language == "python" and 8 <= c.end_line - c.start_line <= 40:
            lines = c.text.split("\n")
            if lines[0].startswith("def ") and lines[0].rstrip().endswith(":"):
                candidates.append((c.path, c.symbol, c.start_line))
    candidates.sort()
    return candidates[len(candidates) // 2]


def percentile(values: list[float], p: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, max(0, round(p / 100 * (len(v) - 1))))]


def incremental(root: Path, data_dir: Path, edits: int, embedder) -> dict:
    from mimo_lsp.index import WorkspaceIndex
    from mimo_lsp.index.worker import BackgroundIndexer

    t0 = time.perf_counter()
    index = WorkspaceIndex(root, data_dir, embedder=embedder)
    index.ensure_loaded()
    load_s = time.perf_counter() - t0
    rel, symbol, def_line = pick_function(index)
    path = root / rel
    original = path.read_text(encoding="utf-8")
    lines = original.split("\n")
    header = lines[def_line - 1]
    while not lines[def_line - 1].rstrip().endswith(":"):
        def_line += 1
    indent = " " * (len(header) - len(header.lstrip()) + 4)

    def edit(i: int) -> str:
        marker = f"zqbench{i}x"
        new = lines[:def_line] + [f'{indent}_edit_marker = "{marker}"'] + lines[def_line:]
        path.write_text("\n".join(new), encoding="utf-8")
        return marker

    def found(marker: str) -> bool:
        return any(marker in h.snippet for h in index.search(marker, k=10, mode="hybrid"))

    def measure(via_save: bool) -> dict[str, list[float]]:
        worker = BackgroundIndexer(index, watch=not via_save)
        worker.start(scan=True)
        worker.wait_idle(600)
        out: dict[str, list[float]] = {"found_ms": [], "embedded_ms": []}
        try:
            for i in range(edits):
                marker = edit(i + (0 if via_save else 10_000))
                start = time.perf_counter()
                if via_save:
                    index.drop_buffer(rel)  # what textDocument/didSave does (server/index_features.py)
                while not found(marker):
                    if time.perf_counter() - start > 30:
                        raise RuntimeError(f"edit {i} not found after 30 s")
                    time.sleep(0.002)
                out["found_ms"].append((time.perf_counter() - start) * 1000)
                while not worker.idle():
                    time.sleep(0.002)
                out["embedded_ms"].append((time.perf_counter() - start) * 1000)
                time.sleep(0.05)  # edits are not back to back
        finally:
            worker.stop()
        return out

    try:
        save = measure(via_save=True)
        watch = measure(via_save=False)
    finally:
        path.write_text(original, encoding="utf-8")
        index.close()
    summary = {"index_chunks": None, "file": rel, "symbol": symbol, "edits": edits, "load_s": load_s}
    for name, series in (("didSave", save), ("watchdog", watch)):
        for key, values in series.items():
            summary[f"{name}_{key}_p50"] = statistics.median(values)
            summary[f"{name}_{key}_p95"] = percentile(values, 95)
    return summary


# --- 3. retrieval quality ---------------------------------------------------------------------------
def quality_tree(name: str, work: Path) -> Path:
    """The tree the query set is about: requests' src/, or the set's listed sub-packages (paths as in the
    query file, e.g. django/utils/text.py, httpx/_client.py, networkx/algorithms/flow/maxflow.py)."""
    src = fetch(name)
    subset = QUALITY_SETS[name][1]
    dest = work / f"{name}-quality"
    if subset is None:
        shutil.copytree(src, dest)
    else:
        for sub in subset:
            shutil.copytree(src.parent / sub, dest / sub)
    return dest


def quality(name: str, root: Path, data_dir: Path, embedder) -> dict:
    from mimo_lsp.index import WorkspaceIndex

    index = WorkspaceIndex(root, data_dir, embedder=embedder)
    try:
        stats = index.build()
        return evaluate(name, index, load_queries(QUALITY_SETS[name][0]), stats.chunks)
    finally:
        index.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repos", default="requests,django")
    ap.add_argument("--edits", type=int, default=50)
    ap.add_argument("--json", default=str(RESULTS / "index_bench.json"))
    ap.add_argument("--quality", default=",".join(QUALITY_SETS),
                    help="query sets to evaluate (requests, click, attrs: development; django, httpx, networkx, rich, mpmath, starlette, sympy: held out)")
    ap.add_argument("--index-dir", help="keep the quality indexes here between runs (default: a temp dir)")
    ap.add_argument("--quality-only", action="store_true", help="skip the cold build and incremental parts")
    ap.add_argument("--embedder", default="onnx", choices=("onnx", "onnx-fp32", "torch"),
                    help="index.embedder backend for every part")
    ap.add_argument("--embed-threads", default="", help="index.embed_threads (default: the setting's default)")
    ap.add_argument("--embed-max-tokens", default="", help="index.embed_max_tokens (default: the setting's default)")
    ap.add_argument("--child-build", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_build:
        child_build(Path(args.child_build[0]), Path(args.child_build[1]), args.child_build[2], args.child_build[3])
        return 0

    from mimo_lsp.index import make_embedder

    options = f"{args.embed_threads},{args.embed_max_tokens}"
    repos = [] if args.quality_only else [r for r in args.repos.split(",") if r]
    work = Path(tempfile.mkdtemp(prefix="mimo-index-bench-"))
    results: dict = {"machine": {"cpus": os.cpu_count()}, "cold": [], "incremental": None, "quality": None}
    try:
        trees = {}
        for name in repos:
            src = fetch(name)
            trees[name] = work / name
            shutil.copytree(src, trees[name])
        for name in repos:
            row = cold_build(name, trees[name], work / f"{name}-index", args.embedder, options)
            results["cold"].append(row)
            print(f"cold {name}: {row['files']} files, {row['chunks']} chunks in {row['seconds']:.1f}s", flush=True)

        if results["cold"]:  # the headline figures: django's cold build when there is one, else the last repo's
            key = next((r for r in results["cold"] if r["repo"] == "django"), results["cold"][-1])
            results["cold_chunks_per_s"], results["cold_peak_rss_mb"] = key["chunks_per_s"], key["peak_rss_mb"]
            first = results["cold"][0]
            print(f"\n## Cold build ({first['embedder']}, {first['torch_threads']} thread(s), model load excluded)\n")
            for r in results["cold"]:
                print(f"{r['repo']}: load average (1, 5, 15 min) before "
                      f"{', '.join(f'{x:.2f}' for x in r['load_average_before'])}, after "
                      f"{', '.join(f'{x:.2f}' for x in r['load_average_after'])}")
            print()
            print("| repo | files | chunks | total s | files/s | chunks/s | embed s | parse s | BM25 s | store s "
                  "| hnsw s | other s | non-embedding share | model load s | peak RSS MB | index MB (source MB) |")
            print("|---" * 16 + "|")
            for r in results["cold"]:
                print(f"| {r['repo']} | {r['files']} | {r['chunks']} | {r['seconds']:.1f} | {r['files_per_s']:.1f} "
                      f"| {r['chunks_per_s']:.1f} | {r['embed_s']:.1f} | {r['parse_s']:.2f} | {r['lexical_s']:.2f} "
                      f"| {r['store_s']:.2f} | {r['hnsw_s']:.2f} | {r['other_s']:.2f} | {100 * r['non_embed_share']:.1f} % "
                      f"| {r['model_load_s']:.1f} | {r['peak_rss_mb']:.0f} | {r['index_mb']:.1f} ({r['source_mb']:.1f}) |")

        embedder = make_embedder(args.embedder, **embedder_options(options))
        embedder.embed(["warm up"])
        if results["cold"]:
            big = max(results["cold"], key=lambda r: r["chunks"])["repo"]
            inc = incremental(trees[big], work / f"{big}-index", args.edits, embedder)
            inc["repo"] = big
            inc["index_chunks"] = next(r["chunks"] for r in results["cold"] if r["repo"] == big)
            results["incremental"] = inc
            print(f"\n## Incremental: {inc['edits']} edits of {inc['file']}::{inc['symbol']} in {big} "
                  f"({inc['index_chunks']} chunks; index load {inc['load_s']:.1f}s)\n")
            print("| from | query finds new text p50 ms | p95 ms | vector of the edit in hnswlib p50 ms | p95 ms |")
            print("|---|---|---|---|---|")
            for name in ("didSave", "watchdog"):
                print(f"| {name} | {inc[f'{name}_found_ms_p50']:.1f} | {inc[f'{name}_found_ms_p95']:.1f} "
                      f"| {inc[f'{name}_embedded_ms_p50']:.1f} | {inc[f'{name}_embedded_ms_p95']:.1f} |")

        results["quality"] = []
        results["mrr"] = {}
        for name in [n for n in args.quality.split(",") if n]:
            index_dir = Path(args.index_dir) if args.index_dir else work
            q = quality(name, quality_tree(name, work), index_dir / f"{name}-quality-index", embedder)
            results["quality"].append(q)
            results["mrr"][name] = q["mrr"]
            print_quality(q)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, indent=2))
    print(f"\nJSON: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
