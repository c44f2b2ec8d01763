"""Sandbox for shell commands: bubblewrap with a read-only system, the workspace writable, private /tmp,
no network unless allowed, $HOME secrets hidden, resource limits; refuses clearly where unavailable.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

# Environment passed into the sandbox; everything else (tokens, keys, cloud credentials) stays out.
ENV_ALLOWLIST = ("PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TERM", "TZ", "PYTHONHASHSEED",
                 "PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV", "CI", "NO_COLOR")
# Tool-chain folders under $HOME that commands need and that hold no secrets (read-only).
HOME_TOOLCHAINS = (".pyenv", ".cargo", ".rustup", ".nvm", ".local/bin", ".local/lib", ".sdkman", ".deno",
                   ".bun", ".volta")


class SandboxSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    # Without bubblewrap (macOS, locked-down Linux) commands are refused unless this is true.
    allow_unsandboxed: bool = False
    network: bool = False
    cpu_seconds: int = Field(900, ge=1)
    memory_mb: int = Field(8192, ge=64)
    max_processes: int = Field(512, ge=8, description="processes beyond those the user already runs")
    max_file_mb: int = Field(2048, ge=1)
    extra_ro_paths: list[str] = Field(default_factory=list)
    extra_rw_paths: list[str] = Field(default_factory=list)


class SandboxUnavailable(RuntimeError):
    pass


class SandboxProfile(BaseModel):
    """What the audit trail records about how a command was confined."""

    kind: str  # "bwrap" | "none"
    network: bool
    writable: list[str]
    hidden: list[str]
    limits: dict[str, int]


@lru_cache(maxsize=1)
def bwrap_works() -> str | None:
    """None when bubblewrap runs here, else why not."""
    exe = shutil.which("bwrap")
    if exe is None:
        return "bubblewrap (bwrap) is not installed"
    try:
        probe = subprocess.run([exe, "--ro-bind", "/", "/", "--dev", "/dev", "--unshare-net", "true"],
                               capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap does not run: {exc}"
    if probe.returncode != 0:
        return f"bubblewrap does not run here: {probe.stderr.decode(errors='replace').strip()[:200]}"
    return None


PIDS_CGROUP_ROOT = Path("/sys/fs/cgroup/pids")  # cgroup v1 pids controller, writable when we are root


def _owner_alive(name: str) -> bool:
    """`cmd-PID-RANDOM`: is PID still running? (Another process's fresh, still empty group must stay.)"""
    parts = name.split("-")
    return len(parts) == 3 and parts[1].isdigit() and os.path.exists(f"/proc/{parts[1]}")


def _pids_cgroup(limit: int) -> Path | None:
    """A fresh pids cgroup capped at `limit` tasks, or None where cgroups are not ours to use.

    RLIMIT_NPROC does not bind root (the kernel exempts it), so this is what holds a fork bomb there.
    """
    base = PIDS_CGROUP_ROOT / "mimo"
    try:
        base.mkdir(exist_ok=True)
        for stale in base.iterdir():  # groups left by processes that died (a live one cleans its own)
            if stale.is_dir() and not _owner_alive(stale.name):
                try:
                    stale.rmdir()
                except OSError:
                    pass
        group = base / f"cmd-{os.getpid()}-{os.urandom(4).hex()}"
        group.mkdir()
        (group / "pids.max").write_text(str(limit))
        return group
    except OSError:
        return None


def _user_process_count() -> int:
    uid = os.getuid()
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count


class Sandbox:
    def __init__(self, workspace: Path, settings: SandboxSettings, network: bool | None = None) -> None:
        self.workspace = workspace.resolve()
        self.settings = settings
        self.network = settings.network if network is None else network
        self.last_argv: list[str] | None = None  # what the latest command really ran as (for the audit trail)
        self.cgroup: Path | None = None

    def check(self) -> None:
        if not self.settings.enabled:
            if not self.settings.allow_unsandboxed:
                raise SandboxUnavailable("the sandbox is disabled and safety.sandbox.allow_unsandboxed is false")
            return
        why = bwrap_works()
        if why is not None and not self.settings.allow_unsandboxed:
            raise SandboxUnavailable(f"no sandbox: {why}. Install bubblewrap, or set "
                                     "safety.sandbox.allow_unsandboxed = true to run commands without one")

    @property
    def confined(self) -> bool:
        return self.settings.enabled and bwrap_works() is None

    def limits(self) -> dict[str, int]:
        s = self.settings
        return {"cpu_seconds": s.cpu_seconds, "memory_mb": s.memory_mb, "max_processes": s.max_processes,
                "max_file_mb": s.max_file_mb, "pids_cgroup": int(PIDS_CGROUP_ROOT.is_dir())}

    def profile(self) -> SandboxProfile:
        if not self.confined:
            return SandboxProfile(kind="none", network=True, writable=["/"], hidden=[], limits=self.limits())
        return SandboxProfile(kind="bwrap", network=self.network,
                              writable=[str(self.workspace), "/tmp (private)"] + self.settings.extra_rw_paths,
                              hidden=self._hidden(), limits=self.limits())

    def _hidden(self) -> list[str]:
        home = Path(os.path.expanduser("~"))
        hidden = [str(home)] if home != Path("/") and home.is_dir() else []
        run_user = Path(f"/run/user/{os.getuid()}")
        if run_user.is_dir():
            hidden.append(str(run_user))  # keyrings, agent sockets
        return hidden

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k in ENV_ALLOWLIST or k.startswith("LC_")}
        env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
        if self.confined:
            env["HOME"] = "/tmp/home"
            env["TMPDIR"] = "/tmp"
        else:
            env["HOME"] = os.environ.get("HOME", "/tmp")
        return env

    def argv(self, command: str) -> list[str]:
        """The full argv for one shell command line."""
        s = self.settings
        nproc = _user_process_count() + s.max_processes
        prlimit = [shutil.which("prlimit") or "prlimit", f"--cpu={s.cpu_seconds}", f"--as={s.memory_mb << 20}",
                   f"--nproc={nproc}", f"--fsize={s.max_file_mb << 20}", "--"]
        shell = ["bash", "-c", command]
        if not self.confined:
            self.last_argv = (prlimit if shutil.which("prlimit") else []) + shell
            return self.last_argv
        ws = str(self.workspace)
        args = [shutil.which("bwrap") or "bwrap", "--die-with-parent", "--new-session", "--unshare-pid",
                "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
        if not self.network:
            args.append("--unshare-net")
        args += ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--dir", "/tmp/home"]
        for hidden in self._hidden():
            args += ["--tmpfs", hidden]
        home = Path(os.path.expanduser("~"))
        # Interpreters and tool chains that live under a hidden or private folder come back read-only:
        # the venv running mimo (often under /tmp or $HOME in CI) and its base Python, tool-chain folders.
        package_root = Path(__file__).resolve().parents[2]
        keep = [home / t for t in HOME_TOOLCHAINS] + [Path(sys.prefix), Path(sys.base_prefix), package_root]
        keep += [Path(p) for p in s.extra_ro_paths]
        covered = self._hidden() + ["/tmp"]
        for path in keep:
            path = path.resolve() if path.exists() else path
            if path.exists() and any(str(path).startswith(h + "/") or str(path) == h for h in covered):
                args += ["--ro-bind", str(path), str(path)]
        args += ["--bind", ws, ws]
        for rw in s.extra_rw_paths:
            args += ["--bind", rw, rw]
        for protected in (".git", ".mimo"):  # the user's history and our journal: read-only inside
            if (self.workspace / protected).exists():
                args += ["--ro-bind", f"{ws}/{protected}", f"{ws}/{protected}"]
        if os.getuid() == 0:
            args += ["--cap-drop", "ALL"]
        args += ["--chdir", ws, "--"]
        self.cgroup = _pids_cgroup(s.max_processes)
        # The shell puts itself into the pids cgroup, then becomes prlimit -> bwrap: every descendant counts.
        enter = (["sh", "-c", f'echo $$ > "{self.cgroup}/cgroup.procs" && exec "$@"', "mimo-cgroup"]
                 if self.cgroup else [])
        self.last_argv = enter + prlimit + args + shell
        return self.last_argv

    def cleanup(self) -> None:
        """Remove the command's pids cgroup once its processes are gone (best effort)."""
        if self.cgroup is not None:
            try:
                self.cgroup.rmdir()
            except OSError:
                pass
            self.cgroup = None
