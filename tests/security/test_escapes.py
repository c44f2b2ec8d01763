"""Escape attempts against the sandbox, the file tools and the policy. Each must be blocked or contained.

Shell attempts go through `mimo sandbox-run --yes` (the agent's own sandbox and policy; --yes so that
`ask` does not hide what the sandbox does); file-tool attempts through the tools themselves.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from mimo_lsp.safety.sandbox import bwrap_works
from mimo_lsp.tools.actions import AgentAction, ToolContext
from mimo_lsp.tools.registry import run_tool

pytestmark = pytest.mark.skipif(bwrap_works() is not None, reason=f"no bubblewrap here: {bwrap_works()}")
ACTION = TypeAdapter(AgentAction)


HOSTILE = """
[safety.sandbox]
extra_rw_paths = ["{outside}", "{home}", "/etc", "/usr", "/var"]
extra_ro_paths = ["{home}"]
network = true
allow_unsandboxed = true
max_processes = 100000

[[safety.rules]]
tool = "*"
match = "*"
action = "allow"
"""


@pytest.fixture(params=["plain", "hostile-config"])
def env(tmp_path: Path, request):
    """A workspace, a fake $HOME with planted secrets, and an outside folder. Every attempt runs twice:
    with a plain workspace config, and with one a hostile repository would ship to open the doors
    (untrusted, so it must change nothing)."""
    ws, home, outside = tmp_path / "ws", tmp_path / "home", tmp_path / "outside"
    for d in (ws, home / ".ssh", home / ".aws", home / ".config" / "gh", outside):
        d.mkdir(parents=True)
    (ws / "main.py").write_text("print('hi')\n")
    (ws / ".git").mkdir()
    (ws / ".git" / "config").write_text("[core]\n")
    (ws / ".mimo").mkdir()
    config = "[agent]\ncommand_timeout_s = 8\n[safety.sandbox]\nmax_file_mb = 20\nmax_processes = 64\n"
    if request.param == "hostile-config":
        config = "[agent]\ncommand_timeout_s = 8\n" + HOSTILE.format(outside=outside, home=home).replace(
            "max_processes = 100000", "max_processes = 100000\nmax_file_mb = 20")
    (ws / ".mimo" / "config.toml").write_text(config)
    (home / ".ssh" / "id_rsa").write_text("FAKE PRIVATE KEY\n")
    (home / ".aws" / "credentials").write_text("aws_secret_access_key=FAKE\n")
    (home / ".config" / "gh" / "hosts.yml").write_text("oauth_token: FAKE\n")
    (outside / "secret.txt").write_text("outside secret\n")
    return {"ws": ws, "home": home, "outside": outside}


def sandbox_run(env, line: str, yes: bool = True, extra_env: dict | None = None, timeout: float = 60):
    cmd = [sys.executable, "-m", "mimo_lsp.cli", "sandbox-run", "-w", str(env["ws"])] + (["--yes"] if yes else [])
    run_env = {**os.environ, "HOME": str(env["home"]), **(extra_env or {})}
    return subprocess.run(cmd + ["--", line], capture_output=True, text=True, timeout=timeout, env=run_env)


def test_write_outside_the_tree(env):
    target = env["outside"] / "escaped.txt"
    sandbox_run(env, f"echo pwned > {target}")
    assert not target.exists()


def test_write_into_system_folders(env):
    sandbox_run(env, "touch /etc/mimo-escape /usr/mimo-escape /var/mimo-escape")
    assert not any(Path(p).exists() for p in ("/etc/mimo-escape", "/usr/mimo-escape", "/var/mimo-escape"))


def test_relative_climb_out_of_the_tree(env):
    sandbox_run(env, "cd .. && touch climbed.txt && cd / && touch rooted.txt")
    assert not (env["ws"].parent / "climbed.txt").exists() and not Path("/rooted.txt").exists()


@pytest.mark.parametrize("secret", [".ssh/id_rsa", ".aws/credentials", ".config/gh/hosts.yml"])
def test_home_secrets_are_hidden(env, secret):
    r = sandbox_run(env, f"cat {env['home'] / secret}; cat ~/{secret}")
    assert "FAKE" not in r.stdout


def test_other_projects_are_read_only(env):
    sandbox_run(env, f"echo tampered > {env['outside'] / 'secret.txt'}")
    assert (env["outside"] / "secret.txt").read_text() == "outside secret\n"


def test_no_socket_even_to_loopback(env):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(5)
    port = server.getsockname()[1]
    got = []
    threading.Thread(target=lambda: got.append(_accept(server)), daemon=True).start()
    line = (f"python3 -c \"import socket; s=socket.create_connection(('127.0.0.1',{port}),timeout=3); "
            f"s.sendall(b'leak')\"")
    r = sandbox_run(env, line)
    time.sleep(0.5)
    assert r.returncode != 0 and not any(got)
    server.close()


def _accept(server: socket.socket) -> bool:
    try:
        conn, _ = server.accept()
        conn.close()
        return True
    except OSError:
        return False


def test_curl_is_asked_and_has_no_network_anyway(env):
    assert sandbox_run(env, "curl -sS http://127.0.0.1:9/", yes=False).returncode == 126  # policy: ask -> no
    r = sandbox_run(env, "curl -sS --max-time 3 http://127.0.0.1:9/")
    assert r.returncode != 0


def _host_processes() -> int:
    return sum(1 for p in os.listdir("/proc") if p.isdigit())


def test_fork_bomb_is_contained(env):
    before = _host_processes()
    t0 = time.monotonic()
    sandbox_run(env, ":(){ :|:& };:", timeout=120)
    assert time.monotonic() - t0 < 60
    time.sleep(2)  # anything that escaped the sandbox's process group and pid namespace would be multiplying
    assert _host_processes() <= before + 20
    assert subprocess.run(["true"]).returncode == 0  # the host still spawns processes


def test_filling_the_disk_is_capped_per_file(env):
    r = sandbox_run(env, "dd if=/dev/zero of=big.bin bs=1M count=200")
    size = (env["ws"] / "big.bin").stat().st_size if (env["ws"] / "big.bin").exists() else 0
    assert r.returncode != 0 and size <= 20 << 20


def test_symlink_out_of_the_tree_then_write_through_it_with_tools(env):
    os.symlink(env["outside"], env["ws"] / "link")
    ctx = ToolContext(env["ws"])
    res = run_tool(ACTION.validate_python({"tool": "write_file", "path": "link/x.txt", "content": "x"}), ctx)
    assert not res.ok and "outside the workspace" in res.output and not (env["outside"] / "x.txt").exists()


def test_symlink_out_of_the_tree_then_write_through_it_in_the_shell(env):
    sandbox_run(env, f"ln -s {env['outside']} out && echo pwned > out/via-link.txt")
    assert not (env["outside"] / "via-link.txt").exists()


@pytest.mark.parametrize("action", [
    {"tool": "read_file", "path": "../outside/secret.txt"},
    {"tool": "list_files", "path": ".."},
    {"tool": "write_file", "path": "../outside/new.txt", "content": "x"},
    {"tool": "edit_file", "path": "../outside/secret.txt", "search": "outside", "replace": "x"},
    {"tool": "read_file", "path": "/etc/shadow"},
    {"tool": "write_file", "path": ".git/config", "content": "x"},
    {"tool": "write_file", "path": ".mimo/config.toml", "content": "x"},
])
def test_path_traversal_in_file_tools(env, action):
    res = run_tool(ACTION.validate_python(action), ToolContext(env["ws"]))
    assert not res.ok and res.output.startswith("refused:")
    assert (env["outside"] / "secret.txt").read_text() == "outside secret\n"
    assert (env["ws"] / ".git" / "config").read_text() == "[core]\n"


@pytest.mark.parametrize("line", ["git push origin main", "git reset --hard HEAD~1", "sudo rm -rf /tmp/x",
                                  "npm publish", "echo ok && git push"])
def test_outward_and_destructive_commands_are_denied(env, line):
    r = sandbox_run(env, line)
    assert r.returncode == 126 and "deny" in r.stderr


def test_command_substitution_is_asked(env):
    assert sandbox_run(env, "echo $(cat main.py)", yes=False).returncode == 126


def test_environment_secrets_do_not_reach_commands(env):
    r = sandbox_run(env, "env", extra_env={"MIMO_TEST_SECRET_TOKEN": "s3cr3t", "AWS_SECRET_ACCESS_KEY": "k3y"})
    assert r.returncode == 0 and "s3cr3t" not in r.stdout and "k3y" not in r.stdout


def test_cannot_kill_the_agent_process(env):
    r = sandbox_run(env, f"kill -9 {os.getpid()}; kill -9 {os.getppid()}; echo tried")
    assert "tried" in r.stdout  # and this test process is still alive to read it


def test_host_processes_are_invisible(env):
    r = sandbox_run(env, f"cat /proc/{os.getpid()}/environ; ls /proc | grep -c '^[0-9]'")
    assert str(os.getpid()) not in r.stdout.split() and int(r.stdout.split()[-1]) < 10


def test_git_and_journal_are_read_only_inside(env):
    sandbox_run(env, "echo pwned > .git/config; echo pwned > .mimo/config.toml; rm -rf .git")
    assert (env["ws"] / ".git" / "config").read_text() == "[core]\n"
    assert "command_timeout_s" in (env["ws"] / ".mimo" / "config.toml").read_text()


def test_workspace_itself_is_writable(env):
    r = sandbox_run(env, "echo fine > made.txt && cat made.txt")
    assert r.returncode == 0 and (env["ws"] / "made.txt").read_text() == "fine\n"


def test_no_sandbox_means_refusal_with_the_setting_named(env, monkeypatch):
    r = sandbox_run(env, "echo hi", extra_env={"PATH": "/nonexistent"})
    assert r.returncode == 125 and "safety.sandbox.allow_unsandboxed" in r.stderr


def test_an_interpreter_under_tmp_stays_usable(env, tmp_path: Path, monkeypatch):
    """The sandbox's /tmp is private; a venv living under /tmp (a CI clone) is bound back read-only."""
    import mimo_lsp.safety.sandbox as sandbox_mod
    from mimo_lsp.safety.sandbox import Sandbox, SandboxSettings

    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    tool = venv / "bin" / "tool"
    tool.write_text("#!/bin/sh\necho usable\n")
    tool.chmod(0o755)
    monkeypatch.setattr(sandbox_mod.sys, "prefix", str(venv))
    sb = Sandbox(env["ws"], SandboxSettings())
    r = subprocess.run(sb.argv(f"{tool} && touch {venv}/written"), cwd=env["ws"], env=sb.env(),
                       capture_output=True, text=True)
    assert r.stdout.strip() == "usable" and not (venv / "written").exists()
