"""Generation throughput: raw llama-cpp-python vs the ChatModel stack in process vs the OpenAI-compatible backend
over a local llama.cpp server, on the same GGUF, prompt, sampling and thread count.

    python benchmarks/backends.py [--json OUT.json] [--runs 5] [--max-tokens 128] [--threads 1] [--model SPEC]

- raw: `Llama.create_chat_completion` (no streaming), the anchor;
- stack: `LlamaChatModel.complete` with a token callback, as the agent calls it (streaming);
- server: `OpenAIChatModel.complete` with a token callback against `python -m llama_cpp.server` started here.
Tokens are counted the same way for all three (the model's tokenizer over the returned text). The rounds are
interleaved (raw, stack, server, raw, ...) so that drift in machine load hits all three alike; each figure is
the median over the rounds. Goal (issue 14): stack >= 0.95 x raw.

Ray part (`--ray-jobs N`, default 8; 0 skips it; needs the `[ray]` extra): N Max Mode candidate jobs
(`maxmode.remote.run_job`: scratch tree from the snapshot, one greedy model call to the same local server, the
calculator's pytest check, sandboxed) run in process one after the other, then on a 2-CPU local Ray cluster
(`tests/real/ray_cluster.py`, loopback only) all at once, then on Ray one at a time. overhead_per_job_s =
(Ray one at a time - in process) / N: what Ray adds to each job (shipping, scheduling, the result's way back),
apart from what running two at once gains. `--only-ray` skips the throughput rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import threading
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mimo_lsp.config import ModelSettings  # noqa: E402
from mimo_lsp.llm.models import resolve_model  # noqa: E402
from mimo_lsp.llm.port import ChatMessage  # noqa: E402

PROMPT = "Write a detailed story about a lighthouse keeper who finds a strange machine on the beach."


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model: Path, threads: int, n_ctx: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    port = free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", "bench",
           "--host", "127.0.0.1", "--port", str(port), "--n_threads", str(threads), "--n_threads_batch",
           str(threads), "--n_ctx", str(n_ctx), "--interrupt_requests", "False"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"llama_cpp.server exited: see {log}")
        try:
            if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"llama_cpp.server not ready after 120 s: see {log}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", metavar="OUT.json")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--model", help="GGUF path or manifest name (default: the shipped model)")
    ap.add_argument("--ray-jobs", type=int, default=8, help="Max Mode candidate jobs for the Ray part (0: skip it)")
    ap.add_argument("--only-ray", action="store_true", help="skip the throughput rounds")
    args = ap.parse_args(argv)

    import llama_cpp

    from mimo_lsp.llm.llama import LlamaChatModel
    from mimo_lsp.llm.openai_compat import OpenAIChatModel

    path = resolve_model(args.model).file
    # Greedy, same penalty everywhere: the three produce the same text, so they do the same work.
    settings = ModelSettings(n_threads=args.threads, n_gpu_layers=0, temperature=0.0, max_tokens=args.max_tokens)
    messages = [ChatMessage(role="user", content=PROMPT)]
    raw = llama_cpp.Llama(model_path=str(path), n_ctx=settings.n_ctx, n_threads=args.threads,
                          n_threads_batch=args.threads, n_gpu_layers=0, seed=settings.seed, verbose=False)
    stack = LlamaChatModel(path, settings)
    log = Path(args.json).with_suffix(".server.log") if args.json else Path("/tmp/mimo-bench-server.log")
    proc, url = start_server(path, args.threads, settings.n_ctx, log)
    try:
        server = OpenAIChatModel.open(f"openai:{url}#bench", settings)

        def count(text: str) -> int:
            return len(raw.tokenize(text.encode("utf-8"), add_bos=False, special=True))

        def run_raw() -> str:
            out: Any = raw.create_chat_completion(messages=[m.model_dump() for m in messages],
                                                  max_tokens=args.max_tokens, temperature=0.0,
                                                  repeat_penalty=settings.repeat_penalty)
            return out["choices"][0]["message"]["content"] or ""

        def run_stack() -> str:
            return stack.complete(messages, on_token=lambda piece: None).text

        def run_server() -> str:
            return server.complete(messages, on_token=lambda piece: None).text

        ray_result = ray_part(url, args.ray_jobs) if args.ray_jobs > 0 else None
        if args.only_ray:
            print_ray(ray_result)
            if args.json and ray_result is not None:
                Path(args.json).write_text(json.dumps({"ray": ray_result}, indent=2))
            return 0
        backends: dict[str, Callable[[], str]] = {"raw": run_raw, "stack": run_stack, "server": run_server}
        for fn in backends.values():  # warm-up: first-call costs (prompt cache, connection) out of the figures
            fn()
        rates: dict[str, list[float]] = {k: [] for k in backends}
        tokens: dict[str, list[int]] = {k: [] for k in backends}
        for _ in range(args.runs):
            for name, fn in backends.items():
                t0 = time.perf_counter()
                text = fn()
                dt = time.perf_counter() - t0
                n = count(text)
                rates[name].append(n / dt)
                tokens[name].append(n)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        stack.close()

    med = {k: statistics.median(v) for k, v in rates.items()}
    result = {"raw_tok_s": round(med["raw"], 1), "stack_tok_s": round(med["stack"], 1),
              "server_tok_s": round(med["server"], 1), "ratio": round(med["stack"] / med["raw"], 3),
              "server_ratio": round(med["server"] / med["raw"], 3), "goal": "stack >= 0.95 x raw",
              "runs": args.runs, "max_tokens": args.max_tokens, "threads": args.threads, "model": path.name,
              "tokens": {k: statistics.median(v) for k, v in tokens.items()},
              "samples_tok_s": {k: [round(x, 1) for x in v] for k, v in rates.items()}}
    print(f"{'backend':<34} {'tok/s (median)':>15} {'x raw':>7} {'tokens':>7}")
    for key, label in (("raw", "raw llama-cpp-python"), ("stack", "ChatModel stack, in process"),
                       ("server", "OpenAI backend, local server")):
        print(f"{label:<34} {med[key]:>15.1f} {med[key] / med['raw']:>7.3f} {result['tokens'][key]:>7}")
    print(f"goal: stack >= 0.95 x raw -> {'met' if result['ratio'] >= 0.95 else 'NOT met'} ({result['ratio']})")
    if ray_result is not None:
        result["ray"] = ray_result
        print_ray(ray_result)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


GOAL = "Fix the add function in calc.py so that the tests pass"


def ray_part(url: str, jobs: int, workers: int = 2) -> dict[str, Any]:
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # loopback only; read when Ray is imported
    from mimo_lsp.agent.goal import GoalCriteria
    from mimo_lsp.config import Settings
    from mimo_lsp.maxmode.candidates import Candidate
    from mimo_lsp.maxmode.remote import jobs_for, run_job
    from mimo_lsp.maxmode.scratch import snapshot
    from mimo_lsp.scale import ray_pool
    from tests.real.ray_cluster import REPO, RayCluster

    ws = Path(tempfile.mkdtemp(prefix="mimo-bench-ray-")) / "calculator"
    shutil.copytree(REPO / "examples" / "calculator", ws)
    settings = Settings.model_validate({"model": {"spec": f"openai:{url}#bench"}, "max": {"format": "function"}})
    criteria = GoalCriteria(commands=[f"{sys.executable} -m pytest -q -p no:cacheprovider"])
    # Greedy, all of them: every job does the same work in every mode.
    job_list = jobs_for(settings, GOAL, criteria, "calc.py",
                        [Candidate(id=i + 1, round=1, temperature=0.0) for i in range(jobs)])
    files = snapshot(ws, 64 << 20)
    run_job(job_list[0], files)  # warm-up: the HTTP client, first-call costs
    t0 = time.perf_counter()
    local = [run_job(job, files) for job in job_list]
    inprocess_s = time.perf_counter() - t0

    cluster = RayCluster(num_cpus=workers).start()
    try:
        pool = ray_pool.RayPool(cluster.address, retries=0, round_timeout_s=900)
        pool.share(files)
        never = threading.Event()
        results: list[Any] = []

        def keep(job: Any, result: Any, error: str | None) -> bool:
            results.append(result if result is not None else error)
            return False

        pool.run(job_list[:workers], never, keep)  # warm-up: worker processes start and import mimo_lsp
        results.clear()
        t0 = time.perf_counter()
        pool.run(job_list, never, keep)
        ray_s = time.perf_counter() - t0
        parallel = list(results)
        results.clear()
        t0 = time.perf_counter()
        for job in job_list:
            pool.run([job], never, keep)
        ray_seq_s = time.perf_counter() - t0
    finally:
        ray_pool.disconnect()
        cluster.stop()
        shutil.rmtree(ws.parent, ignore_errors=True)

    def passed(rs: list[Any]) -> int:
        return sum(1 for r in rs if not isinstance(r, str) and r.checks_passed)

    return {"jobs": jobs, "workers": workers, "inprocess_s": round(inprocess_s, 2), "ray_s": round(ray_s, 2),
            "ray_sequential_s": round(ray_seq_s, 2), "speedup": round(inprocess_s / ray_s, 2),
            "overhead_per_job_s": round((ray_seq_s - inprocess_s) / jobs, 3),
            "job_s_median_inprocess": round(statistics.median(r.seconds for r in local), 3),
            "passed": {"inprocess": passed(local), "ray": passed(parallel), "ray_sequential": passed(results)},
            "errors": [r for r in parallel + results if isinstance(r, str)][:3]}


def print_ray(r: dict[str, Any] | None) -> None:
    if r is None:
        return
    print(f"\nMax Mode candidate jobs: {r['jobs']} jobs, {r['workers']}-CPU local Ray cluster, one local server")
    print(f"{'mode':<34} {'wall s':>8} {'passed':>7}")
    print(f"{'in process, one after the other':<34} {r['inprocess_s']:>8.2f} {r['passed']['inprocess']:>7}")
    print(f"{'Ray, all at once':<34} {r['ray_s']:>8.2f} {r['passed']['ray']:>7}")
    print(f"{'Ray, one at a time':<34} {r['ray_sequential_s']:>8.2f} {r['passed']['ray_sequential']:>7}")
    print(f"speedup {r['speedup']}x; Ray overhead per job {r['overhead_per_job_s']} s")


if __name__ == "__main__":
    raise SystemExit(main())
