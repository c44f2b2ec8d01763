"""The long-horizon benchmark's error models, baselines and mutation tool (issue 19).

Deterministic: seeded oracles, small families, a tiny family built in the test for the mutation tool."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from mimo_lsp.bench.errors import ErrorModel, misconceptions, node_success_p, parse_error_model
from mimo_lsp.bench.family import apply_step, load_family, topo_nodes
from mimo_lsp.bench.long_horizon import BASELINES, load_for_bench, run_benchmark, write_files
from mimo_lsp.bench.oracle import NoisyOracle, ReferenceTrace
from mimo_lsp.llm.port import ChatMessage

REPO = Path(__file__).resolve().parents[2]
FAMILIES = REPO / "benchmarks" / "long_horizon" / "families"
SMALL = FAMILIES / "small_functions.json"
STEP = {"title": "AgentStep"}


# -- error models ------------------------------------------------------------------------------
def test_error_model_specs_parse_combine_and_reject_nonsense():
    assert parse_error_model("iid") == ErrorModel() and parse_error_model(None).spec == "iid"
    m = parse_error_model("beta:2+sticky:0.1,0.9")
    assert (m.beta_k, m.sticky_share, m.sticky_q, m.sticky_break, m.sticky_observe) == (2, 0.1, 0.9, 0.5, 0)
    assert m.spec == "beta:2+sticky:0.1,0.9"
    assert parse_error_model("sticky:0.2,1,0.25,0.5").spec == "sticky:0.2,1,0.25,0.5"
    for bad in ("beta:0", "beta", "sticky:0.1", "sticky:2,0.5", "gauss:1", "beta:x"):
        with pytest.raises(ValueError):
            parse_error_model(bad)


def test_beta_node_probabilities_have_mean_p_are_seeded_and_spread_by_k():
    order = [{"id": f"n{i}"} for i in range(4000)]
    wide = node_success_p(parse_error_model("beta:2"), 0.9, order, seed=7)
    assert wide == node_success_p(parse_error_model("beta:2"), 0.9, order, seed=7)
    assert wide != node_success_p(parse_error_model("beta:2"), 0.9, order, seed=8)
    assert abs(statistics.fmean(wide.values()) - 0.9) < 0.01
    # Beta(pK, (1-p)K) has variance p(1-p)/(K+1): 0.03 for K = 2, 0.0009 for K = 99.
    assert abs(statistics.pvariance(wide.values()) - 0.03) < 0.004
    narrow = node_success_p(parse_error_model("beta:99"), 0.9, order, seed=7)
    assert statistics.pvariance(narrow.values()) < 0.002
    assert set(node_success_p(parse_error_model("iid"), 0.9, order, seed=7).values()) == {0.9}


def _oracle(tmp_path: Path, spec: str, p: float = 1.0, seed: int = 3) -> tuple[NoisyOracle, list[dict]]:
    family = load_for_bench(SMALL)
    order = topo_nodes(family)
    write_files(tmp_path, family["files"])
    return NoisyOracle(family, order, tmp_path, p, seed, errors=parse_error_model(spec)), order


def _ask(oracle: NoisyOracle, node_id: str, attempt: int = 1, turns: list[str] = ()) -> dict:
    user = f"Overall goal: g\n\nSub-task id: {node_id}\nYour sub-task: t"
    if attempt > 1:
        user += f"\n\nAttempt {attempt}. Earlier attempts failed and were rolled back"
    messages = [ChatMessage(role="system", content="s"), ChatMessage(role="user", content=user)]
    for t in turns:
        messages += [ChatMessage(role="assistant", content="{}"), ChatMessage(role="user", content=t)]
    return json.loads(oracle.complete(messages, schema=STEP).text)["action"]


def test_misconceptions_are_seeded_wrong_values_of_the_nodes_own_steps(tmp_path: Path):
    family = load_for_bench(SMALL)
    order = topo_nodes(family)
    trace = ReferenceTrace(family, order)
    every = misconceptions(parse_error_model("sticky:1,0.9"), order, trace, seed=1)
    assert set(every) == {n["id"] for n in order}
    assert every == misconceptions(parse_error_model("sticky:1,0.9"), order, trace, seed=1)
    for node_id, m in every.items():
        assert m.node == node_id and m.old != m.new and m.present(trace.final[m.path])
    few = misconceptions(parse_error_model("sticky:0.5,0.9"), order, trace, seed=1)
    assert 0 < len(few) < len(order) or len(order) < 3
    assert misconceptions(parse_error_model("beta:2"), order, trace, seed=1) == {}


def _until_write(oracle: NoisyOracle, node: str, attempt: int = 1) -> dict:
    """Ask in one context (fresh, then with turns) until the model writes."""
    action = _ask(oracle, node, attempt)
    for _ in range(6):
        if action["tool"] in ("write_file", "edit_file"):
            return action
        action = _ask(oracle, node, attempt, turns=["Observation (ok):\n..."])
    raise AssertionError(f"no write: {action}")


def _wrong(m, text: str) -> bool:
    return ("\n" + m.new + "\n") in ("\n" + text + "\n") and not m.present(text)


def test_sticky_misconception_recurs_across_contexts_until_a_retry_breaks_it(tmp_path: Path):
    oracle, order = _oracle(tmp_path, "sticky:1,1,0")  # held in every context, never broken
    node = order[0]["id"]
    m = oracle.misconceptions[node]
    src = tmp_path / m.path
    first = _until_write(oracle, node)
    apply_step(tmp_path, first)
    assert _wrong(m, src.read_text()), "the held misconception is written"
    assert any(e["kind"] == "sticky" for e in oracle.errors)
    # A fresh context of the same node (a replan), and a retry: the wrong version is taken for done.
    assert _ask(oracle, node)["tool"] in ("read_file", "run_command", "finish")
    assert _ask(oracle, node, attempt=2)["tool"] in ("read_file", "run_command", "finish")
    assert _wrong(m, src.read_text()) and not oracle.broken

    # The same task where a retry prompt breaks it for certain (B = 1): the retry repairs the file.
    breaking, _ = _oracle(tmp_path, "sticky:1,1,1")
    apply_step(tmp_path, first)  # the workspace as the first attempt left it
    assert breaking.misconceptions[node] == m and _wrong(m, src.read_text())
    action = _until_write(breaking, node, attempt=2)
    assert node in breaking.broken
    apply_step(tmp_path, action)
    assert m.present(src.read_text()), "the broken misconception is repaired"


def test_a_retry_can_break_a_misconception_it_inherited_in_its_files(tmp_path: Path):
    """Node B rewrites the file node A's misconception is about: B's retry prompt is about that file."""
    oracle, order = _oracle(tmp_path, "sticky:1,1,1")
    first, later = order[0]["id"], order[-1]["id"]
    assert oracle.misconceptions[first].path == oracle.misconceptions[later].path
    _ask(oracle, later)  # attempt 1: no failure summary, nothing breaks
    assert not oracle.broken
    _ask(oracle, later, attempt=2)
    assert {first, later} <= oracle.broken


def test_sticky_q_is_drawn_per_context_not_per_call(tmp_path: Path):
    oracle, order = _oracle(tmp_path, "sticky:1,0.5,0")
    node = order[0]["id"]
    held = []
    for _ in range(400):
        _ask(oracle, node)  # a fresh context each time
        seen = {oracle._held.get(node)}
        for _ in range(4):  # more calls in the same context never redraw it
            _ask(oracle, node, turns=["Observation (ok):\n..."])
            seen.add(oracle._held.get(node))
        assert len(seen - {None}) == 1, "drawn once per context (when first needed)"
        held.append(oracle._held[node])
    assert 0.4 < sum(held) / len(held) < 0.6


def test_a_rejection_in_context_breaks_only_with_probability_o(tmp_path: Path):
    never, order = _oracle(tmp_path, "sticky:1,1,0,0")
    node = order[0]["id"]
    _until_write(never, node)
    for _ in range(20):
        _ask(never, node, turns=["Observation (FAILED):\nfinish rejected: the sub-task's checks fail."])
    assert not never.broken
    always, _ = _oracle(tmp_path, "sticky:1,1,0,1")
    _until_write(always, node)
    assert not always.broken
    _ask(always, node, turns=["Observation (FAILED):\nfinish rejected: the sub-task's checks fail."])
    assert node in always.broken


def test_error_models_are_seeded_tasks_repeat_exactly(tmp_path: Path):
    from mimo_lsp.bench.long_horizon import run_task

    keys = ("steps", "completed", "errors", "error_kinds", "model_calls", "misconceptions", "misconceptions_broken")
    rows = [run_task(str(SMALL), 4, 0.85, "agent", str(tmp_path / f"r{i}"), errors="beta:2+sticky:0.5,0.9")
            for i in range(2)]
    assert [{k: r[k] for k in keys} for r in rows][0] == {k: rows[1][k] for k in keys}
    assert rows[0]["misconceptions"] >= 1


# -- baselines -----------------------------------------------------------------------------------
def test_every_baseline_runs_on_the_same_seeds_and_reports_the_same_keys():
    perfect = run_benchmark(SMALL, 1, 1.0, baselines=["all"], workers=1)
    assert set(perfect["baselines"]) == set(BASELINES) and perfect["error_model"] == "iid"
    agent_keys = {k for k in perfect if k not in ("family", "p", "model", "error_model", "baseline", "baselines", "runs")}
    for name, summary in perfect["baselines"].items():
        assert set(summary) == agent_keys, name
        assert summary["completion_rate"] == 1.0, f"{name} cannot even solve the task with a perfect model"
    assert perfect["baseline"]["completion_rate"] == 1.0  # the old key: the flat loop
    assert sorted({r["seed"] for r in perfect["runs"]}) == [0] and len(perfect["runs"]) == 1 + len(BASELINES)


def test_the_gate_and_the_node_checks_are_what_the_baselines_lack():
    noisy = run_benchmark(SMALL, 2, 0.75, baselines=["flat", "flat_gated", "no_node_checks"], workers=1)
    b = noisy["baselines"]
    assert b["flat"]["premature_stop_rejections"] == 0
    gated = [r for r in noisy["runs"] if r["mode"] == "flat_gated"]
    assert sum(r["rejections"] for r in gated) == b["flat_gated"]["premature_stop_rejections"] > 0
    assert all(r["completed"] for r in gated if r["outcome"] == "finish"), "the gate lets only a done task stop"
    no_checks = [r for r in noisy["runs"] if r["mode"] == "no_node_checks"]
    assert all(r["stats"]["node_rejections"] == 0 for r in no_checks), "no node checks, no node rejections"
    assert noisy["premature_stop_rejections"] > 0


def test_no_recovery_neither_retries_nor_replans():
    r = run_benchmark(SMALL, 2, 0.7, baselines=["no_recovery"], workers=1)
    rows = [x for x in r["runs"] if x["mode"] == "no_recovery"]
    assert all(x["stats"]["retries"] == 0 and x["stats"]["replans"] == 0 for x in rows)
    assert sum(x["stats"]["retries"] + x["stats"]["replans"] for x in r["runs"] if x["mode"] == "agent") > 0


def test_bench_cli_baselines_and_error_model_in_the_json(tmp_path: Path):
    out = tmp_path / "r.json"
    run = subprocess.run([sys.executable, "-m", "mimo_lsp.cli", "bench", "long-horizon", "--family", str(SMALL),
                          "--seeds", "1", "--p", "1.0", "--baseline", "flat_gated", "--baseline", "no_recovery",
                          "--errors", "beta:2+sticky:0.1,0.9", "--json", str(out), "-q", "--workers", "1"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    data = json.loads(out.read_text())
    assert set(data["baselines"]) == {"flat_gated", "no_recovery"} and data["baseline"] is None
    assert data["error_model"] == "beta:2+sticky:0.1,0.9"
    assert "flat_gated" in run.stdout and "no_recovery" in run.stdout
    bad = subprocess.run([sys.executable, "-m", "mimo_lsp.cli", "bench", "long-horizon", "--family", str(SMALL),
                          "--errors", "gauss:1", "-q"], capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown error model" in bad.stderr


# -- the mutation tool ---------------------------------------------------------------------------
TINY_TEST = '''import sys
sys.dont_write_bytecode = True
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from shop import price
{asserts}
'''
WEAK = "assert price.total([2, 3]) > 0"
STRONG = "\n".join(["assert price.total([2, 3]) == 5", "assert price.total([]) == 0",
                    "assert price.discount(100, 10) == 90", "assert price.discount(100, 0) == 100",
                    "assert price.discount(50, 100) == 0", "assert price.discount(50, 15) == 43"])


def _tiny_family(asserts: str) -> dict:
    code = ("def total(prices):\n    return sum(prices)\n\n\n"
            "def discount(cents, percent):\n    return cents - cents * percent // 100\n")
    return {
        "format": 1, "name": "tiny", "description": "d", "instruction": "write shop/price.py",
        "files": {"tests/test_price.py": TINY_TEST.format(asserts=asserts), "README.md": "# shop\n"},
        "goal": {"commands": ["python3 tests/test_price.py"]},
        "nodes": [
            {"id": "price", "title": "price", "depends_on": [], "expected_output": "x", "files": ["shop/*"],
             "checks": [{"command": "python3 tests/test_price.py"}],
             "steps": [{"tool": "write_file", "path": "shop/__init__.py", "content": ""},
                       {"tool": "write_file", "path": "shop/price.py", "content": code},
                       {"tool": "finish", "summary": "s"}]},
            {"id": "docs", "title": "docs", "depends_on": ["price"], "expected_output": "x", "files": ["README.md"],
             "checks": [{"path": "README.md", "contains": "`python3 tests/test_price.py`"}],
             "steps": [{"tool": "write_file", "path": "README.md",
                        "content": "# shop\n\nRun `python3 tests/test_price.py`; `discount` takes 2 arguments.\n"},
                       {"tool": "finish", "summary": "s"}]},
        ],
    }


def _mutate(tmp_path: Path, family: dict) -> dict:
    path = tmp_path / "fam.json"
    path.write_text(json.dumps(family))
    out = tmp_path / "m.json"
    run = subprocess.run([sys.executable, str(REPO / "benchmarks" / "long_horizon" / "mutate.py"), "--family", str(path),
                          "--json", str(out), "-q"], capture_output=True, text=True)
    data = json.loads(out.read_text())
    data["_rc"] = run.returncode
    return data


def test_mutation_tool_finds_a_planted_weak_check_and_passes_a_strengthened_family(tmp_path: Path):
    weak = _mutate(tmp_path, _tiny_family(WEAK))
    assert weak["mutants"] > 5 and weak["_rc"] == 1
    survived = {(s["path"], s["kind"]) for s in weak["survivors"]}
    assert ("shop/price.py", "arith") in survived or ("shop/price.py", "number") in survived
    strong = _mutate(tmp_path, _tiny_family(STRONG))
    code = [s for s in strong["survivors"] if s["path"].endswith(".py")]
    assert code == [] and strong["code"]["score"] == 1.0 and strong["_rc"] == 0
    # The docs line's number ("2 arguments") is not checked by the tiny family: a docs survivor, reported.
    assert any(s["path"] == "README.md" and s["kind"] == "number" for s in strong["survivors"])
    # The checked command is: renaming it in the README is caught.
    assert not any(s["path"] == "README.md" and s["kind"] == "command" for s in strong["survivors"])
    assert set(strong) >= {"mutants", "survivors", "killed", "score", "code", "docs", "by_kind"}


def test_mutants_cover_the_issue_kinds():
    from mimo_lsp.bench.mutation import code_mutants, doc_mutants

    code = code_mutants("def f(xs, base=0):\n    \"\"\"Doc 1.\"\"\"\n    if len(xs) <= 3 and xs[0] == 'a':\n"
                        "        return max(xs) + base\n    return counts.get(v, 0) + 1\n")
    kinds = {m.kind for m in code}
    assert kinds >= {"number", "default", "compare", "bool", "name", "arith", "string"}
    assert any(m.new.strip() == "return counts.get(v, 1) + 1" for m in code)
    assert all(m.line != 1 for m in code), "docstrings are not mutated"
    docs = doc_mutants("Version 2.0.0: run `python3 -m inventory list --tag x` and call `find_user(1)`.\n")
    assert {m.kind for m in docs} == {"number", "name", "command"}


@pytest.mark.parametrize("name", ["small_functions.json", "small_migration.json"])
def test_small_families_have_no_surviving_code_mutant(name: str):
    from mimo_lsp.bench.mutation_run import run_mutants

    result = run_mutants(load_family(FAMILIES / name), workers=2)
    assert result["code"]["survived"] == 0, result["survivors"]
