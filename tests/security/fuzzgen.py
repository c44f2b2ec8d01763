"""Hypothesis generators of hostile JSON-RPC input, and a driver that feeds them to one live server.

Used by tests/security/test_fuzz_jsonrpc.py (CI-sized) and benchmarks/security_fuzz.py (10,000+).

Left out on purpose: `shutdown` and `exit` (they end the session by design; tests cover them) and
commands that would start real work (task.start/resume, index.search, checkpoint.restore/gc), which
only ever get argument lists they must refuse.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

from .harness import CLEAN_CLOSE, Hang, RawServer, frame

LIMIT = 256 * 1024  # the fuzzed server runs with --max-message-bytes 256KiB: oversize stays cheap
SERVER_ARGS = ("--max-message-bytes", str(LIMIT))

REAL_METHODS = [
    "initialize", "initialized", "workspace/executeCommand", "textDocument/didOpen", "textDocument/didChange",
    "textDocument/didClose", "textDocument/didSave", "textDocument/hover", "textDocument/completion",
    "$/cancelRequest", "$/setTrace", "$/progress", "workspace/didChangeWorkspaceFolders",
    "workspace/didChangeConfiguration", "window/workDoneProgress/cancel", "notebookDocument/didOpen",
    "workspace/symbol", "client/registerCapability",
]
SAFE_COMMANDS = ["mimo.task.status", "mimo.task.events", "mimo.task.cancel", "mimo.checkpoint.list",
                 "mimo.checkpoint.diff", "mimo.checkpoint.stats", "mimo.nope"]
BUSY_COMMANDS = ["mimo.task.start", "mimo.task.resume", "mimo.index.search", "mimo.checkpoint.restore",
                 "mimo.checkpoint.gc"]  # only ever called with 2+ arguments: always refused
SESSION_ENDERS = {"shutdown", "exit"}

scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats()
           | st.text(max_size=40))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=5), max_leaves=25)
methods = (st.sampled_from(REAL_METHODS) | st.text(max_size=30).filter(lambda m: m not in SESSION_ENDERS)
           | json_values.filter(lambda m: not isinstance(m, str)))
ids = st.integers(min_value=-(2**63), max_value=2**63) | st.text(max_size=12) | json_values


def _dumps(value) -> bytes:
    return json.dumps(value).encode()  # NaN / Infinity included: not JSON, the server must cope


@st.composite
def command_params(draw):
    cmd = draw(st.sampled_from(SAFE_COMMANDS + BUSY_COMMANDS) | st.text(max_size=20) | json_values)
    if cmd in BUSY_COMMANDS:
        args = draw(st.lists(json_values, min_size=2, max_size=4))
    else:
        args = draw(st.lists(json_values, max_size=3) | json_values)
    params = {"command": cmd, "arguments": args}
    if draw(st.booleans()):
        params.update(draw(st.dictionaries(st.text(max_size=8), json_values, max_size=2)))
    return params


@st.composite
def envelopes(draw):
    """A JSON-RPC-shaped object with any part missing or of the wrong type."""
    msg = {}
    if draw(st.integers(0, 9)):
        msg["jsonrpc"] = "2.0"
    elif draw(st.booleans()):
        msg["jsonrpc"] = draw(json_values)
    if draw(st.integers(0, 3)):
        msg["id"] = draw(ids)
    if draw(st.integers(0, 5)):
        method = draw(methods)
        msg["method"] = method
        if method == "workspace/executeCommand" and draw(st.integers(0, 3)):
            msg["params"] = draw(command_params())
        elif draw(st.integers(0, 4)):
            msg["params"] = draw(json_values)
    else:  # a "response" from the client
        msg[draw(st.sampled_from(["result", "error"]))] = draw(json_values)
    return frame(_dumps(msg))


@st.composite
def bad_framing(draw):
    """A valid request with its framing broken."""
    body = _dumps({"jsonrpc": "2.0", "id": draw(ids), "method": "workspace/executeCommand",
                   "params": {"command": "mimo.task.status", "arguments": [{}]}})
    how = draw(st.sampled_from(["short", "long", "value", "missing", "no-blank", "variants"]))
    if how == "short":
        return frame(body, length=draw(st.integers(0, len(body) - 1)))
    if how == "long":
        return frame(body, length=len(body) + draw(st.integers(1, 5000)))
    if how == "value":
        value = draw(st.sampled_from([b"abc", b"-1", b"", b"1.5", b"0x20", b"1 2", b"9" * 40])
                     | st.binary(max_size=20).filter(lambda b: b"\n" not in b))
        return b"Content-Length: " + value + b"\r\n\r\n" + body
    if how == "missing":
        return draw(st.sampled_from([b"", b"Content-Type: application/json\r\n\r\n", b"\r\n"])) + body
    if how == "no-blank":
        return f"Content-Length: {len(body)}\r\n".encode() + body
    sep = draw(st.sampled_from([b"\r\n", b"\n"]))
    name = draw(st.sampled_from([b"Content-Length", b"content-length", b"CONTENT-LENGTH", b"Content-Length "]))
    extra = draw(st.sampled_from([b"", b"Content-Type: application/vscode-jsonrpc; charset=utf-8" + sep, b"X: y" + sep]))
    return extra + name + b": " + str(len(body)).encode() + sep + sep + body


@st.composite
def mutated_frames(draw):
    """A valid frame with bytes flipped, inserted, deleted, or cut off."""
    data = bytearray(draw(envelopes()))
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if op == "flip":
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[at:at + draw(st.integers(1, 8))]
        else:
            del data[at:]
    return bytes(data)


@st.composite
def deep(draw):
    depth = draw(st.integers(30, 3000) | st.integers(20_000, 120_000))  # at most ~1 MB: under 4x LIMIT
    open_, close = draw(st.sampled_from([("[", "]"), ('{"a":', "}"), ("[{\"k\":", "}]")]))
    nested = open_ * depth + "0" + close * depth
    if draw(st.booleans()):
        nested = nested[: draw(st.integers(0, len(nested)))]  # unbalanced too
    if draw(st.booleans()):
        return frame(nested)
    return frame('{"jsonrpc": "2.0", "id": %d, "method": "workspace/executeCommand", "params": '
                 '{"command": "mimo.task.status", "arguments": [%s]}}' % (draw(st.integers(0, 10**6)), nested))


@st.composite
def huge(draw):
    size = draw(st.integers(1000, 60_000) | st.sampled_from([LIMIT - 300, LIMIT + 1, 2 * LIMIT, 3 * LIMIT]))
    return frame('{"jsonrpc": "2.0", "id": %d, "method": "%s", "params": {"textDocument": {"uri": "file:///big.py", '
                 '"languageId": "python", "version": 1, "text": "%s"}}}'
                 % (draw(st.integers(0, 10**6)), draw(st.sampled_from(["textDocument/didOpen", "workspace/executeCommand"])),
                    "a" * size))


def hostile_messages():
    return st.one_of(
        envelopes(), envelopes(), envelopes(),
        bad_framing(), bad_framing(),
        mutated_frames(), mutated_frames(),
        st.binary(max_size=300),  # raw bytes, no framing
        st.binary(max_size=300).map(frame),  # framed bytes
        json_values.map(lambda v: frame(_dumps(v))),  # JSON that is not a message
        st.lists(envelopes(), min_size=1, max_size=3).map(lambda fs: frame(b"[" + b",".join(f.split(b"\r\n\r\n", 1)[1] for f in fs) + b"]")),
        st.binary(max_size=100).map(lambda b: frame(b'{"jsonrpc": "2.0", "id": 1, "method": "' + b + b'"}')),  # bad UTF-8
        deep(),
        huge(),
    )


# -- the driver -----------------------------------------------------------------------------------

@dataclass
class FuzzStats:
    messages: int = 0
    bytes_sent: int = 0
    probes: int = 0
    probes_answered: int = 0
    probes_ok: int = 0
    crashes: int = 0
    hangs: int = 0
    clean_closes: int = 0
    restarts: int = 0
    tracebacks_logged: int = 0
    max_rss_mib: float = 0.0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)


class FuzzTarget:
    """One long-lived server; a batch of hostile messages, then a probe that must be answered."""

    def __init__(self, probe_timeout: float = 10.0, cmd: list[str] | None = None) -> None:
        self.probe_timeout = probe_timeout
        self.cmd = cmd  # another server command line (e.g. the unhardened baseline); limit flags are ours
        self.stats = FuzzStats()
        self._t0 = time.monotonic()
        self.server = self._start()

    def _start(self) -> RawServer:
        s = RawServer(*(() if self.cmd else SERVER_ARGS), cmd=self.cmd)
        s.initialize()
        assert "tasks" in s.probe(timeout=60)["result"]  # loads the backend once
        return s

    def _rss_mib(self) -> float:
        try:
            for line in Path(f"/proc/{self.server.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def run_batch(self, batch: list[bytes]) -> str | None:
        """Send the batch and a probe. None if the probe got a result; else what went wrong."""
        s, st_ = self.server, self.stats
        failure = None
        try:
            for msg in batch:
                s.send(msg)
                st_.messages += 1
                st_.bytes_sent += len(msg)
            st_.probes += 1
            reply = s.probe(self.probe_timeout)
            st_.probes_answered += 1
            if "result" in reply:
                st_.probes_ok += 1
            else:
                failure = f"probe answered with an error: {reply}"
        except (Hang, OSError) as exc:
            try:  # a broken pipe means it is going (or gone): let it finish before judging
                s.proc.wait(5 if isinstance(exc, OSError) else 0.5)
            except Exception:
                pass
            if s.alive():
                st_.hangs += 1
                failure = f"hang: {exc}"
            else:
                code = s.wait_exit(5)
                if code == 1 and CLEAN_CLOSE in s.stderr_text():
                    st_.clean_closes += 1
                    failure = "clean close: " + next(line for line in s.stderr_text().splitlines() if CLEAN_CLOSE in line)
                else:
                    st_.crashes += 1
                    failure = f"crash: exit code {code}\n{s.stderr_tail()}"
        st_.max_rss_mib = max(st_.max_rss_mib, self._rss_mib())
        if failure is not None:
            st_.failures.append(failure[:2000])
            self._restart()
        return failure

    def _restart(self) -> None:
        self._count_tracebacks()
        self.server.stop(polite=False)
        self.stats.restarts += 1
        self.server = self._start()

    def _count_tracebacks(self) -> None:
        try:
            self.stats.tracebacks_logged += self.server.stderr_text().count("Traceback")
        except OSError:
            pass

    def close(self) -> FuzzStats:
        self._count_tracebacks()
        self.server.stop()
        self.stats.seconds = round(time.monotonic() - self._t0, 1)
        return self.stats
