"""Hostile JSON-RPC input against the real server process, one class of bad input per test.

After each, a valid request still gets its answer; where the stream cannot be put back in step, the
process exits 1 within seconds with one log line. Every wait has a deadline (harness.RawServer).
"""

from __future__ import annotations

import json
import os
import time

import pytest

from .harness import CLEAN_CLOSE, RawServer, frame, request, status_request

pytestmark = pytest.mark.timeout(120)

LIMIT = 1 << 20  # the shared server runs with --max-message-bytes 1MiB
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602

_shared: RawServer | None = None


@pytest.fixture(scope="module", autouse=True)
def _shared_server():
    yield
    global _shared
    if _shared is not None:
        _shared.stop()
        _shared = None


@pytest.fixture
def srv() -> RawServer:
    """One initialized server for the recoverable cases (a new one if an earlier test killed it)."""
    global _shared
    if _shared is None or not _shared.alive():
        _shared = RawServer("--max-message-bytes", "1MiB")
        _shared.initialize()
        assert "tasks" in _shared.probe(timeout=60)["result"]
    _shared.null_id_errors.clear()
    return _shared


def answered(srv: RawServer) -> None:
    """The server still answers a valid request, promptly."""
    reply = srv.probe(timeout=10)
    assert reply["result"]["tasks"] == [], reply
    assert srv.alive()


def error_of(reply: dict) -> int:
    assert "error" in reply, reply
    return reply["error"]["code"]


def wait_null_errors(srv: RawServer, n: int, timeout: float = 10) -> list[dict]:
    deadline = time.monotonic() + timeout
    while len(srv.null_id_errors) < n and time.monotonic() < deadline:
        time.sleep(0.02)
    return srv.null_id_errors


# -- framing --------------------------------------------------------------------------------------

def test_invalid_json_answers_parse_error(srv):
    srv.send(frame("{this is not json") + frame('{"jsonrpc": "2.0", "id": 7, "method": "x", "params": {'))
    assert error_of(srv.wait_response(7)) == PARSE_ERROR  # id read from the start of the broken body
    assert [e["error"]["code"] for e in wait_null_errors(srv, 1)] == [PARSE_ERROR]
    answered(srv)


def test_invalid_utf8_and_empty_bodies(srv):
    srv.send(frame(b'{"jsonrpc": "2.0", "id": 8, "method": "\xff\xfe"}') + frame(b"") + frame(b"\xef\xbb\xbf{}"))
    assert error_of(srv.wait_response(8)) == PARSE_ERROR
    assert all(e["error"]["code"] == PARSE_ERROR for e in wait_null_errors(srv, 2))
    answered(srv)


def test_missing_content_length_is_skipped(srv):
    body = json.dumps(status_request(9)).encode()
    srv.send(b"Content-Type: application/vscode-jsonrpc\r\n\r\n" + body)
    srv.send(b"\r\n\r\n\r\n" + body)  # blank header blocks
    answered(srv)
    assert 9 not in srv.responses


@pytest.mark.parametrize("value", [b"abc", b"-5", b"1e3", b"9" * 5000, b"", b"0x10", b"12 34"])
def test_bad_content_length_values_are_skipped(srv, value):
    srv.send(b"Content-Length: " + value + b"\r\n\r\n" + json.dumps(status_request(10)).encode())
    answered(srv)


def test_content_length_too_short(srv):
    body = json.dumps(status_request(11)).encode()
    srv.send(frame(body, length=len(body) - 10))
    assert error_of(srv.wait_response(11)) == PARSE_ERROR
    answered(srv)


def test_content_length_too_long_resyncs_at_next_header(srv):
    body = json.dumps(status_request(12)).encode()
    srv.send(frame(body, length=len(body) + 5000))  # would swallow what follows, and nothing more comes
    answered(srv)  # the probe's header, found inside the "body", restarts framing
    assert error_of(srv.wait_response(12)) == PARSE_ERROR


def test_content_length_ending_inside_next_header(srv):
    nxt = frame(status_request("after"))
    body = json.dumps(status_request(13)).encode()
    for cut in (3, 10, 16, 20):  # the declared length ends inside "Content-Length: NNN\r\n\r\n"
        srv.send(frame(body, length=len(body) + cut) + nxt)
        assert srv.wait_response("after")["result"]["tasks"] == []
    answered(srv)


