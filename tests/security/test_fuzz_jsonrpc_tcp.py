"""The JSON-RPC fuzz run again over `mimo-lsp --tcp` (fewer examples: the transport differs, the
generator is the same as the stdio run's)."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from .fuzzgen import FuzzTarget, hostile_messages  # noqa: E402

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def target():
    saved = os.environ.get("MIMO_TEST_TRANSPORT")
    os.environ["MIMO_TEST_TRANSPORT"] = "tcp"
    t = FuzzTarget(probe_timeout=10)
    try:
        assert t.server.sock is not None, "the fuzz target must talk TCP here"
        yield t
    finally:
        stats = t.close()
        print(f"\nfuzz over tcp: {stats.messages} messages, {stats.probes_ok}/{stats.probes} probes ok, "
              f"{stats.crashes} crashes, {stats.hangs} hangs, {stats.restarts} restarts, {stats.seconds}s")
        if saved is None:
            os.environ.pop("MIMO_TEST_TRANSPORT", None)
        else:
            os.environ["MIMO_TEST_TRANSPORT"] = saved


@settings(max_examples=120, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
@given(batch=st.lists(hostile_messages(), min_size=1, max_size=25))
def test_hostile_batches_never_crash_or_hang_the_server_over_tcp(target, batch):
    failure = target.run_batch(batch)
    assert failure is None, failure


def test_the_tcp_fuzz_run_sent_something(target):
    assert target.stats.messages >= 30 and target.stats.crashes == target.stats.hangs == 0
