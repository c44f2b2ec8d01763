"""Plan nodes dispatched to a REAL local Ray cluster (2 CPUs), whose workers talk to a REAL `python -m
llama_cpp.server` on the shipped GGUF. The plan is scripted (two nodes on disjoint files, so they form one
group); the nodes' work is the real model's. What must hold whatever the 135M model writes: each node was
made in a Ray worker process, its result journaled once in its lane with real tokens, applied at most once
through the checkpointed path, and a worker killed mid-node is retried in another process (or the node runs
here) without anything applied twice. Skipped when Ray is not installed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="Ray is not installed: pip install 'mimo-lsp[ray]' (scripts/setup.sh installs it)")

from mimo_lsp.checkpoints.journal import CheckpointJournal  # noqa: E402
from mimo_lsp.config import ModelSettings, Settings  # noqa: E402
from mimo_lsp.llm.openai_compat import OpenAIChatModel  # noqa: E402
from mimo_lsp.llm.scripted import RoutedScriptedModel  # noqa: E402
from mimo_lsp.workspace import state_dir  # noqa: E402
from tests.conftest import make_task  # noqa: E402
from tests.real.llama_server import LlamaServer  # noqa: E402
from tests.real.ray_cluster import KillFirstJob, RayCluster  # noqa: E402

pytestmark = [pytest.mark.real_model, pytest.mark.ray, pytest.mark.timeout(300)]
PLAN = {"nodes": [
    {"id": n, "title": f"Write the word {word} into {n}/word.txt", "depends_on": [], "files": [f"{n}/*"],
     "expected_output": f"{n}/word.txt holds {word}", "checks": [{"path": f"{n}/word.txt", "contains": word}]}
    for n, word in (("a", "apple"), ("b", "banana"))]}


def settings(spec: str, address: str, retries: int = 1) -> Settings:
    return Settings.model_validate({
        "model": {"spec": spec}, "memory": {"embedder": "hashing", "lessons": False},
        "agent": {"max_parallel_nodes": 2, "max_steps_per_node": 3, "node_retries": 0, "max_replans": 0,
                  "goal_rounds": 0, "max_task_steps": 20},
        "scale": {"ray_address": address, "task_retries": retries, "round_timeout_s": 240}})


def run_task(ws: Path, spec: str, s: Settings):
    model = OpenAIChatModel.open(spec, ModelSettings(spec=spec))
    events: list = []
    try:
        task = make_task("Write apple into a/word.txt and banana into b/word.txt", ws, model, s, events.append,
                         roles={"planner": RoutedScriptedModel(PLAN, {})})
        result = task.run()
    finally:
        model.close()
    return result, events


def journal(ws: Path, task_id: str):
    j = CheckpointJournal(state_dir(ws.resolve()) / "journal.sqlite")
    try:
        return j.actions(task_id), j.model_calls(task_id)
    finally:
        j.close()


def check_applied_once(ws: Path, result) -> None:
    actions, calls = journal(ws, result.task_id)
    for n in "ab":
        applies = [a for a in actions if a.node_id == n and a.tool == "apply_files" and a.ok]
        assert len(applies) <= 1, f"node {n} applied {len(applies)} times"
    lanes = [p for p, _ in calls if p.startswith("ray-node@")]
    assert len(lanes) == len(set(lanes)), f"one journaled worker result per node: {lanes}"


def test_nodes_are_made_in_ray_workers_against_the_shared_server(server: LlamaServer, cluster: RayCluster,
                                                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    markers = tmp_path / "markers"
    markers.mkdir()
    monkeypatch.setenv("MIMO_RAY_MARKER_DIR", str(markers))
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "README.md").write_text("two words\n")
    result, events = run_task(ws, server.spec, settings(server.spec, cluster.address))
    assert result.outcome in ("verified", "failed", "unverified"), result.reason
    ran = sorted(markers.iterdir())
    assert sorted(p.name.split(".")[0] for p in ran) == ["node-a", "node-b"], ran
    assert all(int(p.name.split(".")[1]) != os.getpid() for p in ran), "made in Ray worker processes"
    _, calls = journal(ws, result.task_id)
    worker = [p for p, _ in calls if p.startswith("ray-node@")]
    assert sorted(worker) == ["ray-node@a", "ray-node@b"], calls
    assert result.stats["remote_nodes"] == 2 and result.stats["remote_steps"] >= 2
    assert result.stats["tokens"] > 0, "the workers' real model calls count for the task"
    assert any("Ray worker" in (e.detail or "") for e in events if e.kind == "node")
    check_applied_once(ws, result)
    for n, word in (("a", "apple"), ("b", "banana")):
        f = ws / n / "word.txt"
        if result.stats["remote_nodes"] and f.exists() and word in f.read_text():
            assert any(a.node_id == n and a.tool in ("apply_files", "write_file", "edit_file", "run_command")
                       for a in journal(ws, result.task_id)[0]), "whatever is in the tree came through the journal"


def test_a_worker_killed_mid_node_is_retried_and_nothing_is_applied_twice(server: LlamaServer, cluster: RayCluster,
                                                                         tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch):
    markers = tmp_path / "markers"
    markers.mkdir()
    monkeypatch.setenv("MIMO_RAY_MARKER_DIR", str(markers))
    ws = tmp_path / "ws"
    ws.mkdir()
    with KillFirstJob(markers, "node-") as kill:
        result, _ = run_task(ws, server.spec, settings(server.spec, cluster.address, retries=1))
    assert kill.killed, "a worker was killed mid-node"
    nid, pid = kill.killed[0]
    runs = sorted(int(p.name.split(".")[1]) for p in markers.iterdir() if p.name.startswith(f"node-{nid}."))
    assert len(runs) == 2 and pid in runs, "the killed node ran again, in another worker process"
    check_applied_once(ws, result)