def test_garbage_between_frames(srv):
    rnd = os.urandom(4096).replace(b"\n", b"").replace(b"\r", b"")
    srv.send(rnd + frame(status_request(14)) + b"\r\n\r\nnoise\r\nContent-Type: x\r\n\r\n" + rnd[:100])
    assert srv.wait_response(14)["result"]["tasks"] == []
    srv.send(os.urandom(20000))  # with newlines and blank lines: any bytes at all
    answered(srv)


def test_header_without_blank_line_glued_to_next_frame(srv):
    srv.send(b"Content-Length: 10\r\nX-Whatever: 1\r\n")  # never finished
    srv.send(b"content-length:   77 \n\n")  # lower case, spaces, bare LF: tolerated
    srv.send(frame(status_request(15)))
    assert srv.wait_response(15)["result"]["tasks"] == []
    answered(srv)


def test_frame_split_into_single_bytes(srv):
    for b in frame(status_request(16)):
        srv.send(bytes([b]))
    assert srv.wait_response(16)["result"]["tasks"] == []


# -- size and depth limits ------------------------------------------------------------------------

def test_oversized_message_is_drained_and_answered(srv):
    big = request(17, "workspace/executeCommand", {"command": "mimo.task.status", "arguments": [{"x": "a" * (LIMIT + 10)}]})
    srv.send(frame(big))
    reply = srv.wait_response(17)
    assert error_of(reply) == INVALID_REQUEST and "exceeds the server's limit" in reply["error"]["message"]
    answered(srv)


def test_oversized_length_that_lies_resyncs(srv):
    srv.send(frame(json.dumps(status_request(18)), length=3 * LIMIT))  # 3x the limit, short body: the drain stops at the next header
    answered(srv)
    assert error_of(srv.wait_response(18)) == INVALID_REQUEST


