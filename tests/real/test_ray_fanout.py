"""Max Mode candidates fanned out to a REAL local Ray cluster (2 CPUs: two candidates at once), talking to a REAL
`python -m llama_cpp.server` on the shipped GGUF: the pick is applied once through the coordinator's checkpointed
path, as in process; a worker killed with SIGKILL mid-candidate is retried (or reported failed), never applied
twice. Skipped when Ray is not installed (`make test` installs the `[ray]` extra)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="Ray is not installed: pip install 'mimo-lsp[ray]' (scripts/setup.sh installs it)")

from mimo_lsp.checkpoints.journal import CheckpointJournal  # noqa: E402
from mimo_lsp.config import ModelSettings, Settings  # noqa: E402
from mimo_lsp.llm.openai_compat import OpenAIChatModel  # noqa: E402
from mimo_lsp.workspace import state_dir  # noqa: E402
from tests.conftest import make_task, python_check  # noqa: E402
from tests.real.llama_server import LlamaServer  # noqa: E402
from tests.real.ray_cluster import KillFirstJob, RayCluster  # noqa: E402

pytestmark = [pytest.mark.real_model, pytest.mark.ray, pytest.mark.timeout(240)]
GOAL = "Fix the add function in calc.py so that the tests pass"


def settings(spec: str, address: str = "", n: int = 3, retries: int = 1, selection: str = "judge_all") -> Settings:
    return Settings.model_validate({
        "model": {"spec": spec}, "memory": {"embedder": "hashing", "lessons": False},
        "max": {"n": n, "selection": selection, "rounds": 1, "format": "function"},
        "scale": {"ray_address": address, "task_retries": retries, "round_timeout_s": 180}})


def run_task(ws: Path, spec: str, s: Settings):
    model = OpenAIChatModel.open(spec, ModelSettings(spec=spec, repeat_penalty=s.max.repeat_penalty))
    events: list = []
    try:
        result = make_task(GOAL, ws, model, s, events.append, check=python_check()).run()
    finally:
        model.close()
    return result, events


def applied(ws: Path, task_id: str) -> list:
    journal = CheckpointJournal(state_dir(ws.resolve()) / "journal.sqlite")
    try:
        return [a for a in journal.actions(task_id) if a.tool == "apply_files"]
    finally:
        journal.close()


def model_calls(ws: Path, task_id: str) -> int:
    journal = CheckpointJournal(state_dir(ws.resolve()) / "journal.sqlite")
    try:
        return len(journal.model_calls(task_id))
    finally:
        journal.close()


def check_pick(ws: Path, result) -> None:
    """The pick (if any) applied once, through the checkpointed path, and nothing else."""
    report = result.max
    done = applied(ws, result.task_id)
    if report["picked"] is None:
        assert done == [] and "return a - b" in (ws / "calc.py").read_text()
        return
    assert len(done) == 1 and len([c for c in result.checkpoints if c["tool"] == "apply_files"]) == 1
    pick = next(c for c in report["candidates"] if c["id"] == report["picked"])
    for line in pick["diff"].splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            assert line[1:] in (ws / "calc.py").read_text()


def test_candidates_run_on_ray_workers_and_end_like_in_process(server: LlamaServer, cluster: RayCluster,
                                                               calc_workspace: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch):
    markers = tmp_path / "markers"
    markers.mkdir()
    monkeypatch.setenv("MIMO_RAY_MARKER_DIR", str(markers))
    local_ws = tmp_path / "local"
    shutil.copytree(calc_workspace, local_ws)

    result, events = run_task(calc_workspace, server.spec, settings(server.spec, cluster.address))
    report = result.max
    assert report["dispatch"] == f"ray ({cluster.address})", report["dispatch"]
    ran = sorted(markers.iterdir())
    assert sorted(p.name.split(".")[0] for p in ran) == ["cand-1", "cand-2", "cand-3"]
    assert all(int(p.name.split(".")[1]) != os.getpid() for p in ran), "made in Ray worker processes"
    assert [c["id"] for c in report["candidates"]] == [1, 2, 3]
    assert all(c["tokens"] > 0 for c in report["candidates"]), "each candidate made a real model call"
    assert result.outcome in ("verified", "failed") and result.stats["tokens"] >= sum(
        c["tokens"] for c in report["candidates"]), "worker tokens count for the task"
    calls = model_calls(calc_workspace, result.task_id)  # the workers' 3 replies, then the judge's (if judged)
    assert calls == 3 if not report["judged"] else calls >= 4, "worker replies journaled"
    kinds = [e.kind for e in events]
    assert kinds.count("pick") == 1 and kinds[-1] == "done"
    check_pick(calc_workspace, result)

    # The same task in process: the same kind of result (and the greedy candidate made the same change).
    local, _ = run_task(local_ws, server.spec, settings(server.spec))
    assert local.max["dispatch"] == "in process"
    assert set(local.max) == set(report) and len(local.max["candidates"]) == 3
    assert local.max["candidates"][0]["diff"] == report["candidates"][0]["diff"], "greedy is deterministic"
    check_pick(local_ws, local)


def test_first_pass_with_four_candidates_cancels_the_rest_once_one_passes(server: LlamaServer, cluster: RayCluster,
                                                                          calc_workspace: Path):
    result, _ = run_task(calc_workspace, server.spec, settings(server.spec, cluster.address, n=4,
                                                               selection="first_pass"))
    report = result.max
    assert report["dispatch"].startswith("ray (")
    kept, rest = report["candidates"], report.get("discarded", [])
    assert [c["id"] for c in kept + rest] == [1, 2, 3, 4]
    passing = [c["id"] for c in kept if c["checks_passed"]]
    assert passing in ([], [kept[-1]["id"]]), "kept: up to and including the first that passes, in id order"
    if passing:
        assert report["picked"] == passing[0] and result.outcome == "verified"
    else:
        assert rest == [], "nothing passed: every candidate counts"
    assert all(c["outcome"] in ("discarded", "cancelled") and not c["checks_passed"] for c in rest)
    check_pick(calc_workspace, result)


@pytest.mark.parametrize("retries", [1, 0])
def test_a_worker_killed_mid_candidate_is_retried_or_failed_and_nothing_is_applied_twice(
        server: LlamaServer, cluster: RayCluster, calc_workspace: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, retries: int):
    markers = tmp_path / "markers"
    markers.mkdir()
    monkeypatch.setenv("MIMO_RAY_MARKER_DIR", str(markers))
    with KillFirstJob(markers, "cand-") as kill:
        result, _ = run_task(calc_workspace, server.spec, settings(server.spec, cluster.address, retries=retries))
    assert kill.killed, "a worker was killed mid-candidate"
    cand_id, pid = int(kill.killed[0][0]), kill.killed[0][1]
    report = result.max
    victim = next(c for c in report["candidates"] if c["id"] == cand_id)
    runs = sorted(int(p.name.split(".")[1]) for p in markers.iterdir() if p.name.startswith(f"cand-{cand_id}."))
    if retries:
        assert len(runs) == 2 and pid in runs, "the killed candidate ran again, in another worker process"
        assert victim["outcome"] != "error", victim["summary"]
    else:
        assert runs == [pid], "no retry"
        assert victim["outcome"] == "error" and "Ray task failed" in victim["summary"], victim
    assert len(report["candidates"]) == 3
    check_pick(calc_workspace, result)
