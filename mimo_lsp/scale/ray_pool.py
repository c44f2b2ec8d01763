"""Max Mode candidates and plan nodes as Ray tasks: the thin glue between the orchestrators and a Ray cluster.

Imported only when `[scale] ray_address` is set (lazily, by `maxmode/fanout.py` and `scale/node_dispatch.py`;
nothing in the agent core does). The jobs themselves are `maxmode.remote.run_job` and
`scale.node_job.run_node_job`: plain code that runs the same in process.

- connect: `ray.init(address=...)` once per process; the driver neither starts a cluster nor logs its workers.
- submit: one task per candidate or node (`num_cpus=1`, so a cluster of C CPUs runs C at once), the snapshot
  of the tree put in the object store once (per task for candidates, per group for nodes), shared by reference.
- worker death (OOM killer, kill -9, a lost node): Ray runs the task again up to `scale.task_retries` times;
  then the candidate (node) is reported failed. A retried task has applied nothing (workers never apply), so
  nothing is applied twice: the coordinator applies the one pick (each node's result), once.
- stop early / cancel / timeout: the unfinished tasks are cancelled with force (their worker process ends).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any, Callable

import ray
from ray.exceptions import RayError

from mimo_lsp.maxmode.remote import CandidateJob, JobResult, run_job
from mimo_lsp.scale.node_job import NodeJob, run_node_job

log = logging.getLogger(__name__)
_LOCK = threading.Lock()
_ADDRESS: list[str] = []  # the address this process is connected to (one cluster per process)


class RayUnavailable(RuntimeError):
    """Ray cannot be used for this task (the message says why); the caller runs candidates in process."""


def _reachable(address: str) -> None:
    """A HOST:PORT address must answer within seconds: `ray.init` would retry a dead one for minutes."""
    if address == "auto" or "://" in address:
        return
    try:  # what Ray will dial: it rewrites a loopback host to this machine's routable address
        from ray._private.services import canonicalize_bootstrap_address

        dialed = canonicalize_bootstrap_address(address) or address
    except Exception:  # a private helper: without it, dial what was given
        dialed = address
    host, _, port = dialed.rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except (OSError, ValueError) as exc:
        hint = ""
        if dialed != address:
            hint = (f" (Ray dials {dialed} for {address}; a cluster started with RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 "
                    "listens on loopback only: set that variable for mimo-lsp too)")
        raise RayUnavailable(f"no Ray cluster answers at {address}{hint}: {exc}") from exc


def connect(address: str) -> None:
    with _LOCK:
        if ray.is_initialized():
            if _ADDRESS and _ADDRESS[0] != address:
                raise RayUnavailable(f"this process is already connected to the Ray cluster at {_ADDRESS[0]}, "
                                     f"not {address}: restart the server to change [scale] ray_address")
            return
        _reachable(address)
        try:
            ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING, configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise RayUnavailable(f"cannot connect to the Ray cluster at {address!r}: {exc}") from exc
        _ADDRESS[:] = [address]


@ray.remote(num_cpus=1)
def _candidate(job: CandidateJob, files: dict[str, bytes]) -> JobResult:
    return run_job(job, files)


@ray.remote(num_cpus=1)
def _node(job: NodeJob, files: dict[str, bytes]) -> dict[str, Any]:
    return run_node_job(job, files)


# (job, result or None, why it failed or None) -> True to stop: the remaining tasks are cancelled
OnDone = Callable[[CandidateJob, JobResult | None, str | None], bool]


class RayPool:
    """Runs rounds of candidate jobs, and single node jobs, on the cluster."""

    def __init__(self, address: str, retries: int, round_timeout_s: float) -> None:
        connect(address)
        self.address, self.retries, self.round_timeout_s = address, retries, round_timeout_s
        self._files: Any = None

    def share(self, files: dict[str, bytes]) -> None:
        """The tree every candidate of the task starts from: stored once, passed by reference."""
        self._files = ray.put(files)

    def run(self, jobs: list[CandidateJob], cancel: threading.Event, on_done: OnDone) -> bool:
        """Every job's outcome goes to `on_done` (a timed-out job as a failure). False when `cancel` was set
        (the unfinished tasks are cancelled, nothing more is reported)."""
        task = _candidate.options(max_retries=self.retries, retry_exceptions=False)
        refs = {task.remote(job, self._files): job for job in jobs}
        pending = list(refs)
        deadline = time.monotonic() + self.round_timeout_s
        try:
            while pending:
                if cancel.is_set():
                    return False
                ready, pending = ray.wait(pending, num_returns=1, timeout=0.5)
                for ref in ready:
                    result, error = _outcome(ref)
                    if on_done(refs[ref], result, error):
                        return True
                if pending and time.monotonic() > deadline:
                    for ref in pending:
                        on_done(refs[ref], None, f"timed out after {self.round_timeout_s:g} s "
                                                 "([scale] round_timeout_s)")
                    return True
            return True
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)


    def run_node(self, job: NodeJob, cancel: threading.Event) -> tuple[dict[str, Any] | None, str | None]:
        """One node job on the snapshot last shared; blocks until it ends (None and why when it failed or
        timed out; None and "cancelled" when `cancel` was set: the task is then cancelled)."""
        ref = _node.options(max_retries=self.retries, retry_exceptions=False).remote(job, self._files)
        deadline = time.monotonic() + self.round_timeout_s
        done = False
        try:
            while not cancel.is_set():
                ready, _ = ray.wait([ref], num_returns=1, timeout=0.5)
                if ready:
                    done = True
                    return _outcome(ref)
                if time.monotonic() > deadline:
                    return None, f"timed out after {self.round_timeout_s:g} s ([scale] round_timeout_s)"
            return None, "cancelled"
        finally:
            if not done:
                ray.cancel(ref, force=True)


def _outcome(ref: Any) -> tuple[Any, str | None]:
    try:
        return ray.get(ref), None
    except RayError as exc:  # the worker died past its retries, or the task raised
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        log.warning("a Ray task failed: %s: %s", type(exc).__name__, first)
        return None, f"Ray task failed: {type(exc).__name__}: {first[:300]}"


def disconnect() -> None:
    """Leave the cluster (the cluster keeps running): tests and benchmarks that stop their own cluster."""
    with _LOCK:
        if ray.is_initialized():
            ray.shutdown()
        _ADDRESS.clear()
