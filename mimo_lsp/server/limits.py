"""Hostile-input hardening of the JSON-RPC transport.

pygls' own read loop (`pygls.io_.run_async`) trusts its peer: a `Content-Length` that lies leaves it
out of step for good (a body without a trailing newline glues onto the next header line, which then
never matches), a huge `Content-Length` makes `read(n)` allocate n bytes up front (MemoryError kills
the loop), a request whose params do not fit the LSP types is logged and never answered, and requests
after `shutdown` are dropped silently, so the client waits forever.

This package replaces that loop (not pygls' protocol): `serve_stdio` / `serve_tcp` stand in for
`server.start_io` / `server.start_tcp` and feed `protocol.handle_message` only well-formed messages.
This module holds the limits and re-exports the pieces, each in its own module:

  framing.py     bytes -> frames (Framer): bounded buffers, resynchronisation, oversized bodies drained
  gate.py        frame -> message checks and the error answers (Gate)
  transport.py   the read loop (run_hardened) and serve_stdio / serve_tcp

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

import os
import re
from dataclasses import dataclass
from typing import Mapping

DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024
DEFAULT_MAX_JSON_DEPTH = 64
ENV_MAX_MESSAGE_BYTES = "MIMO_LSP_MAX_MESSAGE_BYTES"
ENV_MAX_JSON_DEPTH = "MIMO_LSP_MAX_JSON_DEPTH"
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
