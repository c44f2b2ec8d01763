"""Hostile-input hardening of the JSON-RPC transport.

pygls' own read loop (`pygls.io_.run_async`) trusts its peer: a `Content-Length` that lies leaves it
out of step for good (a body without a trailing newline glues onto the next header line, which then
never matches), a huge `Content-Length` makes `read(n)` allocate n bytes up front (MemoryError kills
the loop), a request whose params do not fit the LSP types is logged and never answered, and requests
after `shutdown` are dropped silently, so the client waits forever.

This module replaces that loop (not pygls' protocol): `serve_stdio` / `serve_tcp` stand in for
`server.start_io` / `server.start_tcp` and feed `protocol.handle_message` only well-formed messages.

* Framing: headers are parsed from a bounded buffer. Garbage before a header is skipped; a header
  block without a usable `Content-Length` is skipped. A raw ``Content-Length: N<newline>`` inside a
  body cannot be valid JSON (JSON strings cannot hold a raw newline), so finding one while a body is
  still arriving means the previous length lied: that frame is answered as a parse error and reading
  resumes at the header found. A body that fails to parse is searched for a header the same way.
* Limits: a body over `max_message_bytes` is drained without being stored (while watching for a
  header, as above) and answered with InvalidRequest (-32600) under the id found at its start. More
  than 4x the limit drained with no end or header in sight, or more than `max_message_bytes` of
  consecutive garbage, cannot be resynchronised: the connection is closed with one log line and the
  process exits 1. JSON nested deeper than `max_json_depth` is refused with InvalidRequest.
* Messages: invalid JSON answers ParseError (-32700); a non-object, a wrong `jsonrpc`, an id that
  is not an integer or a string, a non-string method answer InvalidRequest; params that do not fit
  the method's LSP type answer InvalidParams (-32602) instead of no answer; requests after
  `shutdown` answer InvalidRequest, as the LSP specification asks.

Limits come from `--max-message-bytes` / `--max-json-depth` or the environment variables
`MIMO_LSP_MAX_MESSAGE_BYTES` / `MIMO_LSP_MAX_JSON_DEPTH` (flags win). Everything is logged to the
logging system (stderr), never to stdout, which is the LSP channel.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sys
import threading
from dataclasses import dataclass
from typing import Any, Awaitable, BinaryIO, Callable, Mapping

from lsprotocol.types import EXIT, SHUTDOWN
from pygls.io_ import StdoutWriter

log = logging.getLogger("mimo_lsp.server.limits")

DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024
DEFAULT_MAX_JSON_DEPTH = 64
ENV_MAX_MESSAGE_BYTES = "MIMO_LSP_MAX_MESSAGE_BYTES"
ENV_MAX_JSON_DEPTH = "MIMO_LSP_MAX_JSON_DEPTH"
MAX_HEADER_BYTES = 8192  # one header block; real ones are < 100 bytes
DRAIN_FACTOR = 4  # an oversized body is drained up to this many times the limit; beyond, we hang up
CHUNK = 64 * 1024

PARSE_ERROR, INVALID_REQUEST, INVALID_PARAMS, INTERNAL_ERROR = -32700, -32600, -32602, -32603

_HEADER = re.compile(rb"content-length[ \t]*:", re.IGNORECASE)
# A complete header line inside a body. Case-sensitive on purpose: it is scanned over whole bodies.
_EMBEDDED = re.compile(rb"Content-Length[ \t]*:[ \t]*\d+[ \t]*\r?\n")
_END_OF_HEADERS = re.compile(rb"\r?\n\r?\n")
_TOP_ID = re.compile(rb'(?<!\\)"id"\s*:\s*(-?\d{1,18}(?![\d.eE])|"(?:[^"\\\x00-\x1f]|\\.){0,256}")')
_SIZE = re.compile(r"(\d+)\s*([kmg]?)(i?b)?", re.IGNORECASE)


@dataclass(frozen=True)
class Limits:
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    max_json_depth: int = DEFAULT_MAX_JSON_DEPTH

    def __post_init__(self) -> None:
        if self.max_message_bytes < 1 or self.max_json_depth < 1:
            raise ValueError("payload limits must be positive")

    @classmethod
    def resolve(cls, max_message_bytes: str | int | None = None, max_json_depth: str | int | None = None,
                env: Mapping[str, str] | None = None) -> "Limits":
        """Flags first, then the environment, then the defaults. Raises ValueError on a bad value."""
        env = os.environ if env is None else env
        size = max_message_bytes if max_message_bytes is not None else env.get(ENV_MAX_MESSAGE_BYTES)
        depth = max_json_depth if max_json_depth is not None else env.get(ENV_MAX_JSON_DEPTH)
        return cls(parse_size(size) if size not in (None, "") else DEFAULT_MAX_MESSAGE_BYTES,
                   _positive_int(depth, "max JSON depth") if depth not in (None, "") else DEFAULT_MAX_JSON_DEPTH)


def parse_size(value: str | int) -> int:
    """`1048576`, `512k`, `16M`, `16MiB`, `1G` (binary units)."""
    m = _SIZE.fullmatch(str(value).strip())
    if not m or int(m.group(1)) < 1:
        raise ValueError(f"invalid size {value!r}: expected a positive number of bytes, e.g. 16777216 or 16MiB")
    return int(m.group(1)) * {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[m.group(2).lower()]


def _positive_int(value: str | int, what: str) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = 0
    if n < 1:
        raise ValueError(f"invalid {what} {value!r}: expected a positive integer")
    return n


def sniff_id(head: bytes) -> int | str | None:
    """The top-level request id of a message that could not be parsed, if its start shows one.

    Only the part before the first nested object or array is searched, so an "id" inside params is
    never taken for the request's.
    """
    head = head[:4096]
    start = head.find(b"{")
    if start < 0:
        return None
    nested = re.search(rb"[\[{]", head[start + 1:])
    m = _TOP_ID.search(head, start, start + 1 + nested.start() if nested else len(head))
    if not m:
        return None
    try:
        value = json.loads(m.group(1))
    except ValueError:
        return None
    return value if isinstance(value, (int, str)) else None


def resume_point(data: bytes) -> int | None:
    """Where, in bytes that are not a valid body, the next message's header starts: at a
    `Content-Length:` or at a piece of one that the end of `data` cut (`...Content-Le`)."""
    m = _HEADER.search(data)
    if m is not None:
        return m.start()
    name = b"content-length:"
    tail = data[-len(name):].lower()
    for k in range(len(tail), 0, -1):
        if name.startswith(tail[-k:]):
            return len(data) - k
    return None


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """Whether containers nest deeper than `limit` (the message object itself is level 1). Iterative."""
    stack = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
    return False


class Unrecoverable(Exception):
    """The byte stream cannot be put back in step: the connection must be closed."""


class _Complaints:
    """One warning line per bad input, thinned out after the first hundred (no log flood)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, fmt: str, *args: Any) -> None:
        self.count += 1
        if self.count <= 100 or self.count % 1000 == 0:
            log.warning(fmt + " [bad input #%d]", *args, self.count)
        if self.count == 100:
            log.warning("more bad input will be logged 1 time in 1000")


