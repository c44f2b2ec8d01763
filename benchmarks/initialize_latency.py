"""Cold `initialize` round trip and idle RSS of the mimo-lsp server process.

Anchor, same run: a bare pygls server with no features (what the framework alone costs).
Prints a table and writes benchmarks/results/initialize_latency.json.

Both sides start from bytecode, as installed packages do: pip compiled pygls and lsprotocol when it
installed them, and this script compiles mimo_lsp first (an editable checkout is not compiled, and with
PYTHONDONTWRITEBYTECODE set, as on the development machine, every start compiles it from source).
`--source` adds a third server, interleaved with the others: mimo-lsp from a copy of the package without
bytecode, never allowed to write any (what such a checkout pays).

    .venv/bin/python benchmarks/initialize_latency.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BARE = "from pygls.lsp.server import LanguageServer; LanguageServer('bare', '0').start_io()"
SERVERS = {
    "bare pygls (anchor)": [sys.executable, "-c", BARE],
    "mimo-lsp": [sys.executable, "-m", "mimo_lsp.server"],
    # Reference, not the anchor: the framework alone with the collector off during start-up, as mimo-lsp
    # starts (server/startup_gc.py); the gap between it and mimo-lsp is what our own code costs.
    "bare pygls, GC off (ref)": [sys.executable, "-c", "import gc; gc.disable(); " + BARE],
}


def frame(obj: dict) -> bytes:
    body = json.dumps(obj).encode()
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def read_message(stream) -> dict:
    length = 0
    while True:
        line = stream.readline()
        if not line:
            raise EOFError("server closed its output")
        if line in (b"\r\n", b"\n"):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(stream.read(length))


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def one_run(cmd: list[str]) -> tuple[float, int]:
    cwd, env = ROOT, None  # "@cwd=DIR": run there (`-m` imports the package found in DIR), writing no bytecode
    if cmd[-1].startswith("@cwd="):
        cmd, cwd, env = cmd[:-1], Path(cmd[-1][5:]), {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=cwd, env=env)
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"processId": os.getpid(), "rootUri": ROOT.as_uri(), "capabilities": {}}}
    proc.stdin.write(frame(init))
    proc.stdin.flush()
    while "id" not in (msg := read_message(proc.stdout)):
        pass
    elapsed = time.perf_counter() - t0
    proc.stdin.write(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
    proc.stdin.flush()
    time.sleep(0.5)  # idle
    rss = rss_kib(proc.pid)
    proc.stdin.write(frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
    proc.stdin.write(frame({"jsonrpc": "2.0", "method": "exit"}))
    proc.stdin.flush()
    proc.wait(10)
    assert "result" in msg, msg
    return elapsed, rss


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--source", action="store_true", help="also mimo-lsp from source, no bytecode (see above)")
    args = ap.parse_args()
    import compileall

    compileall.compile_dir(str(ROOT / "mimo_lsp"), quiet=1)
    if args.source:
        import shutil
        import tempfile

        copy = Path(tempfile.mkdtemp(prefix="mimo-src-"))
        shutil.copytree(ROOT / "mimo_lsp", copy / "mimo_lsp", ignore=shutil.ignore_patterns("__pycache__"))
        SERVERS["mimo-lsp, from source"] = [sys.executable, "-m", "mimo_lsp.server", f"@cwd={copy}"]
    for cmd in SERVERS.values():
        one_run(cmd)  # warm the OS page cache and .pyc files; "cold" = a new process, not a cold disk
    # Interleaved (anchor, ours, anchor, ours, ...): on a shared machine the load drifts, and a block of
    # anchor runs followed by a block of ours would charge the drift to one side.
    runs: dict[str, list[tuple[float, int]]] = {name: [] for name in SERVERS}
    for _ in range(args.runs):
        for name, cmd in SERVERS.items():
            runs[name].append(one_run(cmd))
    results = {}
    anchor_runs = [r[0] for r in runs["bare pygls (anchor)"]]
    for name, rs in runs.items():
        times = [r[0] * 1000 for r in rs]
        results[name] = {"median_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times),
                         "idle_rss_mib": statistics.median(r[1] for r in rs) / 1024, "runs_ms": times,
                         # each run against the anchor run right before it: the drift cancels out
                         "paired_ratio": statistics.median(r[0] / a for r, a in zip(rs, anchor_runs))}
    anchor = results["bare pygls (anchor)"]["median_ms"]
    print(f"{'server':<26} {'median ms':>10} {'min':>8} {'max':>8} {'x anchor':>9} {'paired x':>9} {'idle RSS MiB':>13}")
    for name, r in results.items():
        print(f"{name:<26} {r['median_ms']:>10.1f} {r['min_ms']:>8.1f} {r['max_ms']:>8.1f} "
              f"{r['median_ms'] / anchor:>9.2f} {r['paired_ratio']:>9.2f} {r['idle_rss_mib']:>13.1f}")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "initialize_latency.json").write_text(json.dumps({"runs": args.runs, "results": results}, indent=2))


if __name__ == "__main__":
    main()
