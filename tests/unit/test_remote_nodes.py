"""Plan nodes made on Ray workers (`[scale] ray_address`), without a cluster: a fake pool runs the very worker
code (`scale.node_job.run_node_job`) in process on the shipped snapshot, with a scripted model routed by node.
What is checked: the coordinator applies each node's result once through its checkpointed path and checks it
there; a node the policy wants a question for, a result the user's edit made stale, and a dead worker all run
in this process instead; a stopped task resumes with the finished nodes' results served from the journal.
The real cluster is in tests/real/test_ray_fanout.py."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from mimo_lsp.checkpoints.journal import CheckpointJournal
from mimo_lsp.config import Settings
from mimo_lsp.llm.scripted import RoutedScriptedModel
from mimo_lsp.scale import node_dispatch, node_job
from mimo_lsp.scale.node_job import NodeJob, run_node_job
from mimo_lsp.workspace import state_dir
from tests.conftest import make_task
from tests.unit.test_parallel_nodes import node, step

SPEC = "openai:http://127.0.0.1:9/v1#nobody"  # never dialed: the worker's model is the scripted one
YES = lambda request: "yes"  # noqa: E731


def settings(**agent: Any) -> Settings:
    return Settings.model_validate({
        "model": {"spec": SPEC}, "memory": {"embedder": "hashing", "lessons": False},
        "agent": {"max_parallel_nodes": 3, **agent}, "scale": {"ray_address": "fake:1"}})


def writes(nid: str) -> list[dict]:
    return [step("write_file", path=f"{nid}/x.txt", content=f"{nid}\n"), step("finish", summary=f"{nid} done")]


PLAN = {"nodes": [node(n, [f"{n}/*"], checks=[{"path": f"{n}/x.txt", "contains": n}]) for n in "abc"]
        + [node("d", ["d/*"], ["a", "b", "c"])]}
NODES = {n: writes(n) for n in "abcd"}
CHECK = "test -f a/x.txt && test -f b/x.txt && test -f c/x.txt && test -f d/x.txt"


class FakePool:
    """RayPool's node interface: the job runs here, on the shared snapshot. `before(job)` may act first (the
    user's edit, a cancel); `dead` node ids fail as a worker that died past its retries."""

    def __init__(self, dead: tuple[str, ...] = (), before=None) -> None:
        self.dead, self.before = dead, before
        self.files: dict[str, bytes] = {}
        self.ran: list[str] = []
        self.lock = threading.Lock()

    def share(self, files: dict[str, bytes]) -> None:
        self.files = dict(files)

    def run_node(self, job: NodeJob, cancel: threading.Event) -> tuple[dict | None, str | None]:
        nid = job.node["id"]
        with self.lock:
            self.ran.append(nid)
        if self.before is not None:
            self.before(job, cancel)
        if cancel.is_set():
            return None, "cancelled"
        if nid in self.dead:
            return None, "Ray task failed: WorkerCrashedError: killed"
        return run_node_job(job, self.files), None


@pytest.fixture
def pool(monkeypatch: pytest.MonkeyPatch):
    holder: dict[str, Any] = {}

    def connect(self: node_dispatch.RayNodes) -> str | None:
        self._pool = holder["pool"]
        return None

    monkeypatch.setattr(node_dispatch.RayNodes, "_connect", connect)
    monkeypatch.setattr(node_job, "shared_model", lambda spec, s: holder["model"])
    return holder


def journal(ws: Path, task_id: str) -> tuple[list, list]:
    j = CheckpointJournal(state_dir(ws.resolve()) / "journal.sqlite")
    try:
        return j.actions(task_id), j.model_calls(task_id)
    finally:
        j.close()


def test_independent_nodes_are_made_on_workers_and_applied_once_here(tmp_path: Path, pool):
    model = RoutedScriptedModel(PLAN, NODES)
    pool["pool"], pool["model"] = FakePool(), model
    events: list = []
    result = make_task("four parts", tmp_path, model, settings(), events.append, check=CHECK).run()
    assert result.outcome == "verified", result.reason
    assert sorted(pool["pool"].ran) == ["a", "b", "c"], "the group went to workers; d ran alone, here"
    assert result.stats["remote_nodes"] == 3 and result.stats["remote_steps"] == 6
    actions, calls = journal(tmp_path, result.task_id)
    by_node = {n: [a.tool for a in actions if a.node_id == n] for n in "abcd"}
    for n in "abc":  # no write_file here: the worker wrote in its scratch tree; one apply, one check
        assert by_node[n] == ["apply_files", "check"], by_node
        assert (tmp_path / n / "x.txt").read_text() == f"{n}\n"
    assert "write_file" in by_node["d"], "d ran alone, in this process"
    assert sorted(p for p, _ in calls if p.startswith("ray-node@")) == ["ray-node@a", "ray-node@b", "ray-node@c"]
    details = [e.detail for e in events if e.kind == "node"]
    assert any("Ray worker" in d for d in details), details


