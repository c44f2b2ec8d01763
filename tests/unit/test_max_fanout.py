"""The Ray fan-out's logic without a cluster: a fake pool runs the very job code (`remote.run_job`) in process, in
an order the test chooses, with scripted replies; plus when Ray is not used and why, and that nothing imports
Ray unless `[scale] ray_address` is set. The real cluster is in tests/real/test_ray_fanout.py."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mimo_lsp.checkpoints.journal import CheckpointJournal
from mimo_lsp.config import Settings, load_settings
from mimo_lsp.llm.scripted import ScriptedChatModel
from mimo_lsp.maxmode import fanout, remote
from mimo_lsp.maxmode.remote import CandidateJob, run_job
from mimo_lsp.workspace import state_dir
from tests.conftest import REPO, make_task, python_check
from tests.unit.test_max_mode import GOAL, RIGHT, RIGHT_SPACED, WRONG

SPEC = "openai:http://127.0.0.1:9/v1#nobody"  # never dialed: the fake pool's jobs get scripted models


def settings(n: int = 3, selection: str = "first_pass", address: str = "fake:1") -> Settings:
    return Settings.model_validate({"model": {"spec": SPEC}, "memory": {"embedder": "hashing", "lessons": False},
                                    "max": {"n": n, "selection": selection, "rounds": 1, "format": "function"},
                                    "scale": {"ray_address": address}})


class FakePool:
    """RayPool's interface; jobs run here, finishing in `order` (candidate ids); `dead` ids fail as a
    worker that died past its retries."""

    def __init__(self, replies: dict[int, str], order: list[int], dead: tuple[int, ...] = ()) -> None:
        self.replies, self.order, self.dead = replies, order, dead
        self.files: dict[str, bytes] = {}
        self.ran: list[int] = []

    def share(self, files: dict[str, bytes]) -> None:
        self.files = files

    def run(self, jobs: list[CandidateJob], cancel: threading.Event, on_done) -> bool:
        by_id = {j.candidate_id: j for j in jobs}
        for cid in self.order:
            if cid in self.dead:
                stop = on_done(by_id[cid], None, "Ray task failed: WorkerCrashedError: killed")
            else:
                self.ran.append(cid)
                reply = self.replies[cid]
                remote._MODELS.clear()
                remote._MODELS[f"{SPEC}\n{sorted(jobs[0].model_settings.items())}"] = ScriptedChatModel([reply])
                stop = on_done(by_id[cid], run_job(by_id[cid], self.files), None)
            if stop:
                return True
        return True


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch):
    holder: dict[str, FakePool] = {}

    def open_fake(s: Settings, fmt: str, brief, workspace):
        why = fanout.why_not_ray(s, fmt, brief)
        assert why is None, why
        pool = holder["pool"]
        files = remote_snapshot(workspace)
        pool.share(files)
        import hashlib

        return fanout.RayFanout(pool, s, brief, {r: hashlib.sha256(d).hexdigest() for r, d in files.items()}), "ray (fake)"

    monkeypatch.setattr(fanout, "open_fanout", open_fake)
    yield holder
    remote._MODELS.clear()


def remote_snapshot(workspace: Path) -> dict[str, bytes]:
    from mimo_lsp.maxmode.scratch import snapshot

    return snapshot(workspace, fanout.MAX_SHIP_BYTES)


def journaled_calls(ws: Path, task_id: str) -> list[str]:
    journal = CheckpointJournal(state_dir(ws.resolve()) / "journal.sqlite")
    try:
        return [text for _, text in journal.model_calls(task_id)]
    finally:
        journal.close()


def test_first_pass_keeps_id_order_however_the_workers_finish(calc_workspace: Path, fake):
    # Candidate 3 finishes first and passes, then 2 passes, then 1 fails: the in-process answer is candidate 2.
    fake["pool"] = FakePool({1: WRONG, 2: RIGHT, 3: RIGHT_SPACED}, order=[3, 2, 1])
    events: list = []
    result = make_task(GOAL, calc_workspace, ScriptedChatModel([]), settings(), events.append,
                       check=python_check()).run()
    assert result.outcome == "verified", result.reason
    report = result.max
    assert report["dispatch"] == "ray (fake)"
    assert [c["id"] for c in report["candidates"]] == [1, 2] and report["picked"] == 2
    assert report["convergence"] == 0.5 and not report["judged"], "as in process: candidate 3 never counts"
    assert [(c["id"], c["outcome"]) for c in report["discarded"]] == [(3, "discarded")]
    done = [e for e in events if e.kind == "candidate" and e.status == "done"]
    assert sorted(e.candidate_id for e in done) == [1, 2, 3], "every started candidate is reported done"
    assert [c["tool"] for c in result.checkpoints].count("apply_files") == 1
    assert "return a + b" in (calc_workspace / "calc.py").read_text()
    calls = journaled_calls(calc_workspace, result.task_id)
    assert len(calls) == 2 and "a * b" in calls[0] and "a + b" in calls[1], "replies journaled in id order"


def test_a_candidate_whose_worker_died_is_reported_failed_and_journaled_as_an_empty_reply(calc_workspace: Path, fake):
    fake["pool"] = FakePool({2: RIGHT, 3: WRONG}, order=[2, 1, 3], dead=(1,))
    result = make_task(GOAL, calc_workspace, ScriptedChatModel([]), settings(), lambda e: None,
                       check=python_check()).run()
    assert result.outcome == "verified", result.reason
    first = result.max["candidates"][0]
    assert first["outcome"] == "error" and "WorkerCrashedError" in first["summary"]
    assert result.max["picked"] == 2 and fake["pool"].ran == [2]
    calls = journaled_calls(calc_workspace, result.task_id)
    assert calls[0] == '{"text": "", "finish_reason": "error"}', "a replay gives it an unusable reply: error again"


@pytest.mark.parametrize("spec,fmt,why", [
    (None, "function", "cannot be shared with Ray workers"),
    ("scripted:/tmp/x.json", "function", "cannot be shared with Ray workers"),
    (SPEC, "agent", "agent-format candidates"),
])
def test_when_ray_is_not_used_the_reason_is_reported(spec, fmt, why):
    from mimo_lsp.agent.effects import TaskBrief
    from mimo_lsp.agent.goal import GoalCriteria

    s = settings()
    s.model.spec = spec
    brief = TaskBrief("t", GOAL, GoalCriteria(), None, False)
    assert why in (fanout.why_not_ray(s, fmt, brief) or "")
    assert "resumed task" in (fanout.why_not_ray(settings(), "function", TaskBrief("t", GOAL, GoalCriteria(), None,
                                                                                    True)) or "")


def test_a_gguf_model_with_ray_address_runs_in_process_and_says_so(calc_workspace: Path):
    s = settings(address="127.0.0.1:1")
    s.model.spec = None  # the shipped GGUF, loaded in this process: not shareable
    result = make_task(GOAL, calc_workspace, ScriptedChatModel([WRONG, RIGHT]), s, lambda e: None,
                       check=python_check()).run()
    assert result.outcome == "verified" and result.max["dispatch"].startswith("in process: the executor model")


def test_an_unreachable_cluster_falls_back_in_process_quickly(calc_workspace: Path):
    pytest.importorskip("ray", reason="Ray is not installed: pip install 'mimo-lsp[ray]'")
    result = make_task(GOAL, calc_workspace, ScriptedChatModel([WRONG, RIGHT]), settings(address="127.0.0.1:1"),
                       lambda e: None, check=python_check()).run()
    assert result.outcome == "verified"
    assert result.max["dispatch"].startswith("in process: no Ray cluster answers at 127.0.0.1:1")


def test_the_agent_core_does_not_import_ray():
    code = ("import sys, mimo_lsp.app.setup, mimo_lsp.agent.task, mimo_lsp.maxmode.orchestrator, mimo_lsp.maxmode.fanout;"
            "bad = [m for m in ('ray', 'mimo_lsp.scale.ray_pool') if m in sys.modules]; print(bad); sys.exit(bool(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_a_workspace_cannot_point_its_work_at_a_cluster_even_on_loopback(tmp_path: Path):
    (tmp_path / ".mimo").mkdir()
    (tmp_path / ".mimo" / "config.toml").write_text('[scale]\nray_address = "127.0.0.1:6379"\n')
    layered = load_settings(tmp_path)
    assert layered.settings.scale.ray_address == ""
    assert [i.key for i in layered.trust.ignored] == ["scale.ray_address"]
