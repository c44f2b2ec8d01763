"""Fixtures shared by the real-component tests."""

from __future__ import annotations

import os

import pytest

from tests.real.llama_server import LlamaServer
from tests.real.ray_cluster import RayCluster

# The test cluster listens on loopback only; the driver (this process) must not rewrite 127.0.0.1 to the
# machine's routable address either. Read by Ray when it is imported.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """A real `python -m llama_cpp.server` on the shipped GGUF, one per test module."""
    srv = LlamaServer(tmp_path_factory.mktemp("llama-server") / "server.log").start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def cluster():
    """A real local Ray cluster (2 CPUs, loopback only), one per test module."""
    from mimo_lsp.scale import ray_pool

    c = RayCluster(num_cpus=2).start()
    yield c
    ray_pool.disconnect()
    c.stop()