def test_a_node_needing_a_question_runs_here_where_it_can_be_asked(tmp_path: Path, pool):
    nodes = dict(NODES, b=[step("run_command", command="mkdir -p b && echo b > b/x.txt"),
                           step("finish", summary="b done")])
    model = RoutedScriptedModel(PLAN, nodes)
    pool["pool"], pool["model"] = FakePool(), model
    asked: list = []
    result = make_task("four parts", tmp_path, model, settings(), lambda e: None, check=CHECK,
                       confirm=lambda r: asked.append(r) or "yes").run()
    assert result.outcome == "verified", result.reason
    actions, _ = journal(tmp_path, result.task_id)
    b = [a.tool for a in actions if a.node_id == "b"]
    assert "apply_files" not in b and "run_command" in b, b
    assert [r["tool"] for r in asked] == ["run_command"], "asked once, here, not refused silently on the worker"
    assert (tmp_path / "b" / "x.txt").read_text() == "b\n"


def test_a_file_the_user_changed_meanwhile_is_never_overwritten(tmp_path: Path, pool):
    def user_edits(job: NodeJob, cancel: threading.Event) -> None:
        if job.node["id"] == "a":  # after the snapshot, before the worker's result is applied
            (tmp_path / "a").mkdir(exist_ok=True)
            (tmp_path / "a" / "x.txt").write_text("the user's a\n")

    model = RoutedScriptedModel(PLAN, NODES)
    pool["pool"], pool["model"] = FakePool(before=user_edits), model
    result = make_task("four parts", tmp_path, model, settings(), lambda e: None, check=CHECK).run()
    actions, _ = journal(tmp_path, result.task_id)
    a = [(x.tool, x.ok) for x in actions if x.node_id == "a"]
    assert a[0] == ("apply_files", False), a
    assert "write_file" in [t for t, _ in a], "then a ran here, through the normal stale-file rules"
    assert result.outcome == "verified", result.reason


def test_a_dead_worker_means_the_node_runs_here(tmp_path: Path, pool):
    model = RoutedScriptedModel(PLAN, NODES)
    pool["pool"], pool["model"] = FakePool(dead=("c",)), model
    events: list = []
    result = make_task("four parts", tmp_path, model, settings(), events.append, check=CHECK).run()
    assert result.outcome == "verified", result.reason
    actions, _ = journal(tmp_path, result.task_id)
    assert [a.tool for a in actions if a.node_id == "c"][0] == "write_file"
    assert any("WorkerCrashedError" in (e.detail or "") for e in events if e.kind == "node")


def test_a_failing_node_fails_after_its_attempts_on_the_worker(tmp_path: Path, pool):
    plan = {"nodes": [node("a", ["a/*"]), node("b", ["b/*"], checks=[{"path": "b/x.txt", "contains": "never"}])]}
    model = RoutedScriptedModel(plan, NODES)
    pool["pool"], pool["model"] = FakePool(), model
    result = make_task("two", tmp_path, model, settings(node_retries=1, max_replans=0), lambda e: None).run()
    assert result.outcome == "failed" and "b" in result.reason
    assert result.stats["retries"] >= 1 and result.stats["failed_attempts"] == 2
    assert not (tmp_path / "b" / "x.txt").exists(), "nothing of a failed node is applied"
    assert (tmp_path / "a" / "x.txt").exists()


def test_stopped_mid_group_then_resumed_serves_finished_nodes_from_the_journal(tmp_path: Path, pool):
    task_id = "t-remote-resume"
    finished = threading.Event()

    def stop_on_c(job: NodeJob, cancel: threading.Event) -> None:
        if job.node["id"] == "c":  # a and b finish first; then the user stops the task
            for _ in range(200):
                if finished.is_set():
                    break
                threading.Event().wait(0.02)
            cancel.set()

    model = RoutedScriptedModel(PLAN, NODES)
    first = FakePool(before=stop_on_c)
    orig = first.run_node

    def run_node(job: NodeJob, cancel: threading.Event):
        out = orig(job, cancel)
        if job.node["id"] in "ab" and len([n for n in first.ran if n in "ab"]) == 2:
            finished.set()
        return out

    first.run_node = run_node  # type: ignore[method-assign]
    pool["pool"], pool["model"] = first, model
    result = make_task("four parts", tmp_path, model, settings(), lambda e: None, check=CHECK,
                       task_id=task_id).run()
    assert result.outcome == "cancelled", result.reason
    second = FakePool()
    pool["pool"] = second
    again = make_task("four parts", tmp_path, RoutedScriptedModel(PLAN, NODES), settings(), lambda e: None,
                      check=CHECK, task_id=task_id, resume=True).run()
    assert again.outcome == "verified", again.reason
    actions, _ = journal(tmp_path, task_id)
    applies = [a.node_id for a in actions if a.tool == "apply_files" and a.ok]
    assert sorted(applies) == ["a", "b", "c"], f"each node's result applied exactly once: {applies}"
    assert set(second.ran) <= {"c"}, f"a and b were not made again: {second.ran}"