@dataclass
class Frame:
    kind: str  # "body" (complete), "cut" (a later header cut it short), "oversize" (drained)
    data: bytes  # the body, or its first bytes for "cut" / "oversize"
    declared: int


class Framer:
    """LSP base-protocol framing over a chunk source, with resynchronisation and bounded buffers."""

    def __init__(self, read_chunk: Callable[[], Awaitable[bytes]], limits: Limits, complain: _Complaints) -> None:
        self._read = read_chunk
        self._limits = limits
        self._complain = complain
        self._buf = bytearray()
        self._eof = False
        self._garbage = 0  # consecutive bytes skipped without finding a frame

    async def _fill(self) -> bool:
        if self._eof:
            return False
        chunk = await self._read()
        if not chunk:
            self._eof = True
            return False
        self._buf += chunk
        return True

    def unread(self, data: bytes) -> None:
        self._buf[:0] = data

    def _skip(self, n: int, why: str) -> None:
        del self._buf[:n]
        self._garbage += n
        self._complain("skipped %d bytes: %s", n, why)
        if self._garbage > self._limits.max_message_bytes:
            raise Unrecoverable(f"{self._garbage} bytes without a valid frame header")

    async def next_frame(self) -> Frame | None:
        """The next frame, or None at the end of the stream. Raises Unrecoverable."""
        while True:
            length = await self._header()
            if length is None:
                return None
            frame = await self._body(length)
            if frame is None:
                self._complain("stream ended inside a frame (Content-Length %d)", length)
                return None
            self._garbage = 0
            return frame

    async def _header(self) -> int | None:
        while True:
            buf = self._buf
            end = _END_OF_HEADERS.search(buf, 0, MAX_HEADER_BYTES + 4)
            if end is None:
                if len(buf) > MAX_HEADER_BYTES:
                    # A header block ends within MAX_HEADER_BYTES of its start: skip to the first header
                    # that could still be complete, or keep only a tail that might begin one.
                    later = _END_OF_HEADERS.search(buf)
                    m = _HEADER.search(buf, max(1, (later.start() if later else len(buf)) - MAX_HEADER_BYTES))
                    self._skip(m.start() if m else len(buf) - 32, "no end of headers")
                    continue
                if not await self._fill():
                    if buf.strip():
                        self._complain("stream ended after %d bytes that are not a frame", len(buf))
                    return None
                continue
            block = bytes(buf[:end.start()])
            consumed = end.end()
            length: int | None = None
            value = b""
            junk = 0
            last = None
            for last in _HEADER.finditer(block):  # the last one wins: it is the one next to the body
                pass
            if last is not None:
                value = block[last.end():].split(b"\n", 1)[0].strip()
                length = int(value) if value.isdigit() and len(value) <= 18 else None
                *lines, partial = block[:last.start()].split(b"\n")
                junk = len(partial) + sum(len(x) + 1 for x in lines if x.strip() and b":" not in x)
            if length is None:
                self._skip(consumed, f"header block without a valid Content-Length ({value[:40]!r})"
                           if value else "header block without Content-Length")
                continue
            del buf[:consumed]
            if junk:
                self._complain("skipped %d bytes of garbage before a header", junk)
            return length

    async def _body(self, length: int) -> Frame | None:
        buf = self._buf
        if length <= self._limits.max_message_bytes:
            scanned = 0
            while len(buf) < length:
                m = _EMBEDDED.search(buf, max(0, scanned - 64))
                if m is not None:  # a header where body bytes should be: the length lied
                    cut = bytes(buf[:m.start()])
                    del buf[:m.start()]
                    return Frame("cut", cut, length)
                scanned = len(buf)
                if not await self._fill():
                    return None
            body = bytes(buf[:length])
            del buf[:length]
            return Frame("body", body, length)
        # Oversized: drain without storing, keeping the head (for the id) and watching for a header.
        head = b""
        tail = b""
        left = length
        while left:
            drained = length - left
            if drained > DRAIN_FACTOR * self._limits.max_message_bytes:
                raise Unrecoverable(f"drained {drained} bytes of a {length}-byte message (limit "
                                    f"{self._limits.max_message_bytes}) without reaching its end or another header")
            if not buf and not await self._fill():
                return None
            take = min(left, len(buf))
            window = tail + bytes(buf[:take])
            m = _EMBEDDED.search(window)
            at = take if m is None else max(0, m.start() - len(tail))
            if len(head) < 4096:
                head += bytes(buf[:min(at, 4096 - len(head))])
            if m is not None:  # the length lied: read on from the header found
                if m.start() < len(tail):
                    self.unread(tail[m.start():])
                else:
                    del buf[:at]
                return Frame("oversize", head, length)
            del buf[:take]
            left -= take
            tail = window[-64:]
        at = resume_point(tail)
        if at is not None:  # the length ended inside the next message's header
            self.unread(tail[at:])
        return Frame("oversize", head, length)


