"""The hostile-input suite again, over `mimo-lsp --tcp 127.0.0.1:PORT` instead of stdio (same tests,
same expectations): the TCP transport has the same guarantees. And a non-loopback bind is refused."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.lsp_client import SERVER_CMD

from . import test_hostile_jsonrpc as stdio_suite
from .test_hostile_jsonrpc import *  # noqa: F403 (the tests themselves, collected again here)

pytestmark = pytest.mark.timeout(120)
# Command-line usage errors happen before any transport exists: tested once, in the stdio module.
del test_bad_limit_values_are_usage_errors  # noqa: F821


@pytest.fixture(scope="module", autouse=True)
def _over_tcp():
    if stdio_suite._shared is not None:  # a stdio server left by the other module
        stdio_suite._shared.stop()
        stdio_suite._shared = None
    saved = os.environ.get("MIMO_TEST_TRANSPORT")
    os.environ["MIMO_TEST_TRANSPORT"] = "tcp"
    yield
    if stdio_suite._shared is not None:
        stdio_suite._shared.stop()
        stdio_suite._shared = None
    if saved is None:
        os.environ.pop("MIMO_TEST_TRANSPORT", None)
    else:
        os.environ["MIMO_TEST_TRANSPORT"] = saved


@pytest.mark.parametrize("address", ["0.0.0.0:2087", "[::]:2087", "10.1.2.3:2087"])
def test_non_loopback_bind_is_refused_without_the_flag(address):
    out = subprocess.run([*SERVER_CMD, "--tcp", address], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "not a loopback address" in out.stderr
