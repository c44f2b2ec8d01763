"""The OpenAI-compatible backend against a REAL llama.cpp server (`python -m llama_cpp.server`) on the shipped
GGUF: the same checks as in process (streaming, cancel, structured output, a plan and tool calls through
`mimo run`), plus what only a server has (usage, /tokenize, an unknown model name, an outage and resume)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mimo_lsp.agent.executor import TaskCancelled
from mimo_lsp.config import ModelSettings, load_settings
from mimo_lsp.llm.factory import open_role_models
from mimo_lsp.llm.models import resolve_model
from mimo_lsp.llm.openai_compat import OpenAIChatModel
from mimo_lsp.llm.port import ChatMessage, ModelError
from mimo_lsp.llm.structured import complete_structured
from mimo_lsp.tools.actions import TOOL_NAMES, AgentStep
from tests.conftest import REPO, python_check
from tests.real.caps import SMALL_MODEL_CAPS
from tests.real.llama_server import ALIAS, LlamaServer, free_port

pytestmark = pytest.mark.real_model

GOAL = "Fix the add function in calc.py so that the tests pass"


@pytest.fixture(scope="module")
def model(server: LlamaServer) -> OpenAIChatModel:
    return OpenAIChatModel.open(server.spec, ModelSettings())


@pytest.fixture
def capped(calc_workspace: Path) -> Path:
    (calc_workspace / ".mimo").mkdir(exist_ok=True)
    (calc_workspace / ".mimo" / "config.toml").write_text(SMALL_MODEL_CAPS)
    return calc_workspace


def mimo(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mimo_lsp.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})


def test_streaming_tokens_arrive_and_add_up(model: OpenAIChatModel):
    pieces: list[str] = []
    out = model.complete([ChatMessage(role="user", content="Name three colors.")], max_tokens=24,
                         on_token=pieces.append)
    assert len(pieces) >= 3
    assert "".join(pieces) == out.text and out.text.strip()
    assert out.finish_reason in ("stop", "length")


def test_token_counts_come_from_the_server(model: OpenAIChatModel):
    import llama_cpp

    out = model.complete([ChatMessage(role="user", content="Name three colors.")], max_tokens=24)
    assert 0 < out.completion_tokens <= 24, "usage.completion_tokens, capped by max_tokens"
    assert out.prompt_tokens > model.count_tokens("Name three colors."), "the chat template adds tokens"
    # count_tokens is the server's tokenizer (llama-cpp-python: /extras/tokenize), not the character estimate.
    vocab = llama_cpp.Llama(model_path=str(resolve_model(None).file), vocab_only=True, verbose=False)
    text = "def add(a, b):\n    return a - b  # naïve"
    assert model.count_tokens(text) == len(vocab.tokenize(text.encode("utf-8"), special=True))
    assert model.count_tokens(text) != -(-len(text) // 3)


def test_cancel_from_the_callback_closes_the_stream(model: OpenAIChatModel, server: LlamaServer):
    seen: list[str] = []

    def cancel_after_three(piece: str) -> None:
        seen.append(piece)
        if len(seen) == 3:
            raise TaskCancelled()  # what the agent's TokenBatcher raises on cancel

    before = server.log_text().count("Disconnected from client")
    with pytest.raises(TaskCancelled):
        model.complete([ChatMessage(role="user", content="Write a long story about a dragon.")], max_tokens=1000,
                       on_token=cancel_after_three)
    assert len(seen) == 3
    deadline = time.monotonic() + 30
    while server.log_text().count("Disconnected from client") == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.log_text().count("Disconnected from client") == before + 1, "the server saw the client go"
    again = model.complete([ChatMessage(role="user", content="Say yes.")], max_tokens=8)
    assert again.completion_tokens > 0


def test_schema_constrained_agent_step_is_valid(model: OpenAIChatModel):
    step = complete_structured(model, [
        ChatMessage(role="system", content="Reply with one JSON tool call."),
        ChatMessage(role="user", content="Read the file calc.py."),
    ], AgentStep, max_tokens=200)
    assert step.action.tool in TOOL_NAMES
    # llama-cpp-python's server refuses {"type": "json_schema"}: the backend fell back to json_object + schema.
    assert model._learned["schema_mode"] == 1


def test_an_unknown_model_name_fails_naming_the_url(server: LlamaServer):
    with pytest.raises(ModelError) as err:
        OpenAIChatModel.open(f"openai:{server.url}#no-such-model", ModelSettings())
    assert server.url in str(err.value) and "no-such-model" in str(err.value) and ALIAS in str(err.value)


def test_a_role_can_use_the_server(server: LlamaServer, tmp_path: Path):
    roles = open_role_models(load_settings(tmp_path, {"roles": {"judge": {"spec": server.spec, "max_tokens": 64}}}))
    assert set(roles) == {"judge"} and isinstance(roles["judge"], OpenAIChatModel)
    assert roles["judge"].name == f"{ALIAS}@{server.url}"


def test_cli_fails_cleanly_when_no_server_listens(capped: Path):
    url = f"http://127.0.0.1:{free_port()}/v1"
    proc = mimo("run", "--workspace", str(capped), "--json", "--quiet", "--model", f"openai:{url}#x", GOAL)
    assert proc.returncode == 2, proc.stderr
    assert url in proc.stderr and "unreachable" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.timeout(600)
def test_cli_main_job_json_through_the_server(server: LlamaServer, capped: Path):
    before = server.completions()
    proc = mimo("run", "--workspace", str(capped), "--json", "--quiet", "--model", server.spec,
                "--check", python_check(), GOAL)
    result = json.loads(proc.stdout)
    assert result["outcome"] in ("verified", "failed"), result["reason"]
    assert proc.returncode == (0 if result["outcome"] == "verified" else 1)
    assert result["plan"], result["reason"]
    assert server.completions() - before >= result["stats"]["model_calls"] > 0, "every model call went to the server"
    assert "unreachable" not in result["reason"], result["reason"]


@pytest.mark.timeout(900)
def test_outage_mid_task_fails_naming_the_url_then_resume_runs_to_the_end(tmp_path: Path, capped: Path):
    srv = LlamaServer(tmp_path / "server.log").start()
    try:
        run = subprocess.Popen([sys.executable, "-m", "mimo_lsp.cli", "run", "--workspace", str(capped), "--json",
                                "--quiet", "--model", srv.spec, "--check", python_check(), GOAL],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                               env={**os.environ, "PYTHONPATH": str(REPO)})
        deadline = time.monotonic() + 300
        while srv.completions() < 3 and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert run.poll() is None, "the task ended before the outage"
        srv.kill()
        out, err = run.communicate(timeout=300)
        first = json.loads(out)
        assert first["outcome"] == "failed"
        assert srv.url in first["reason"] and "unreachable" in first["reason"], first["reason"]
        assert first["stats"]["lessons"] == 0, "an outage teaches nothing"

        srv.start()
        served_before = srv.completions()
        proc = mimo("resume", first["task_id"], "--workspace", str(capped), "--json", "--quiet")
        result = json.loads(proc.stdout)
        assert result["task_id"] == first["task_id"]
        assert result["outcome"] in ("verified", "failed"), result["reason"]
        assert "unreachable" not in result["reason"], result["reason"]
        assert srv.completions() > served_before, "the resumed task asked the server again"
    finally:
        srv.stop()
