"""The cyclic garbage collector during start-up: off until the first message is answered.

Loading lsprotocol creates a few hundred thousand objects, and with the collector on they trigger full
collections that walk all of them while the editor waits for `initialize` (~20 ms on the development
machine; benchmarks/initialize_latency.py, docs/benchmarks.md). So `mimo-lsp` starts with the collector
off; once the first message has been answered (the response is written before `Gate.frame` returns),
`resume` collects what start-up left, freezes the survivors (they live as long as the process: later full
collections no longer walk them) and turns the collector back on.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """After the first message; a no-op when start-up did not pause the collector (tests, embedding)."""
    global _paused
    if _paused:
        _paused = False
        gc.collect()
        gc.freeze()
        gc.enable()
