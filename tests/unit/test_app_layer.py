"""The application layer: settings parsed once, limits honoured, services closed. Regression tests for
the three bugs that came from assembling things in several places."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mimo_lsp.app.workspace import WorkspaceServices
from mimo_lsp.checkpoints.service import BufferEdit
from mimo_lsp.config import Settings, load_settings, overrides_from_client
from mimo_lsp.llm.scripted import ScriptedChatModel
from tests.conftest import fix_add_script, make_task


def test_client_options_are_mapped_and_unknown_keys_reported_not_fatal(calc_workspace: Path):
    raw = {"index": {"autoStart": True, "searchWaitS": 2, "colour": "blue"}, "model": {"n_ctx": "big", "max_tokens": 64},
           "agent": {"maxStepsPerNode": 5}, "telemetry": True}
    overrides, problems = overrides_from_client(raw)
    assert overrides == {"index": {"auto_start": True, "search_wait_s": 2}, "model": {"max_tokens": 64},
                         "agent": {"max_steps_per_node": 5}}
    assert any(p.startswith("index.colour: unknown") for p in problems)
    assert any(p.startswith("model.n_ctx:") for p in problems)
    assert any(p.startswith("telemetry: unknown") for p in problems)
    settings = load_settings(calc_workspace, overrides).settings  # the documented index options load
    assert settings.index.auto_start and settings.agent.max_steps_per_node == 5


def test_client_options_that_are_not_an_object_are_reported():
    assert overrides_from_client(["x"]) == ({}, ["initializationOptions: expected an object, got list"])
    assert overrides_from_client(None) == ({}, [])


def _finished_task(ws: Path) -> str:
    task = make_task("fix add", ws, ScriptedChatModel(fix_add_script()), Settings(), lambda e: None)
    return task.run().task_id


def test_gc_honours_the_configured_workspace_cap(calc_workspace: Path, tmp_path: Path, monkeypatch):
    first = _finished_task(calc_workspace)
    _finished_task(calc_workspace)
    services = WorkspaceServices()
    with services.checkpoints(calc_workspace) as svc:
        assert svc.cap_bytes == 2 << 30 and svc.gc().deleted_tasks == []  # default cap: nothing to delete
    # The user's config (a workspace's own config may not lower the cap until trusted: it deletes history).
    (tmp_path / "user").mkdir()
    (tmp_path / "user" / "config.toml").write_text("[checkpoints]\nmax_workspace_bytes = 1\n")
    monkeypatch.setenv("MIMO_CONFIG_HOME", str(tmp_path / "user"))
    with services.checkpoints(calc_workspace) as svc:
        assert svc.cap_bytes == 1
    out = subprocess.run([sys.executable, "-m", "mimo_lsp.cli", "gc", "-w", str(calc_workspace), "--json"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert first in out.stdout and '"cap_bytes": 1' in out.stdout


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_checkpoint_service_closes_its_blob_store(calc_workspace: Path):
    task_id = _finished_task(calc_workspace)
    services = WorkspaceServices()
    before = _open_fds()
    for i in range(3):  # journaling a reject writes new blobs: the pack's descriptor must be closed after
        (calc_workspace / "calc.py").write_text(f"def add(a, b):\n    return a + b  # saved {i}\n")
        with services.checkpoints(calc_workspace) as svc:
            assert svc.journal_buffer_rejects(task_id, [BufferEdit(path="calc.py", text=f"reverted {i}\n", clean=True)])
            assert svc.blobs._fd is not None
        assert svc.blobs._fd is None
    assert _open_fds() == before
