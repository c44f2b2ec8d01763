"""LSP base-protocol framing that survives a lying peer: bounded header and body buffers, resynchronisation
on the next `Content-Length:` header, oversized bodies drained without being stored.

See server/limits.py for the whole hardening story; the Gate (gate.py) answers what a frame holds.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Awaitable, Callable

if TYPE_CHECKING:
    from .limits import Limits

log = logging.getLogger("mimo_lsp.server.limits")  # one logger for the whole transport hardening

MAX_HEADER_BYTES = 8192  # one header block; real ones are < 100 bytes
DRAIN_FACTOR = 4  # an oversized body is drained up to this many times the limit; beyond, we hang up

_HEADER = re.compile(rb"content-length[ \t]*:", re.IGNORECASE)
# A complete header line inside a body. Case-sensitive on purpose: it is scanned over whole bodies.
_EMBEDDED = re.compile(rb"Content-Length[ \t]*:[ \t]*\d+[ \t]*\r?\n")
_END_OF_HEADERS = re.compile(rb"\r?\n\r?\n")


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



class Unrecoverable(Exception):
    """The byte stream cannot be put back in step: the connection must be closed."""


class Complaints:
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

    def __init__(self, read_chunk: Callable[[], Awaitable[bytes]], limits: Limits, complain: Complaints) -> None:
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
        resume_at = resume_point(tail)
        if resume_at is not None:  # the length ended inside the next message's header
            self.unread(tail[resume_at:])
        return Frame("oversize", head, length)
