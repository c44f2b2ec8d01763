"""Embedder backends side by side on a fixed sample of django chunks: chunks/s, peak RSS, agreement with torch.

    .venv/bin/python benchmarks/embed_bench.py [--every 40] [--configs torch:32,onnx:32,...] [--rounds N]

The sample is every N-th chunk of django's `django/` package (chunked and prefixed as the index embeds them;
the tree comes from index_bench.fetch). Each config `BACKEND:STEP[:BATCH][:threads=N][:max=N]` (BATCH: the
ONNX embedder's batch size instead of its default; threads: index.embed_threads; max: index.embed_max_tokens)
runs in a fresh child process (so peak RSS is its own): the embedder loads and warms up (not timed), then
embeds the sample in calls of STEP texts, as the index's embedding steps do. chunks/s is wall time; "per CPU
s" divides by the child's CPU time instead (user + sys, all its threads), which a busy machine moves far
less than wall time for a single-threaded config. Agreement = cosine between each chunk's vector and the
torch one (sentence-transformers, fp32, the same max), mean and minimum, when a torch config ran. Without
--rounds the first config is run again at the end: on a shared machine, compare configs by their ratio to
the runs around them; --rounds N runs the whole list N times, interleaved, and reports medians.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def sample_texts(every: int) -> list[str]:
    from index_bench import fetch

    from mimo_lsp.index.chunker import chunk_file
    from mimo_lsp.index.models import TEXT_SUFFIXES
    from mimo_lsp.index.records import embed_text

    root = fetch("django")
    texts = []
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.suffix in TEXT_SUFFIXES:
            try:
                text = p.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            texts += [embed_text(c) for c in chunk_file(p.relative_to(root.parent).as_posix(), text)]
    return texts[::every]


def parse_config(config: str) -> tuple[str, int, dict, int | None]:
    """"onnx:128:threads=2:max=128" -> (backend, step, make_embedder options, batch size or None)."""
    backend, step, *rest = config.split(":")
    options: dict = {}
    batch = None
    for part in rest:
        key, eq, value = part.partition("=")
        if not eq:
            batch = int(part)
        elif key in ("threads", "max"):
            options["threads" if key == "threads" else "max_tokens"] = int(value)
        else:
            raise ValueError(f"unknown config key {key!r} in {config!r}")
    return backend, int(step), options, batch


def child(config: str, texts_file: str, out_file: str) -> None:
    import numpy as np

    from mimo_lsp.index import make_embedder

    backend, step, options, batch = parse_config(config)
    texts = json.loads(Path(texts_file).read_text())
    emb = make_embedder(backend, **options)
    if batch:
        emb.resolve().batch_size = batch  # type: ignore[union-attr]
    t0 = time.perf_counter()
    emb.embed(["warm up"])
    load_s = time.perf_counter() - t0
    t0, cpu0 = time.perf_counter(), time.process_time()
    vecs = np.concatenate([emb.embed(texts[i:i + step]) for i in range(0, len(texts), step)])
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    np.save(out_file, vecs)
    print(json.dumps({"config": config, "embedder": emb.name, "chunks_per_s": len(texts) / seconds,
                      "chunks_per_cpu_s": len(texts) / cpu, "threads": emb.threads,
                      "load_s": load_s, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "load_average": os.getloadavg(), "torch_imported": "torch" in sys.modules}))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--every", type=int, default=40)
    ap.add_argument("--configs", default="torch:32,onnx-fp32:32,onnx:32:16,onnx:128:16,onnx:32,onnx:128")
    ap.add_argument("--rounds", type=int, default=0, help="run the config list this many times, interleaved")
    ap.add_argument("--json", default=None)
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return 0
    import numpy as np

    texts = sample_texts(args.every)
    configs = args.configs.split(",")
    runs = configs * args.rounds if args.rounds else configs + [configs[0]]
    work = Path(tempfile.mkdtemp(prefix="mimo-embed-bench-"))
    (work / "texts.json").write_text(json.dumps(texts))
    rows = []
    for n, config in enumerate(runs):
        out = work / f"{n}.npy"
        proc = subprocess.run([sys.executable, __file__, "--child", config, str(work / "texts.json"), str(out)],
                              capture_output=True, text=True, check=True)
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        row["vectors"] = np.load(out)
        rows.append(row)
        print(f"{config}: {row['chunks_per_s']:.1f} chunks/s, {row['chunks_per_cpu_s']:.1f} per CPU s "
              f"(load average {row['load_average'][0]:.2f})", flush=True)
    refs = {}  # max tokens -> the torch vectors
    for r in rows:
        if r["config"].startswith("torch:"):
            refs.setdefault(parse_config(r["config"])[2].get("max_tokens"), r["vectors"])
    print(f"\n{len(texts)} django chunks (every {args.every}th)\n")
    print("| config | embedder | threads | chunks/s (median) | runs | x first | per CPU s | x first | peak RSS MB "
          "| cosine to torch mean | min | load average (1 min) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    summary = []
    for config in configs:
        mine = [r for r in rows if r["config"] == config]
        ref = refs.get(parse_config(config)[2].get("max_tokens"))
        cos = (mine[-1]["vectors"] * ref).sum(axis=1) if ref is not None else None
        summary.append({
            "config": config, "embedder": mine[0]["embedder"], "threads": mine[0]["threads"],
            "chunks_per_s": statistics.median(r["chunks_per_s"] for r in mine),
            "runs": [r["chunks_per_s"] for r in mine],
            "chunks_per_cpu_s": statistics.median(r["chunks_per_cpu_s"] for r in mine),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in mine),
            "cos_mean": float(cos.mean()) if cos is not None else None,
            "cos_min": float(cos.min()) if cos is not None else None,
            "load_average": [r["load_average"][0] for r in mine]})
    for s in summary:
        base, cbase = summary[0]["chunks_per_s"], summary[0]["chunks_per_cpu_s"]
        cos = f"{s['cos_mean']:.4f} | {s['cos_min']:.4f}" if s["cos_mean"] is not None else "- | -"
        print(f"| {s['config']} | {s['embedder']} | {s['threads']} | {s['chunks_per_s']:.1f} "
              f"| {' / '.join(f'{x:.1f}' for x in s['runs'])} | {s['chunks_per_s'] / base:.2f} "
              f"| {s['chunks_per_cpu_s']:.1f} | {s['chunks_per_cpu_s'] / cbase:.2f} | {s['peak_rss_mb']:.0f} | {cos} "
              f"| {' / '.join(f'{x:.2f}' for x in s['load_average'])} |")
    for r in rows:
        r.pop("vectors")
    if args.json:
        Path(args.json).write_text(json.dumps({"chunks": len(texts), "summary": summary, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