def test_large_message_within_limit_is_fine(srv):
    text = "x = 1\n" * ((LIMIT - 2000) // 6)
    srv.send(frame({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": "file:///tmp/big.py", "languageId": "python", "version": 1, "text": text}}}))
    answered(srv)


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_deep_nesting_is_refused(srv):
    def msg(msg_id, depth):  # the message object is level 1, params 2, arguments 3
        return ('{"jsonrpc": "2.0", "id": %d, "method": "workspace/executeCommand", "params": '
                '{"command": "mimo.task.status", "arguments": %s}}' % (msg_id, _nested(depth - 2)))
    srv.send(frame(msg(19, 65)))
    reply = srv.wait_response(19)
    assert error_of(reply) == INVALID_REQUEST and "nested deeper than 64" in reply["error"]["message"]
    srv.send(frame(msg(20, 64)))
    assert error_of(srv.wait_response(20)) == INVALID_PARAMS  # past the transport; the command refuses it
    srv.send(frame(msg(21, 200_000)))  # past Python's recursion limit
    assert error_of(srv.wait_response(21)) == INVALID_REQUEST
    srv.send(frame(_nested(500_000)) + frame("{" * 100_000))
    assert len(wait_null_errors(srv, 2)) == 2
    answered(srv)


# -- wrong types and shapes -----------------------------------------------------------------------

@pytest.mark.parametrize("msg, reply_id, code", [
    ({"jsonrpc": "2.0", "id": True, "method": "shutdown"}, None, INVALID_REQUEST),
    ({"jsonrpc": "2.0", "id": 1.5, "method": "shutdown"}, None, INVALID_REQUEST),
    ({"jsonrpc": "2.0", "id": {"a": 1}, "method": "shutdown"}, None, INVALID_REQUEST),
    ({"jsonrpc": "2.0", "id": None, "method": "shutdown"}, None, INVALID_REQUEST),
    ({"jsonrpc": "2.0", "id": 31, "method": 42}, 31, INVALID_REQUEST),
    ({"jsonrpc": "1.0", "id": 32, "method": "shutdown"}, 32, INVALID_REQUEST),
    ({"id": 33, "method": "shutdown"}, 33, INVALID_REQUEST),
    ({"jsonrpc": "2.0", "id": 34, "method": "initialize", "params": {"capabilities": 5}}, 34, INVALID_PARAMS),
    ({"jsonrpc": "2.0", "id": 35, "method": "initialize", "params": [1, 2]}, 35, INVALID_PARAMS),
    ({"jsonrpc": "2.0", "id": 36, "method": "workspace/executeCommand", "params": "mimo.task.status"}, 36, INVALID_PARAMS),
    ({"jsonrpc": "2.0", "id": 37, "method": "workspace/executeCommand", "params": {"command": 42}}, 37, INVALID_PARAMS),
    ({"jsonrpc": "2.0", "id": 38, "method": "textDocument/hover", "params": None}, 38, INVALID_PARAMS),
    ({"jsonrpc": "2.0", "id": 43, "method": "textDocument/hover", "params": {
        "textDocument": {"uri": "file:///x.py"}, "position": {"line": 0, "character": 0}}}, 43, METHOD_NOT_FOUND),
    ({"jsonrpc": "2.0", "id": 39, "method": "initialized", "params": {}}, 39, INVALID_REQUEST),
    ({"jsonrpc": "2.0", "id": 40, "method": "exit"}, 40, INVALID_REQUEST),
    ({"jsonrpc": "2.0"}, None, INVALID_REQUEST),
    ([status_request(41), status_request(42)], None, INVALID_REQUEST),
    ("just a string", None, INVALID_REQUEST),
    (12345, None, INVALID_REQUEST),
])
def test_wrong_types_get_json_rpc_errors(srv, msg, reply_id, code):
    srv.send(frame(json.dumps(msg)))
    if reply_id is None:
        errors = wait_null_errors(srv, 1)
        assert [e["error"]["code"] for e in errors] == [code]
    else:
        assert error_of(srv.wait_response(reply_id)) == code
    answered(srv)


def test_bad_notifications_and_client_responses_are_dropped(srv):
    for msg in [
        {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": 5}},
        {"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": "file:///nope", "version": 1},
                                                                          "contentChanges": [{"text": "x"}]}},
        {"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": [1]}},
        {"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": "probe-999"}},
        {"jsonrpc": "2.0", "method": "initialize"},  # a request without an id
        {"jsonrpc": "2.0", "id": 99, "result": {"x": 1}},  # a response to nothing
        {"jsonrpc": "2.0", "id": 98, "error": "not an error object"},
        {"jsonrpc": "2.0", "id": 97, "error": {"code": "x"}},
        {"jsonrpc": "1.0", "id": 96, "result": 1},
        {"jsonrpc": "2.0", "id": [96], "result": 1},
    ]:
        srv.send(frame(msg))
    answered(srv)
    assert not srv.null_id_errors and not {96, 97, 98, 99} & srv.responses.keys()  # never answer a response


def test_unknown_methods(srv):
    srv.send(frame(request(50, "mimo/doesNotExist", {})) + frame(request(51, "$/custom", [1, 2]))
             + frame({"jsonrpc": "2.0", "method": "no/such/notification", "params": {"a": 1}})
             + frame({"jsonrpc": "2.0", "method": "$/ignoredNotification"})
             + frame(request(52, "", None)) + frame(request(53, "\u0000\ud7ff" * 100, None)))
    for msg_id in (50, 51, 52, 53):
        assert error_of(srv.wait_response(msg_id)) == METHOD_NOT_FOUND
    answered(srv)


def test_real_commands_with_wrong_arguments(srv):
    for i, args in enumerate([[], [1], ["x"], [None, None], [{"taskId": 5}], [[{}]], [{"workspace": 7}]]):
        srv.send(frame(request(60 + i, "workspace/executeCommand", {"command": "mimo.task.status", "arguments": args})))
    for i in range(7):
        reply = srv.wait_response(60 + i)
        assert "result" in reply or error_of(reply) == INVALID_PARAMS
    answered(srv)


def test_no_traceback_flood(srv):
    """Bad input is logged one line at a time: no tracebacks for transport-level problems."""
    before = srv.stderr_text().count("Traceback")
    srv.send(b"".join(frame(f'{{"bad json {i}') for i in range(200)) + os.urandom(5000))
    answered(srv)
    assert srv.stderr_text().count("Traceback") == before


# -- lifecycle ------------------------------------------------------------------------------------

def test_requests_after_shutdown_get_invalid_request():
    with RawServer() as s:
        s.initialize()
        assert "result" in s.call("shutdown")
        reply = s.probe()
        assert error_of(reply) == INVALID_REQUEST and "shutting down" in reply["error"]["message"]
        s.send(frame({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {}}))  # dropped
        assert error_of(s.call("shutdown")) == INVALID_REQUEST
        s.send(frame({"jsonrpc": "2.0", "method": "exit"}))
        assert s.wait_exit(10) == 0


def test_exit_without_shutdown_exits_1():
    with RawServer() as s:
        s.initialize()
        s.send(frame({"jsonrpc": "2.0", "method": "exit"}))
        assert s.wait_exit(10) == 1


def test_eof_in_the_middle_of_a_frame_exits_cleanly():
    with RawServer() as s:
        s.initialize()
        s.send(b"Content-Length: 500\r\n\r\n{\"jsonrpc\": ")
        s.close_input()
        assert s.wait_exit(10) == 0
        assert "Traceback" not in s.stderr_text()


# -- unrecoverable: a clean hang-up, never a spin or a hang -------------------------------------

def test_absurd_content_length_is_drained_until_the_next_header():
    with RawServer("--max-message-bytes", "64KiB") as s:
        s.initialize()
        s.send(b"Content-Length: 999999999999999999\r\n\r\n{\"jsonrpc\": \"2.0\", \"id\": 90, ")
        answered(s)  # the probe's header ends the drain
        assert error_of(s.wait_response(90)) == INVALID_REQUEST


def test_oversized_message_past_the_drain_limit_hangs_up():
    with RawServer("--max-message-bytes", "64KiB") as s:
        s.initialize()
        t0 = time.monotonic()
        try:  # 5x the limit: drained up to 4x, then the server hangs up
            s.send(frame(request(91, "x", {"text": "a" * (5 << 16)})), timeout=10)
        except OSError:
            pass
        assert s.wait_exit(10) == 1
        assert time.monotonic() - t0 < 5
        err = s.stderr_text()
        assert CLEAN_CLOSE in err and "Traceback" not in err


def test_endless_garbage_hangs_up():
    with RawServer("--max-message-bytes", "64KiB") as s:
        s.initialize()
        garbage = os.urandom(1 << 20).replace(b"t", b"x").replace(b"T", b"x")  # no "Content-Length:" forms
        try:
            s.send(garbage, timeout=10)
        except (BrokenPipeError, OSError):
            pass  # it hung up while we were still writing
        assert s.wait_exit(10) == 1
        err = s.stderr_text()
        assert CLEAN_CLOSE in err and "Traceback" not in err
        assert err.count("\n") < 200  # thinned-out complaints, not one line per chunk


# -- configuration --------------------------------------------------------------------------------

def test_limits_from_environment_and_flags():
    with RawServer(env={"MIMO_LSP_MAX_MESSAGE_BYTES": "4096", "MIMO_LSP_MAX_JSON_DEPTH": "8"}) as s:
        s.initialize()
        s.send(frame(request(70, "workspace/executeCommand", {"command": "mimo.task.status", "arguments": ["x" * 5000]})))
        assert "4096" in s.wait_response(70)["error"]["message"]
        s.send(frame(request(71, "workspace/executeCommand", {"command": "mimo.task.status", "arguments": [[[[[[[]]]]]]]})))
        assert "deeper than 8" in s.wait_response(71)["error"]["message"]
        answered(s)
    with RawServer("--max-message-bytes", "8KiB", env={"MIMO_LSP_MAX_MESSAGE_BYTES": "4096"}) as s:  # the flag wins
        s.initialize()
        s.send(frame(request(72, "workspace/executeCommand", {"command": "mimo.task.status", "arguments": ["x" * 5000]})))
        assert error_of(s.wait_response(72)) == INVALID_PARAMS  # past the transport, refused by the command
        answered(s)


@pytest.mark.parametrize("args", [["--max-message-bytes", "lots"], ["--max-json-depth", "0"], ["--max-message-bytes", "-1"]])
def test_bad_limit_values_are_usage_errors(args):
    with RawServer(*args) as s:
        assert s.wait_exit(10) == 2
        assert "invalid" in s.stderr_text()


def test_default_limit_is_16_mib():
    with RawServer() as s:
        s.initialize()
        s.send(frame(request(80, "workspace/executeCommand",
                             {"command": "mimo.task.status", "arguments": [{"x": "a" * (16 << 20)}]})), timeout=60)
        reply = s.wait_response(80, timeout=30)
        assert error_of(reply) == INVALID_REQUEST and str(16 << 20) in reply["error"]["message"]
        answered(s)
