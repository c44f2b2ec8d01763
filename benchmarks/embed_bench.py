"""Embedder backends side by side on a fixed sample of django chunks: chunks/s, peak RSS, agreement with torch.

    .venv/bin/python benchmarks/embed_bench.py [--every 40] [--configs torch:32,onnx:32,...]

The sample is every N-th chunk of django's `django/` package (chunked and prefixed as the index embeds them;
the tree comes from index_bench.fetch). Each config `BACKEND:STEP[:BATCH]` (BATCH: the ONNX embedder's batch size
instead of its default) runs in a fresh child process (so peak RSS
is its own): the embedder loads and warms up (not timed), then embeds the sample in calls of STEP texts, as
the index's embedding steps do. Agreement = cosine between each chunk's vector and the torch one
(sentence-transformers, fp32), mean and minimum. The first config is run again at the end: on a shared
machine, compare configs by their ratio to the torch runs around them.
"""

from __future__ import annotations

import argparse
import json
import resource
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


def child(config: str, texts_file: str, out_file: str) -> None:
    import numpy as np

    from mimo_lsp.index import make_embedder

    backend, step, *batch = config.split(":")
    texts = json.loads(Path(texts_file).read_text())
    emb = make_embedder(backend)
    if batch:
        emb.resolve().batch_size = int(batch[0])  # type: ignore[union-attr]
    t0 = time.perf_counter()
    emb.embed(["warm up"])
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    vecs = np.concatenate([emb.embed(texts[i:i + int(step)]) for i in range(0, len(texts), int(step))])
    seconds = time.perf_counter() - t0
    np.save(out_file, vecs)
    print(json.dumps({"config": config, "embedder": emb.name, "chunks_per_s": len(texts) / seconds,
                      "load_s": load_s, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "torch_imported": "torch" in sys.modules}))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--every", type=int, default=40)
    ap.add_argument("--configs", default="torch:32,onnx-fp32:32,onnx:32:16,onnx:128:16,onnx:32,onnx:128")
    ap.add_argument("--json", default=None)
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return 0
    import numpy as np

    texts = sample_texts(args.every)
    configs = args.configs.split(",")
    configs.append(configs[0])
    work = Path(tempfile.mkdtemp(prefix="mimo-embed-bench-"))
    (work / "texts.json").write_text(json.dumps(texts))
    rows = []
    for n, config in enumerate(configs):
        out = work / f"{n}.npy"
        proc = subprocess.run([sys.executable, __file__, "--child", config, str(work / "texts.json"), str(out)],
                              capture_output=True, text=True, check=True)
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        row["vectors"] = np.load(out)
        rows.append(row)
        print(f"{config}: {row['chunks_per_s']:.1f} chunks/s", flush=True)
    ref = next(r["vectors"] for r in rows if r["config"].startswith("torch:"))
    print(f"\n{len(texts)} django chunks (every {args.every}th)\n")
    print("| config | embedder | chunks/s | x torch (mean of the torch runs) | peak RSS MB | torch imported "
          "| cosine to torch mean | min |")
    print("|---|---|---|---|---|---|---|---|")
    torch_rows = [r["chunks_per_s"] for r in rows if r["config"].startswith("torch:")]
    base = sum(torch_rows) / len(torch_rows) if torch_rows else float("nan")
    for r in rows:
        cos = (r.pop("vectors") * ref).sum(axis=1)
        r.update(cos_mean=float(cos.mean()), cos_min=float(cos.min()))
        print(f"| {r['config']} | {r['embedder']} | {r['chunks_per_s']:.1f} | {r['chunks_per_s'] / base:.2f} "
              f"| {r['peak_rss_mb']:.0f} | {r['torch_imported']} | {r['cos_mean']:.4f} | {r['cos_min']:.4f} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"chunks": len(texts), "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
