"""A real, small, local Ray cluster for tests and benchmarks: `ray start --head --block` in its own process group.

Small: 2 CPUs (two candidates at once), no dashboard, a 100 MB object store, usage stats off. Loopback only:
Ray replaces 127.0.0.1 with the machine's routable address unless RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, with
which every port it opens listens on 127.0.0.1. Its own temp dir (short: Ray's socket paths have a length
limit), so it never touches another cluster on the machine, and `stop` ends only this cluster's processes
(SIGTERM to `ray start --block`, which drains and stops what it started; then its process group), never a
machine-wide `ray stop`.

The workers import this checkout (PYTHONPATH), as a deployed cluster must have the same mimo-lsp installed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class RayCluster:
    def __init__(self, num_cpus: int = 2, object_store_mb: int = 100) -> None:
        self.num_cpus, self.object_store_mb = num_cpus, object_store_mb
        self.temp_dir = Path(tempfile.mkdtemp(prefix="mray-", dir="/tmp"))
        self.log = self.temp_dir / "ray-start.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.address = ""

    def start(self, timeout: float = 90.0) -> "RayCluster":
        ray = Path(sys.executable).parent / "ray"
        cmd = [str(ray), "start", "--head", "--block", "--node-ip-address=127.0.0.1", "--port=0",
               f"--num-cpus={self.num_cpus}", "--num-gpus=0", "--include-dashboard=false",
               f"--object-store-memory={self.object_store_mb * 1_000_000}", "--disable-usage-stats",
               f"--temp-dir={self.temp_dir}"]
        env = {**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0",
               "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        current = self.temp_dir / "ray_current_cluster"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ray start exited with {self.proc.returncode}:\n{self.log_text()[-3000:]}")
            if current.is_file() and "Ray runtime started" in self.log_text():
                self.address = current.read_text().strip()
                return self
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"Ray cluster not up after {timeout} s:\n{self.log_text()[-3000:]}")

    def stop(self) -> None:
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # `ray start --block` drains, then stops its processes
            try:
                proc.wait(timeout=45)
            except subprocess.TimeoutExpired:
                pass
        if proc is not None:
            try:  # whatever is left of this cluster (its own process group, nothing else)
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=15)
        shutil.rmtree(self.temp_dir, ignore_errors=True)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class KillFirstJob:
    """While in the `with` block: the first Ray job to write its marker (`MIMO_RAY_MARKER_DIR`, `<prefix><id>.<pid>`)
    gets SIGKILL in its worker process right away. `killed` holds (id, pid) after the block."""

    def __init__(self, markers: Path, prefix: str) -> None:
        self.markers, self.prefix = markers, prefix
        self.killed: list[tuple[str, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set() and not self.killed:
            for p in self.markers.iterdir():
                job, pid = p.name.removeprefix(self.prefix).split(".")
                os.kill(int(pid), signal.SIGKILL)
                self.killed.append((job, int(pid)))
                break
            time.sleep(0.01)

    def __enter__(self) -> "KillFirstJob":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
