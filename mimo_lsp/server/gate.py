"""The Gate: checks each frame before pygls sees it and answers, as JSON-RPC asks, what pygls would drop
or misreport (invalid JSON, wrong shapes, too deep, params that do not fit, requests after shutdown).

See server/limits.py for the whole hardening story; framing.py cuts the byte stream into frames.
"""

from __future__ import annotations

import json
import logging
import re
from typing import TYPE_CHECKING, Any

from lsprotocol.types import EXIT, SHUTDOWN

from .framing import Complaints, Frame, Framer, resume_point

if TYPE_CHECKING:
    from .limits import Limits

log = logging.getLogger("mimo_lsp.server.limits")  # one logger for the whole transport hardening

PARSE_ERROR, INVALID_REQUEST, INVALID_PARAMS, INTERNAL_ERROR = -32700, -32600, -32602, -32603

_TOP_ID = re.compile(rb'(?<!\\)"id"\s*:\s*(-?\d{1,18}(?![\d.eE])|"(?:[^"\\\x00-\x1f]|\\.){0,256}")')


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


class Gate:
    """Checks each frame before pygls sees it and answers what pygls would drop or misreport."""

    def __init__(self, protocol: Any, limits: Limits, complain: Complaints) -> None:
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
