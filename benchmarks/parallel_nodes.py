"""Concurrent plan nodes: a plan of 4 independent nodes, one at a time vs all 4 together
(`agent.max_parallel_nodes`), through the real OpenAI-compatible backend over loopback HTTP.

    python benchmarks/parallel_nodes.py [--json OUT.json] [--delay 1.0] [--skip-llama] [--threads 2] [--ray]

- `latency server`: a loopback OpenAI-compatible server whose every reply takes `--delay` seconds (a stand-in
  for a remote GPU server's latency; it answers by plan node from a script, so both runs do the same work).
  It shows what the agent side allows: the speed-up when the server itself is not the limit.
- `llama_cpp.server`: the planner is the latency server (a fixed 4-node plan), the executor is the shipped GGUF
  behind `python -m llama_cpp.server` (real generation, 2 steps per node, no retries), which runs one
  completion at a time: the speed-up it allows is what it shows.
- `--ray`: also the 4 nodes on a local Ray cluster (`[scale] ray_address`; 4 logical CPUs, loopback only,
  started and stopped here), each node a Ray task in its own worker process and scratch tree, against the
  latency server: the third column, and its ratio to the 4 nodes as threads.
Wall time per run, ratio sequential / parallel, same run. Tasks are built by `mimo_lsp.app.setup`.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mimo_lsp.llm.port import ChatMessage  # noqa: E402
from mimo_lsp.llm.scripted import RoutedScriptedModel  # noqa: E402

NODES = "abcd"
PLAN = {"nodes": [{"id": n, "title": f"write the {n} module", "depends_on": [], "expected_output": f"{n}/mod.py",
                   "files": [f"{n}/*"]} for n in NODES]}


def script(n: str) -> list[dict[str, Any]]:
    def step(tool: str, **args: Any) -> dict[str, Any]:
        return {"thought": tool, "action": {"tool": tool, **args}}
    return [step("write_file", path=f"{n}/mod.py", content=f"NAME = {n!r}\n"),
            step("read_file", path=f"{n}/mod.py"), step("finish", summary=f"{n} written")]


class LatencyServer(ThreadingHTTPServer):
    """OpenAI-compatible chat completions on 127.0.0.1, each reply after `delay` seconds, by plan node."""

    daemon_threads = True

    def __init__(self, delay: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.delay = delay
        self.script = RoutedScriptedModel(PLAN, {n: script(n) for n in NODES})
        self.requests = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LatencyServer

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._send({"object": "list", "data": [{"id": "scripted"}]})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if not self.path.endswith("/chat/completions"):  # e.g. /tokenize: the client then counts characters
            self._send({"detail": "Not Found"}, 404)
            return
        self.server.requests += 1
        time.sleep(self.server.delay)
        schema = ((body.get("response_format") or {}).get("json_schema") or {}).get("schema") or \
            (body.get("response_format") or {}).get("schema")
        messages = [ChatMessage(role=m["role"], content=m["content"]) for m in body["messages"]]
        text = self.server.script.reply(messages, (schema or {}).get("title"))
        usage = {"prompt_tokens": sum(len(m.content) for m in messages) // 4, "completion_tokens": len(text) // 4}
        if body.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            for chunk in ({"choices": [{"delta": {"content": text}}]},
                          {"choices": [{"delta": {}, "finish_reason": "stop"}], "usage": usage}):
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            self.close_connection = True
            return
        self._send({"choices": [{"message": {"content": text}, "finish_reason": "stop"}], "usage": usage})

    def _send(self, data: Any, status: int = 200) -> None:
        raw = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


def run_task(width: int, planner: str, executor: str, extra: dict[str, Any]) -> dict[str, Any]:
    from mimo_lsp.app.setup import TaskAssembly, TaskRequest
    from mimo_lsp.config import Settings, _deep_merge

    settings = Settings.model_validate(_deep_merge({
        "model": {"spec": executor}, "roles": {"planner": {"spec": planner}},
        "agent": {"max_parallel_nodes": width}, "memory": {"embedder": "hashing", "lessons": False}}, extra))
    with tempfile.TemporaryDirectory(prefix="mimo-par-") as ws:
        assembly = TaskAssembly(confirm=lambda request, timeout: "no")
        prepared = assembly.prepared_with(TaskRequest(workspace=Path(ws), goal="write the four modules"), settings)
        task = assembly.build(prepared, lambda e: None)
        t0 = time.perf_counter()
        result = task.run()
        seconds = time.perf_counter() - t0
        return {"seconds": round(seconds, 2), "outcome": result.outcome, "steps": result.steps,
                "model_calls": result.stats.get("model_calls", 0), "tokens": result.stats.get("tokens", 0),
                "remote_nodes": result.stats.get("remote_nodes", 0),
                "files": sorted(
                    p.relative_to(ws).as_posix() for p in Path(ws).rglob("*.py"))}


def compare(name: str, planner: str, executor: str, extra: dict[str, Any], rounds: int,
            ray_address: str = "") -> dict[str, Any]:
    seq, par, ray = [], [], []
    for _ in range(rounds):  # interleaved, so load drift hits all alike
        seq.append(run_task(1, planner, executor, extra))
        par.append(run_task(len(NODES), planner, executor, extra))
        if ray_address:
            ray.append(run_task(len(NODES), planner, executor, {**extra, "scale": {"ray_address": ray_address}}))
    s = sorted(r["seconds"] for r in seq)[len(seq) // 2]
    p = sorted(r["seconds"] for r in par)[len(par) // 2]
    # A real model's nodes need not do the same work both ways (in sequence a node's prompt shows how the
    # others ended): the calls and tokens of each run, and seconds per model call, say how comparable they are.
    calls = [seq[0]["model_calls"], par[0]["model_calls"]]
    per_call = [round(s / max(1, calls[0]), 2), round(p / max(1, calls[1]), 2)]
    row = {"sequential_s": s, "parallel_s": p, "speedup": round(s / p, 2), "rounds": rounds,
           "outcomes": sorted({r["outcome"] for r in seq + par}), "model_calls": calls,
           "tokens": [seq[0]["tokens"], par[0]["tokens"]], "s_per_call": per_call}
    if ray:
        r = sorted(x["seconds"] for x in ray)[len(ray) // 2]
        row.update(ray_s=r, ray_runs_s=[x["seconds"] for x in ray], ray_vs_threads=round(p / r, 2),
                   ray_speedup=round(s / r, 2), ray_outcomes=sorted({x["outcome"] for x in ray}),
                   ray_remote_nodes=[x["remote_nodes"] for x in ray])
        print(f"{name + ' (Ray)':<22} {s:>9.2f} {r:>9.2f} {row['ray_speedup']:>8.2f}x  vs threads "
              f"{row['ray_vs_threads']:.2f}x  runs {row['ray_runs_s']} nodes on Ray {row['ray_remote_nodes']} "
              f"outcomes {row['ray_outcomes']}", flush=True)
    print(f"{name:<22} {s:>9.2f} {p:>9.2f} {row['speedup']:>8.2f}x  calls {calls} s/call {per_call} "
          f"outcomes {row['outcomes']}", flush=True)
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", metavar="OUT.json")
    ap.add_argument("--delay", type=float, default=1.0, help="the latency server's seconds per reply")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2, help="llama_cpp.server's threads")
    ap.add_argument("--skip-llama", action="store_true")
    ap.add_argument("--ray", action="store_true", help="also the 4 nodes on a local Ray cluster")
    args = ap.parse_args(argv)
    cluster = None
    if args.ray:
        import os

        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        from tests.real.ray_cluster import RayCluster

        cluster = RayCluster(num_cpus=len(NODES)).start()
    srv = LatencyServer(args.delay)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    spec = f"openai:{srv.url}#scripted"
    out: dict[str, Any] = {"nodes": len(NODES), "delay_s": args.delay}
    print(f"{'server':<22} {'1 node s':>9} {'4 nodes s':>9} {'speedup':>9}")
    try:
        out["latency_server"] = compare("latency server", spec, spec, {}, args.rounds,
                                        cluster.address if cluster else "")
    finally:
        if cluster is not None:
            from mimo_lsp.scale import ray_pool

            ray_pool.disconnect()
            cluster.stop()
    if not args.skip_llama:
        from benchmarks.backends import start_server
        from mimo_lsp.llm.models import resolve_model

        log = Path(tempfile.gettempdir()) / "mimo-parallel-llama.log"
        proc, url = start_server(resolve_model(None).file, args.threads, 4096, log)
        try:
            extra = {"agent": {"max_steps_per_node": 2, "node_retries": 0, "max_replans": 0,
                               "max_structured_retries": 0, "goal_rounds": 0}, "model": {"max_tokens": 96}}
            out["llama_cpp_server"] = compare("llama_cpp.server", spec, f"openai:{url}#bench", extra, args.rounds)
            out["llama_cpp_server"]["limit"] = ("llama-cpp-python's server generates one reply at a time "
                                                "(one model context behind a lock)")
        finally:
            proc.terminate()
            proc.wait(30)
    srv.shutdown()
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
