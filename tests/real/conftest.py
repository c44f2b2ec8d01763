"""Fixtures shared by the real-component tests."""

from __future__ import annotations

import pytest

from tests.real.llama_server import LlamaServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """A real `python -m llama_cpp.server` on the shipped GGUF, one per test module."""
    srv = LlamaServer(tmp_path_factory.mktemp("llama-server") / "server.log").start()
    yield srv
    srv.stop()
