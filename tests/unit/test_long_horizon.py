"""The long-horizon agent core: plan contracts, replanning, compaction, loops, premature-stop rejection,
retry with a different strategy, goal criteria and judge, lessons across restarts, model roles, and the
noisy-oracle benchmark harness. Deterministic: scripted and seeded oracle models."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mimo_lsp.agent.events import PlanEvent
from mimo_lsp.agent.goal import GoalCriteria
from mimo_lsp.agent.memory import MemoryStore
from mimo_lsp.agent.plan import CheckSpec, Plan, PlanError, PlanNode, merge_replan
from mimo_lsp.agent.scheduler import Scheduler
from mimo_lsp.agent.window import Turn, build_window
from mimo_lsp.config import Settings, load_settings
from mimo_lsp.llm.factory import open_role_models
from mimo_lsp.llm.port import ChatMessage
from mimo_lsp.llm.scripted import ScriptedChatModel
from tests.conftest import write_script, make_task

REPO = Path(__file__).resolve().parents[2]
SMALL = REPO / "benchmarks" / "long_horizon" / "families" / "small_functions.json"
YES = lambda request: "yes"  # noqa: E731


def step(tool: str, **args) -> dict:
    return {"thought": f"{tool} now", "action": {"tool": tool, **args}}


def node(id: str, deps=(), **kw) -> dict:
    return {"id": id, "title": f"do {id}", "depends_on": list(deps), "expected_output": f"{id} done", **kw}


def settings(**agent) -> Settings:
    return Settings.model_validate({"agent": agent, "memory": {"embedder": "hashing"}})


FIXED = "return a + b"
ADD_CHECK = {"path": "calc.py", "contains": FIXED}
EDIT_ADD = step("edit_file", path="calc.py", search="return a - b", replace=FIXED)


# -- plan, replan, scheduler -------------------------------------------------------------------
def test_replan_keeps_done_nodes_and_may_depend_on_them():
    done = [PlanNode.model_validate(node("a"))]
    merged = merge_replan(done, Plan.model_validate({"nodes": [node("b2", ["a"]), node("c", ["b2"])]}))
    assert [n.id for n in merged] == ["a", "b2", "c"] and merged[0] is done[0]
    with pytest.raises(PlanError, match="duplicate node id 'a'"):
        merge_replan(done, Plan.model_validate({"nodes": [node("a")]}))
    with pytest.raises(PlanError, match="unknown id 'zz'"):
        merge_replan(done, Plan.model_validate({"nodes": [node("b", ["zz"])]}))
    with pytest.raises(PlanError, match="cycle"):
        merge_replan(done, Plan.model_validate({"nodes": [node("b", ["c"]), node("c", ["b"])]}))


def test_scheduler_splices_a_revised_plan_and_skips_blocked_nodes():
    s = Scheduler(Plan.model_validate({"nodes": [node("a"), node("b", ["a"]), node("c", ["b"]), node("d")]}))
    assert s.next_ready().id == "a"
    s.mark("a", "done")
    s.mark("b", "failed", "boom")
    assert [n.id for n in s.skip_blocked()] == ["c"]
    s.replace_remaining(Plan.model_validate({"nodes": [node("b", ["a"]), node("e", ["b"])]}))
    assert [n.id for n in s.nodes] == ["a", "b", "e"] and s.status == {"a": "done", "b": "pending", "e": "pending"}
    assert s.next_ready().id == "b"


def test_check_spec_needs_exactly_one_kind():
    with pytest.raises(ValueError):
        CheckSpec(command="x", path="y", exists=True)
    with pytest.raises(ValueError):
        CheckSpec(path="y")
    assert CheckSpec(path="a.py", not_contains="TODO").label() == "a.py not_contains 'TODO'"


# -- executor window and loops ----------------------------------------------------------------
def test_compaction_always_keeps_goal_contract_and_plan():
    head = [ChatMessage(role="system", content="SYSTEM"),
            ChatMessage(role="user", content="Overall goal: G\nPlan:\n- n1: x\nSub-task id: n1")]
    turns = [Turn(f'{{"step": {i}}}', "OUTPUT " * 200, f"step {i}: read_file -> ok") for i in range(30)]
    stages = set()
    for limit in (100_000, 8000, 3000, 1600, 400):
        msgs, stage = build_window(head, turns, lambda ms, limit=limit: sum(len(m.content) for m in ms) <= limit)
        stages.add(stage)
        assert msgs[:2] == head, "the head is never compacted"
        assert msgs[-1].content.startswith("OUTPUT"), "the latest observation stays verbatim"
    assert stages == {1, 2, 3, 4}


def test_alternating_repetition_is_a_loop(calc_workspace: Path):
    replies = [{"nodes": [node("n")]}] + [step("read_file", path="calc.py"), step("list_files", path=".")] * 3
    task = make_task("x", calc_workspace, ScriptedChatModel(replies), settings(node_retries=0, max_replans=0),
                     lambda e: None, confirm=YES)
    result = task.run()
    assert result.outcome == "failed" and "loop" in result.reason and result.steps == 5


# -- premature stops ---------------------------------------------------------------------------
def test_premature_finish_is_rejected_with_the_failing_check(calc_workspace: Path):
    replies = [{"nodes": [node("fix", files=["calc.py"], checks=[ADD_CHECK])]},
               step("finish", summary="all done"),  # premature: calc.py is unchanged
               step("write_file", path="test_calc.py", content="x"),  # outside the node's files
               EDIT_ADD, step("finish", summary="fixed add")]
    model = ScriptedChatModel(replies)
    events = []
    task = make_task("fix add", calc_workspace, model, settings(), events.append, confirm=YES)
    result = task.run()
    assert result.outcome == "unverified" and result.stats["node_rejections"] == 1
    steps = [e for e in events if e.kind == "step"]
    assert steps[0].tool == "finish" and not steps[0].ok and "finish rejected" in steps[0].observation
    assert FIXED in steps[0].observation, "the failing check is fed back"
    assert steps[1].tool == "write_file" and "outside this sub-task's allowed files" in steps[1].observation
    assert (calc_workspace / "test_calc.py").read_text() != "x"
    assert "finish rejected" in model.prompts[2][-1].content


def test_goal_criteria_reject_the_stop_and_the_repair_is_planned(calc_workspace: Path):
    replies = [{"nodes": [node("look")]}, step("read_file", path="calc.py"), step("finish", summary="looked"),
               {"nodes": [node("repair")]}, EDIT_ADD, step("finish", summary="fixed")]
    model = ScriptedChatModel(replies)
    events = []
    criteria = GoalCriteria(commands=[f"{sys.executable} -m pytest -q -p no:cacheprovider"], files=[CheckSpec(**ADD_CHECK)])
    task = make_task("fix add", calc_workspace, model, settings(), events.append, criteria=criteria, confirm=YES)
    result = task.run()
    assert result.outcome == "verified", result.reason
    assert result.stats["goal_rejections"] == 1 and result.stats["replans"] == 1
    replan_prompt = model.prompts[3][-1].content
    assert "Done nodes (keep):\n- look: do look" in replan_prompt and "[FAIL]" in replan_prompt
    plans = [e for e in events if isinstance(e, PlanEvent)]
    assert [p.attempt for p in plans] == [1, 2] and [n["id"] for n in plans[1].nodes] == ["look", "repair"]
    assert plans[1].nodes[0]["status"] == "done"
    assert {r["check"] for r in result.check["results"]} >= {"calc.py contains 'return a + b'"}


def test_judge_decides_the_natural_language_criterion(calc_workspace: Path):
    replies = [{"nodes": [node("fix")]}, EDIT_ADD, step("finish", summary="fixed"),
               {"passed": False, "reason": "the docstring was not updated"}]
    criteria = GoalCriteria(criterion="the docstring says what add does")
    task = make_task("fix add", calc_workspace, ScriptedChatModel(replies), settings(goal_rounds=0), lambda e: None,
                     criteria=criteria, confirm=YES)
    result = task.run()
    assert result.outcome == "failed" and "judge" in result.reason
    assert result.check["results"][0]["evidence"] == "the docstring was not updated"


# -- retry with a different strategy, then replan --------------------------------------------
def test_failed_attempt_is_rolled_back_and_retried_differently(calc_workspace: Path):
    replies = [{"nodes": [node("fix", checks=[ADD_CHECK], max_steps=2)]},
               step("edit_file", path="calc.py", search="return a - b", replace="return b - a"),
               step("finish", summary="done"),  # rejected: the check fails; budget of 2 is spent
               EDIT_ADD, step("finish", summary="fixed add properly")]
    model = ScriptedChatModel(replies)
    events = []
    task = make_task("fix add", calc_workspace, model, settings(), events.append, confirm=YES)
    result = task.run()
    assert result.outcome == "unverified" and result.stats["retries"] == 1
    second = model.prompts[3][1].content
    assert "Attempt 2." in second and "DIFFERENT approach" in second and "checks still failing when the step budget of 2 ran out" in second
    assert "return b - a" in second, "the failed attempt's steps are in the prompt"
    # The second attempt started from the rolled-back file: its edit of `return a - b` succeeded.
    assert [e.ok for e in events if e.kind == "step"] == [True, False, True, True]
    assert FIXED in (calc_workspace / "calc.py").read_text()


def test_node_failing_every_retry_triggers_a_replan(calc_workspace: Path):
    loop = [step("read_file", path="calc.py")] * 3
    replies = [{"nodes": [node("a"), node("b", ["a"])]}, *loop, *loop,
               {"nodes": [node("a2")]}, EDIT_ADD, step("finish", summary="fixed")]
    events = []
    task = make_task("fix", calc_workspace, ScriptedChatModel(replies), settings(node_retries=1), events.append,
                     confirm=YES)
    result = task.run()
    assert result.outcome == "unverified", result.reason
    assert result.stats["replans"] == 1 and result.stats["failed_attempts"] == 2
    assert [n["id"] for n in result.plan] == ["a2"]


# -- memory and lessons -------------------------------------------------------------------------
def test_memory_retrieval_fuses_vectors_and_words(tmp_path: Path):
    store = MemoryStore(tmp_path, "hashing")
    store.add("fact", "the parser lives in src/dates.py and uses strptime", "t1")
    store.add("fact", "tests run with pytest -q from the repository root", "t1")
    store.add("lesson", "editing generated files is refused; change the template instead", "t2")
    assert store.add("fact", "tests run with pytest -q from the repository root", "t3") is None  # kept once
    top = store.search("where is the date parser", k=1)
    assert top[0].text.startswith("the parser lives")
    assert "template" in store.context("generated files", 50, ("lesson",))
    store.close()


def test_lessons_persist_and_reach_later_tasks_across_processes(calc_workspace: Path, tmp_path: Path):
    replies = [{"nodes": [node("fix", checks=[ADD_CHECK], max_steps=2)]},
               step("read_file", path="calc.py"), step("finish", summary="done"),
               EDIT_ADD, step("finish", summary="changed a - b into a + b")]
    script = write_script(tmp_path / "s.json", replies)
    (calc_workspace / ".mimo").mkdir(exist_ok=True)
    (calc_workspace / ".mimo" / "config.toml").write_text('[memory]\nembedder = "hashing"\n')
    run = subprocess.run([sys.executable, "-m", "mimo_lsp.cli", "run", "fix add", "-w", str(calc_workspace),
                          "--model", script, "--json", "--yes", "-q"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    task_id = json.loads(run.stdout)["task_id"]
    out = subprocess.run([sys.executable, "-m", "mimo_lsp.cli", "lessons", "-w", str(calc_workspace), "--json"],
                         capture_output=True, text=True, check=True)
    lessons = json.loads(out.stdout)
    assert len(lessons) == 1 and lessons[0]["task_id"] == task_id
    assert "finish rejected" in lessons[0]["text"] and "a + b" in lessons[0]["text"]
    # A later task on the same workspace sees the lesson in its planner prompt.
    later = ScriptedChatModel([{"nodes": [node("again")]}, step("finish", summary="ok")])
    make_task("fix add again", calc_workspace, later, settings(), lambda e: None, confirm=YES).run()
    assert "Lessons and notes" in later.prompts[0][1].content and "a + b" in later.prompts[0][1].content


# -- model roles -------------------------------------------------------------------------------
def test_roles_route_planner_and_judge_to_their_models(calc_workspace: Path, tmp_path: Path):
    planner = write_script(tmp_path / "planner.json", [{"nodes": [node("fix")]}])
    judge = write_script(tmp_path / "judge.json", [{"passed": True, "reason": "fine"}])
    executor = write_script(tmp_path / "executor.json", [EDIT_ADD, step("finish", summary="fixed")])
    layered = load_settings(calc_workspace, {
        "model": {"spec": executor},
        "roles": {"planner": {"spec": planner}, "judge": {"spec": judge, "temperature": 0}},
        "memory": {"embedder": "hashing"}})
    roles = open_role_models(layered)
    assert set(roles) == {"planner", "judge"}
    main = ScriptedChatModel.from_file(Path(executor.split(":", 1)[1]))
    task = make_task("fix add", calc_workspace, main, layered.settings, lambda e: None, roles=roles,
                     criteria=GoalCriteria(criterion="add adds"), confirm=YES)
    result = task.run()
    assert result.outcome == "verified", result.reason
    assert len(roles["planner"].prompts) == 1 and "Goal: fix add" in roles["planner"].prompts[0][1].content
    assert len(roles["judge"].prompts) == 1 and "Criterion: add adds" in roles["judge"].prompts[0][1].content
    assert len(main.prompts) == 2


# -- pause -------------------------------------------------------------------------------------
def test_paused_runner_waits_until_unpaused(calc_workspace: Path):
    import threading

    task = make_task("x", calc_workspace, ScriptedChatModel([{"nodes": [node("n")]}, step("finish", summary="ok")]),
                     settings(), lambda e: None, confirm=YES)
    task.pause()
    done = threading.Event()
    threading.Thread(target=lambda: (task.run(), done.set()), daemon=True).start()
    assert not done.wait(1.0), "a paused task does not step"
    task.unpause()
    assert done.wait(30)


# -- the benchmark harness (framework benchmark, noisy oracle) -------------------------------------
def test_oracle_benchmark_agent_recovers_where_the_baseline_stops(tmp_path: Path):
    from mimo_lsp.bench.long_horizon import run_benchmark

    perfect = run_benchmark(SMALL, 1, 1.0, baseline=True, workers=1)
    assert perfect["completion_rate"] == 1.0 and perfect["baseline"]["completion_rate"] == 1.0
    assert perfect["injected_errors"] == 0
    noisy = run_benchmark(SMALL, 2, 0.8, baseline=True, workers=1)
    assert noisy["injected_errors"] > 0 and noisy["premature_stop_rejections"] > 0
    assert noisy["completion_rate"] == 1.0 and noisy["recovery_rate"] == 1.0
    assert noisy["baseline"]["completion_rate"] < 1.0, "a premature finish ends the naive loop"


def test_bench_cli_writes_the_documented_json(tmp_path: Path):
    out = tmp_path / "r.json"
    run = subprocess.run([sys.executable, "-m", "mimo_lsp.cli", "bench", "long-horizon", "--family", str(SMALL),
                          "--seeds", "1", "--p", "0.9", "--baseline", "--json", str(out), "-q", "--workers", "1"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    data = json.loads(out.read_text())
    for key in ("family", "tasks", "p", "completion_rate", "avg_steps_before_failure", "recovery_rate",
                "premature_stop_rejections", "model_calls", "tokens", "checkpoint_ms_per_step"):
        assert key in data
    assert set(data["baseline"]) >= {"completion_rate", "avg_steps_before_failure", "recovery_rate"}
    assert "complete" in run.stdout  # the table


def test_small_families_are_valid_and_a_corrupted_one_is_not(tmp_path: Path):
    from mimo_lsp.bench.family import validate_family

    for name in ("small_functions.json", "small_migration.json"):
        assert validate_family(SMALL.parent / name) == []
    family = json.loads(SMALL.read_text())
    edit = next(s for n in family["nodes"] for s in n["steps"] if s["tool"] == "edit_file")
    edit["replace"] = edit["replace"].replace("max(", "min(", 1)  # a wrong value the tests must catch
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(family))
    assert validate_family(bad)


def test_resume_after_a_retry_replays_the_rollback_and_later_rollbacks_stay_exact(calc_workspace: Path):
    from mimo_lsp.agent.executor import TaskCancelled
    from mimo_lsp.checkpoints.journal import CheckpointJournal

    replies = [{"nodes": [node("fix", checks=[ADD_CHECK], max_steps=2)]},
               step("edit_file", path="calc.py", search="return a - b", replace="return b - a"),
               step("finish", summary="done"),                      # rejected; budget spent -> rollback 1
               step("write_file", path="junk.txt", content="junk\n"),
               step("finish", summary="done"),                      # rejected; budget spent -> rollback 2
               EDIT_ADD, step("finish", summary="fixed")]

    class CancelAt(ScriptedChatModel):
        def complete(self, messages, **kw):
            if self._next == 4:  # attempt 2 is under way, rollback 1 is journaled: the process "dies" here
                raise TaskCancelled()
            return super().complete(messages, **kw)

    first = make_task("fix add", calc_workspace, CancelAt(replies), settings(), lambda e: None, confirm=YES)
    assert first.run().outcome == "cancelled"
    resumed = make_task("", calc_workspace, ScriptedChatModel(replies), settings(), lambda e: None,
                        task_id=first.task_id, resume=True, confirm=YES)
    result = resumed.run()
    assert result.outcome == "unverified", result.reason
    assert FIXED in (calc_workspace / "calc.py").read_text() and not (calc_workspace / "junk.txt").exists()
    journal = CheckpointJournal(calc_workspace / ".mimo" / "journal.sqlite")
    rollbacks = [a for a in journal.actions(first.task_id) if a.tool == "restore"]
    journal.close()
    assert [a.node_id for a in rollbacks] == ["fix", "fix"], "one journaled rollback per failed attempt"
    assert rollbacks[1].args["checkpoint_id"] == rollbacks[0].id, "attempt 2 started from rollback 1"


async def test_lessons_survive_a_server_restart(calc_workspace: Path, tmp_path: Path):
    from tests.lsp_client import start_client, stop_client

    (calc_workspace / ".mimo").mkdir(exist_ok=True)
    (calc_workspace / ".mimo" / "config.toml").write_text('[memory]\nembedder = "hashing"\n')
    script = write_script(tmp_path / "s.json", [
        {"nodes": [node("fix", checks=[ADD_CHECK])]}, step("finish", summary="done"), EDIT_ADD,
        step("finish", summary="changed a - b into a + b")])
    client = await start_client(calc_workspace)
    try:
        started = await client.command("mimo.task.start", {"goal": "fix add", "model": script})
        done = await client.wait_done(started["taskId"])
        assert done["outcome"] == "unverified" and done["stats"]["nodeRejections"] == 1, done["reason"]
    finally:
        await stop_client(client)
    client = await start_client(calc_workspace)  # a new server process
    try:
        listed = await client.command("mimo.lessons.list", {})
    finally:
        await stop_client(client)
    assert [lesson["taskId"] for lesson in listed["lessons"]] == [started["taskId"]]
    assert "finish rejected" in listed["lessons"][0]["text"]


def test_planner_context_is_the_repo_map_and_matching_code(calc_workspace: Path):
    from mimo_lsp.index.context import context_for
    from mimo_lsp.index.service import IndexService

    service = IndexService()
    try:
        context = context_for(service.searcher(calc_workspace))
        assert context is not None
        model = ScriptedChatModel([{"nodes": [node("n")]}, step("finish", summary="ok")])
        make_task("fix the add function", calc_workspace, model, settings(), lambda e: None, confirm=YES,
                  context=context).run()
    finally:
        service.close()
    prompt = model.prompts[0][1].content
    assert "Repository map" in prompt and "calc.py" in prompt and "add" in prompt
    assert "Code matching the goal:" in prompt and "- calc.py:4-6 add" in prompt
