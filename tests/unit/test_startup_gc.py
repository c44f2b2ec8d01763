"""server/startup_gc.py: the collector is off from the start of `mimo-lsp` until its first message is
answered, and back on (start-up's survivors frozen) right after, whatever that message was."""

from __future__ import annotations

import gc
import io
import os
import threading

import pytest

from mimo_lsp.server import startup_gc
from mimo_lsp.server.app import create_server
from mimo_lsp.server.limits import Limits
from mimo_lsp.server.transport import serve_stdio
from tests.security.harness import frame


@pytest.fixture(autouse=True)
def restore_gc():
    yield
    startup_gc._paused = False
    gc.unfreeze()
    gc.enable()


class Recorder(io.RawIOBase):
    """stdout that notes whether the collector was on when each message went out."""

    def __init__(self) -> None:
        self.collector_on: list[bool] = []
        self.data = b""

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:  # type: ignore[override]
        self.collector_on.append(gc.isenabled())
        self.data += bytes(b)
        return len(b)


def serve(messages: list[dict]) -> tuple[Recorder, list[bool]]:
    """Run the real stdio loop on `messages`; returns what it wrote and the collector's state as each
    message was read after the first."""
    read_fd, write_fd = os.pipe()
    states: list[bool] = []
    out = Recorder()

    def feed() -> None:
        with os.fdopen(write_fd, "wb") as w:
            for m in messages:
                w.write(frame(m))
                w.flush()

    threading.Thread(target=feed, daemon=True).start()
    server = create_server()
    original = server.protocol.handle_message

    def watch(message):
        states.append(gc.isenabled())
        return original(message)

    server.protocol.handle_message = watch  # type: ignore[method-assign]
    with os.fdopen(read_fd, "rb") as stdin:
        serve_stdio(server, Limits.resolve(None, None), stdin, out)  # type: ignore[arg-type]
    return out, states


INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"processId": None, "rootUri": None, "capabilities": {}}}
SHUTDOWN = {"jsonrpc": "2.0", "id": 2, "method": "shutdown"}


def test_paused_until_the_first_answer_then_on_and_frozen() -> None:
    startup_gc.pause()
    assert not gc.isenabled()
    out, states = serve([INIT, SHUTDOWN])
    assert b'"id": 1' in out.data and b'"id": 2' in out.data
    assert states == [False, True]  # initialize handled with the collector off, shutdown with it on
    assert out.collector_on[0] is False  # the initialize answer went out before the collection
    assert gc.isenabled() and gc.get_freeze_count() > 0


def test_a_bad_first_message_also_turns_it_back_on() -> None:
    startup_gc.pause()
    out, _ = serve([{"jsonrpc": "2.0", "id": 7, "method": "no/such/method"}, SHUTDOWN])
    assert b'"id": 7' in out.data
    assert gc.isenabled()


def test_resume_without_pause_changes_nothing() -> None:
    frozen = gc.get_freeze_count()
    startup_gc.resume()
    assert gc.isenabled() and gc.get_freeze_count() == frozen
