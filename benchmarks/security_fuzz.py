"""Fuzz the real mimo-lsp server's JSON-RPC transport with hostile input, at volume.

Same generator and driver as tests/security/test_fuzz_jsonrpc.py: one long-lived server process
(--max-message-bytes 256KiB), batches of hostile messages (random bytes, mutated frames, wrong
Content-Length, wrong types, deep nesting, huge strings, unknown and real methods with wrong params),
a valid probe request after each batch that must be answered within --probe-timeout. A crash or hang
is recorded and the server restarted. Prints a table and writes JSON.

    .venv/bin/python benchmarks/security_fuzz.py --messages 10000 --json benchmarks/results/security_fuzz.json
"""

from __future__ import annotations

import argparse
import json
import platform
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.security.fuzzgen import LIMIT, FuzzTarget, hostile_messages  # noqa: E402


BASELINE = "from mimo_lsp.server.app import create_server; create_server().start_io()"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=10_000, help="hostile messages to send (default 10000)")
    ap.add_argument("--batch", type=int, default=20, help="most messages between two probes (default 20)")
    ap.add_argument("--probe-timeout", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=0, help="hypothesis seed of the first round (default 0)")
    ap.add_argument("--json", metavar="OUT", help="write the numbers here")
    ap.add_argument("--transport", choices=["stdio", "tcp"], default="stdio",
                    help="talk to the server over stdio (default) or `mimo-lsp --tcp 127.0.0.1:PORT`")
    ap.add_argument("--baseline", action="store_true",
                    help="fuzz the server on pygls' own read loop (server.start_io, no hardening) for comparison")
    args = ap.parse_args(argv)

    if args.transport == "tcp":
        os.environ["MIMO_TEST_TRANSPORT"] = "tcp"  # tests/security/harness.RawServer connects over TCP
    target = FuzzTarget(probe_timeout=args.probe_timeout, cmd=[sys.executable, "-c", BASELINE] if args.baseline else None)
    rounds = 0
    while target.stats.messages < args.messages:
        left = args.messages - target.stats.messages

        @seed(args.seed + rounds)
        @settings(max_examples=max(1, left // max(1, args.batch // 2)), deadline=None, database=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        @given(batch=st.lists(hostile_messages(), min_size=1, max_size=args.batch))
        def one_batch(batch: list[bytes]) -> None:
            room = args.messages - target.stats.messages
            if room > 0:
                target.run_batch(batch[:room])

        before = target.stats.messages
        one_batch()
        rounds += 1
        if target.stats.messages // 1000 > before // 1000:
            print(f"  ... {target.stats.messages} messages, {target.stats.probes} probes, "
                  f"{time.monotonic() - target._t0:.0f}s", file=sys.stderr)
    stats = target.close()

    rows = [
        ("messages sent", stats.messages),
        ("bytes sent", stats.bytes_sent),
        ("probes sent", stats.probes),
        ("probes answered", stats.probes_answered),
        ("probes answered with a result", stats.probes_ok),
        ("crashes", stats.crashes),
        ("hangs", stats.hangs),
        ("clean hang-ups (unrecoverable framing)", stats.clean_closes),
        ("restarts needed", stats.restarts),
        ("tracebacks in server log", stats.tracebacks_logged),
        ("max server RSS (MiB)", round(stats.max_rss_mib, 1)),
        ("seconds", stats.seconds),
    ]
    width = max(len(name) for name, _ in rows)
    server = "BASELINE: pygls start_io, no hardening" if args.baseline else f"--max-message-bytes {LIMIT}"
    print(f"\nsecurity fuzz: mimo-lsp over stdio, {server}, seed {args.seed}, batches of 1-{args.batch}")
    for name, value in rows:
        print(f"  {name:<{width}}  {value:>12}")
    for failure in stats.failures[:10]:
        print("\nFAILURE:", failure, file=sys.stderr)
    if args.json:
        out = {"benchmark": "security_fuzz", "python": platform.python_version(), "machine": platform.machine(),
               "server": "baseline (pygls start_io)" if args.baseline else "hardened (mimo_lsp.server.limits)",
               "max_message_bytes": None if args.baseline else LIMIT, "seed": args.seed, "batch": args.batch,
               "probe_timeout_s": args.probe_timeout, **asdict(stats)}
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    return 0 if stats.crashes == stats.hangs == 0 and stats.probes_answered == stats.probes else 1


if __name__ == "__main__":
    raise SystemExit(main())
