"""A raw-bytes JSON-RPC client for the real `mimo-lsp` process: every wait has a deadline.

Writes are non-blocking with a deadline (a server that stops reading cannot hang the test), stdout is
read by a thread that parses the server's frames, stderr goes to a file for inspection.
"""

from __future__ import annotations

import itertools
import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

SERVER_CMD = [sys.executable, "-m", "mimo_lsp.server"]
REPO = Path(__file__).resolve().parents[2]
CLEAN_CLOSE = "cannot resynchronise the JSON-RPC stream"


def frame(obj: Any, *, length: int | None = None) -> bytes:
    body = obj if isinstance(obj, bytes) else (obj if isinstance(obj, str) else json.dumps(obj)).encode()
    return f"Content-Length: {len(body) if length is None else length}\r\n\r\n".encode() + body


def request(msg_id: int | str, method: str, params: Any = None) -> dict:
    msg = {"jsonrpc": "2.0", "id": msg_id, "method": method}
    if params is not None:
        msg["params"] = params
    return msg


def status_request(msg_id: int | str) -> dict:
    return request(msg_id, "workspace/executeCommand", {"command": "mimo.task.status", "arguments": [{}]})


class Hang(AssertionError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def connect(port: int, proc: subprocess.Popen, timeout: float = 60) -> socket.socket:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise Hang(f"mimo-lsp --tcp did not listen on {port}") from None
            time.sleep(0.05)


class RawServer:
    def __init__(self, *args: str, env: dict[str, str] | None = None, workdir: Path | None = None,
                 cmd: list[str] | None = None) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="mimo-hostile-") if workdir is None else None
        self.workdir = Path(self._tmp.name) if self._tmp else workdir
        base = {**os.environ, "XDG_DATA_HOME": str(self.workdir / "data"), "HOME": str(self.workdir),
                "MIMO_CONFIG_HOME": str(REPO / "tests" / ".no-user-config")}
        for name in ("MIMO_LSP_MAX_MESSAGE_BYTES", "MIMO_LSP_MAX_JSON_DEPTH"):
            base.pop(name, None)
        self.stderr_path = self.workdir / f"server-{time.monotonic_ns()}.stderr"
        self._stderr = open(self.stderr_path, "wb")
        # MIMO_TEST_TRANSPORT=tcp: the same conversation over `mimo-lsp --tcp 127.0.0.1:PORT`.
        self.sock: socket.socket | None = None
        if os.environ.get("MIMO_TEST_TRANSPORT") == "tcp" and cmd is None:
            port = free_port()
            self.proc = subprocess.Popen([*SERVER_CMD, "--tcp", f"127.0.0.1:{port}", *args], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=self._stderr, cwd=self.workdir,
                                         env={**base, **(env or {})})
            self.sock = connect(port, self.proc)
            self._in_fd = self.sock.fileno()
            self._out = self.sock.makefile("rb")
        else:
            self.proc = subprocess.Popen([*(cmd or SERVER_CMD), *args], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=self._stderr, cwd=self.workdir,
                                         env={**base, **(env or {})})
            self._in_fd = self.proc.stdin.fileno()
            self._out = self.proc.stdout
        os.set_blocking(self._in_fd, False)
        self._cond = threading.Condition()
        self.responses: dict[Any, dict] = {}
        self.null_id_errors: list[dict] = []
        self.notifications: list[dict] = []
        self.eof = False
        self._ids = itertools.count(1)
        threading.Thread(target=self._read_loop, daemon=True).start()

    # -- output -------------------------------------------------------------------------------------
    def _read_loop(self) -> None:
        out = self._out
        try:
            while True:
                length = None
                while True:
                    line = out.readline()
                    if not line:
                        return
                    if line in (b"\r\n", b"\n"):
                        break
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                msg = json.loads(out.read(length or 0))
                with self._cond:
                    if "method" in msg:
                        self.notifications.append(msg)
                    elif msg.get("id") is None:
                        self.null_id_errors.append(msg)
                    else:  # a server that echoes any id back may send an unhashable one
                        key = msg["id"] if isinstance(msg["id"], (str, int)) else json.dumps(msg["id"])
                        self.responses[key] = msg
                    self._cond.notify_all()
        except (OSError, ValueError):
            return
        finally:
            with self._cond:
                self.eof = True
                self._cond.notify_all()

    def wait_response(self, msg_id: Any, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        with self._cond:
            while msg_id not in self.responses:
                left = deadline - time.monotonic()
                if self.eof or left <= 0:
                    state = "exited" if self.eof else "alive but silent"
                    raise Hang(f"no response to id {msg_id!r} within {timeout}s (server {state})\n{self.stderr_tail()}")
                self._cond.wait(left)
            return self.responses.pop(msg_id)

    # -- input --------------------------------------------------------------------------------------
    def send(self, data: bytes, timeout: float = 20) -> None:
        fd = self._in_fd
        view = memoryview(data)
        deadline = time.monotonic() + timeout
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Hang(f"server stopped reading its input ({len(view)} bytes not taken)\n{self.stderr_tail()}")
            _, writable, _ = select.select([], [fd], [], min(left, 1.0))
            if not writable:
                continue
            try:
                n = os.write(fd, view[:1 << 16])
            except BlockingIOError:
                continue
            except OSError as exc:  # TCP: the server hung up (the pipe's EPIPE is an OSError too)
                raise BrokenPipeError(str(exc)) from exc
            view = view[n:]

    def call(self, method: str, params: Any = None, timeout: float = 10) -> dict:
        msg_id = f"call-{next(self._ids)}"
        self.send(frame(request(msg_id, method, params)))
        return self.wait_response(msg_id, timeout)

    def initialize(self) -> dict:
        reply = self.call("initialize", {"processId": None, "capabilities": {}}, timeout=30)
        self.send(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        return reply

    def probe(self, timeout: float = 10) -> dict:
        """A valid mimo.task.status request; its reply (the first one loads the backend: slower)."""
        msg_id = f"probe-{next(self._ids)}"
        self.send(frame(status_request(msg_id)))
        return self.wait_response(msg_id, timeout)

    # -- lifecycle ----------------------------------------------------------------------------------
    def alive(self) -> bool:
        return self.proc.poll() is None

    def close_input(self) -> None:
        try:
            if self.sock is not None:
                self.sock.shutdown(socket.SHUT_WR)
            elif self.proc.stdin is not None:
                self.proc.stdin.close()
        except OSError:
            pass

    def wait_exit(self, timeout: float = 10) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise Hang(f"server did not exit within {timeout}s\n{self.stderr_tail()}") from None

    def stderr_text(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")

    def stderr_tail(self, n: int = 3000) -> str:
        return "--- server stderr (tail) ---\n" + self.stderr_text()[-n:]

    def stop(self, polite: bool = True) -> int | None:
        """shutdown + exit if it still runs; kill if it will not go. Returns the exit code."""
        if self.alive() and not polite:
            self.proc.kill()
            self.proc.wait(10)
        if self.alive():
            try:
                self.call("shutdown", timeout=5)
                self.send(frame({"jsonrpc": "2.0", "method": "exit"}), timeout=5)
            except (Hang, OSError):
                pass
            self.close_input()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.close_input()
        if self.sock is not None:
            self.sock.close()
        self._stderr.close()
        code = self.proc.returncode
        if self._tmp is not None:
            self._tmp.cleanup()
        return code

    def __enter__(self) -> "RawServer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