class Gate:
    """Checks each frame before pygls sees it and answers what pygls would drop or misreport."""

    def __init__(self, protocol: Any, limits: Limits, complain: _Complaints) -> None:
        self.protocol = protocol
        self.limits = limits
        self.complain = complain
        self.shutdown_requested = False

    def reply_error(self, msg_id: int | str | None, code: int, message: str) -> None:
        # A plain dict: lsprotocol's converter would drop `"id": null`, which JSON-RPC requires here.
        self.protocol._send_data({"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message[:1000]}})

    def frame(self, frame: Frame, framer: Framer) -> None:
        if frame.kind == "oversize":
            self.complain("message of %d bytes over the limit of %d", frame.declared, self.limits.max_message_bytes)
            self.reply_error(sniff_id(frame.data), INVALID_REQUEST,
                             f"message of {frame.declared} bytes exceeds the server's limit of "
                             f"{self.limits.max_message_bytes} bytes (--max-message-bytes)")
            return
        if frame.kind == "cut":
            self.complain("frame cut short: Content-Length %d, next header after %d bytes",
                          frame.declared, len(frame.data))
            self.reply_error(sniff_id(frame.data), PARSE_ERROR,
                             f"Parse error: Content-Length {frame.declared} runs into the next message "
                             f"after {len(frame.data)} bytes")
            return
        try:
            message = json.loads(frame.data.decode("utf-8"))
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            deep = isinstance(exc, RecursionError)
            self.complain("%s (%d bytes)", "JSON too deeply nested" if deep else f"invalid JSON: {exc}",
                          len(frame.data))
            if deep:
                self.reply_error(sniff_id(frame.data), INVALID_REQUEST, self._too_deep())
            else:
                at = resume_point(frame.data)
                if at is not None:  # the length ran into the next message: read on from its header
                    framer.unread(frame.data[at:])
                self.reply_error(sniff_id(frame.data[:at]), PARSE_ERROR, f"Parse error: {exc}")
            return
        self.message(message)

    def _too_deep(self) -> str:
        return f"JSON nested deeper than {self.limits.max_json_depth} levels (--max-json-depth)"

    def message(self, message: Any) -> None:
        if not isinstance(message, dict):
            self.complain("not a JSON object: %s", type(message).__name__)
            self.reply_error(None, INVALID_REQUEST, "Invalid Request: expected a JSON object (batches are not supported)")
            return
        has_id = "id" in message
        msg_id = message.get("id")
        id_ok = isinstance(msg_id, (int, str)) and not isinstance(msg_id, bool)
        reply_to = msg_id if id_ok else None
        method = message.get("method")
        if "method" in message and not has_id:
            kind = "notification"
        elif "method" in message:
            kind = "request"
        else:
            kind = "response"

        problem = None
        if message.get("jsonrpc") != "2.0":
            problem = 'Invalid Request: "jsonrpc" must be "2.0"'
        elif has_id and not id_ok:
            problem = "Invalid Request: id must be an integer or a string"
        elif "method" in message and not isinstance(method, str):
            problem = "Invalid Request: method must be a string"
        elif kind == "response" and not has_id:
            problem = "Invalid Request: neither a request, a notification nor a response"
        elif json_depth_exceeds(message, self.limits.max_json_depth):
            problem = self._too_deep()
        if problem:
            self.complain("%s (%s %r)", problem, kind, method if isinstance(method, str) else None)
            # Notifications and responses get no reply; an object that is neither gets one (id null).
            if kind == "request" or (kind == "response" and "result" not in message and "error" not in message):
                self.reply_error(reply_to, INVALID_REQUEST, problem)
            return

        if self.shutdown_requested and kind != "response" and method != EXIT:
            self.complain("%s %r after shutdown", kind, method)
            if kind == "request":
                self.reply_error(msg_id, INVALID_REQUEST, f"Invalid Request: the server is shutting down ({method!r} "
                                 "after 'shutdown')")
            return

        if kind != "response" and "params" not in message:  # JSON-RPC lets params be left out
            message["params"] = None
        try:
            structured = self.protocol.structure_message(message)
        except Exception as exc:
            reason = _structure_reason(exc)
            self.complain("%s %r does not fit its type: %s", kind, method, reason)
            if kind == "request":
                self.reply_error(msg_id, INVALID_PARAMS, f"Invalid params for {method!r}: {reason}")
            return
        if kind == "request" and not hasattr(structured, "id"):
            self.complain("notification %r sent as a request", method)
            self.reply_error(msg_id, INVALID_REQUEST, f"Invalid Request: {method!r} is a notification, not a request")
            return

        try:
            self.protocol.handle_message(structured)
        except Exception:  # SystemExit (the `exit` notification) goes through
            log.exception("could not handle %s %r", kind, method)
            if kind == "request":
                self.reply_error(msg_id, INTERNAL_ERROR, f"Internal error handling {method!r}")
            return
        if kind == "request" and method == SHUTDOWN:
            self.shutdown_requested = True


def _structure_reason(exc: Exception) -> str:
    cause = exc.__cause__ or exc
    try:
        from cattrs import transform_error

        lines = transform_error(cause)  # type: ignore[arg-type]
    except Exception:
        lines = [str(cause) or type(cause).__name__]
    return "; ".join(lines[:3])[:500]


class _QuietDeserializeErrors(logging.Filter):
    """pygls logs a full traceback per message it cannot structure; the Gate logs one line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Unable to deserialize message")


_quiet = _QuietDeserializeErrors()


async def run_hardened(protocol: Any, read_chunk: Callable[[], Awaitable[bytes]], limits: Limits) -> int:
    """Read, check and dispatch messages until the stream ends (0) or cannot be resynchronised (1).

    The `exit` notification raises SystemExit from pygls' handler; it is not caught here.
    """
    logging.getLogger("pygls.protocol.json_rpc").addFilter(_quiet)
    complain = _Complaints()
    framer = Framer(read_chunk, limits, complain)
    gate = Gate(protocol, limits, complain)
    while True:
        try:
            frame = await framer.next_frame()
        except Unrecoverable as exc:
            log.error("closing the connection: cannot resynchronise the JSON-RPC stream: %s", exc)
            return 1
        if frame is None:
            log.info("client closed the stream")
            return 0
        try:
            gate.frame(frame, framer)
        except ConnectionError as exc:  # the client's end is gone (broken pipe, reset socket)
            log.error("cannot answer the client: %s", exc)
            return 0
        except Exception:  # a bug here must cost one message, not the server
            log.exception("dropped a %d-byte message after an internal error", frame.declared)


def _thread_reader(stream: BinaryIO) -> Callable[[], Awaitable[bytes]]:
    """Chunks from a blocking stream, read by a daemon thread (it never holds up interpreter exit)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=8)
    try:  # the raw fd: a daemon thread blocked inside a BufferedReader aborts interpreter shutdown
        fd = stream.fileno()
        read: Callable[[int], bytes] = lambda n: os.read(fd, n)
    except (AttributeError, OSError, ValueError):
        read = getattr(stream, "read1", None) or stream.read

    def pump() -> None:
        while True:
            try:
                data = read(CHUNK)
            except (OSError, ValueError):
                data = b""
            try:
                asyncio.run_coroutine_threadsafe(queue.put(data), loop).result()
            except Exception:  # the loop is gone
                return
            if not data:
                return

    threading.Thread(target=pump, name="mimo-lsp-stdin", daemon=True).start()
    return queue.get


def serve_stdio(server: Any, limits: Limits, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> int:
    """`server.start_io` with the hardened read loop. Returns the process exit code."""
    server.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))

    async def main() -> int:
        return await run_hardened(server.protocol, _thread_reader(stdin or sys.stdin.buffer), limits)

    code = 0
    try:
        code = asyncio.run(main())
    except BrokenPipeError:
        log.error("connection to the client is lost; shutting down")
    except KeyboardInterrupt:
        pass
    except SystemExit as exc:  # `exit`: 0 after `shutdown`, 1 otherwise (pygls decides)
        code = exc.code if isinstance(exc.code, int) else 0
    finally:
        server.shutdown()
    return code


def serve_tcp(server: Any, host: str, port: int, limits: Limits) -> int:
    """`server.start_tcp` with the hardened read loop (one client, like pygls)."""

    async def main() -> int:
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            server.protocol.set_writer(writer)
            try:
                code = await run_hardened(server.protocol, lambda: reader.read(CHUNK), limits)
            except (ConnectionError, SystemExit) as exc:
                code = exc.code if isinstance(exc, SystemExit) and isinstance(exc.code, int) else 0
            writer.close()
            if not done.done():
                done.set_result(code)

        tcp = await asyncio.start_server(connection, host, port)
        log.info("serving on %s", ", ".join(str(s.getsockname()) for s in tcp.sockets))
        async with tcp:
            return await done

    try:
        return asyncio.run(main())
    except KeyboardInterrupt:
        return 0
    finally:
        server.shutdown()
