"""Concurrent sandboxes: one command's fresh (still empty) pids cgroup must survive another command's
sweep of stale groups. Found when two agents ran commands at once and one failed with
"cannot create .../cgroup.procs"."""

from __future__ import annotations

import os
import subprocess

import pytest

from mimo_lsp.safety.sandbox import PIDS_CGROUP_ROOT, _pids_cgroup

pytestmark = pytest.mark.skipif(not os.access(PIDS_CGROUP_ROOT, os.W_OK), reason="no writable pids cgroup v1")


def test_a_live_process_group_survives_the_sweep_and_a_dead_ones_does_not():
    mine = _pids_cgroup(64)
    assert mine is not None
    proc = subprocess.Popen(["true"])
    proc.wait()
    dead_pid = proc.pid
    dead = PIDS_CGROUP_ROOT / "mimo" / f"cmd-{dead_pid}-deadbeef"
    dead.mkdir()
    other = _pids_cgroup(64)  # another command starting: sweeps stale groups
    try:
        assert mine.is_dir(), "a live process's fresh group was removed under it"
        assert not dead.exists(), "a dead process's group is swept"
    finally:
        for g in (mine, other):
            if g is not None and g.exists():
                g.rmdir()
