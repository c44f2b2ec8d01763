"""Fuzz the real server's JSON-RPC transport with hypothesis: one long-lived process, batches of
hostile messages, a valid probe after each batch that must be answered in time by a live process.

CI-sized (well under a minute); benchmarks/security_fuzz.py runs the same generator for 10,000+.
"""

from __future__ import annotations

import pytest

pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from .fuzzgen import FuzzTarget, hostile_messages  # noqa: E402

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def target():
    t = FuzzTarget(probe_timeout=10)
    yield t
    stats = t.close()
    print(f"\nfuzz: {stats.messages} messages, {stats.probes_ok}/{stats.probes} probes ok, "
          f"{stats.crashes} crashes, {stats.hangs} hangs, {stats.restarts} restarts, {stats.seconds}s")


@settings(max_examples=300, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
@given(batch=st.lists(hostile_messages(), min_size=1, max_size=25))
def test_hostile_batches_never_crash_or_hang_the_server(target, batch):
    failure = target.run_batch(batch)
    assert failure is None, failure


def test_the_fuzz_run_sent_something(target):
    assert target.stats.messages >= 60 and target.stats.crashes == target.stats.hangs == 0
