"""The OpenAI-compatible backend's HTTP behaviour against a loopback HTTP server that answers the way OpenAI,
vLLM and llama.cpp servers do, including the ways they fail (503, 429, a dropped connection, a refused
response_format, a wrong API key). The real llama.cpp server is exercised in tests/real/test_openai_backend.py;
here are the failures a real server cannot be made to produce on demand."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

import pytest

from mimo_lsp.config import ModelSettings, load_settings
from mimo_lsp.llm.models import resolve_model
from mimo_lsp.llm.openai_compat import OpenAIChatModel
from mimo_lsp.llm.openai_wire import parse_openai_spec
from mimo_lsp.llm.port import ChatMessage, ModelError, ModelUnavailable
from mimo_lsp.llm.structured import complete_structured
from mimo_lsp.safety.trust import set_trust
from mimo_lsp.tools.actions import AgentStep

STEP = {"thought": "look", "action": {"tool": "read_file", "path": "calc.py"}}
Reply = Callable[["Handler", dict[str, Any]], None]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "FakeOpenAI"

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.seen.append(("GET", self.path, dict(self.headers), None))
        if self.path == "/v1/models":
            self.send_json(200, {"object": "list", "data": [{"id": m} for m in self.server.models]})
        else:
            self.send_json(404, {"detail": "Not Found"})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
        self.server.seen.append(("POST", self.path, dict(self.headers), body))
        if self.path == "/v1/chat/completions":
            self.server.next_reply()(self, body)
        elif self.path == "/tokenize" and self.server.tokenize:
            self.send_json(200, {"tokens": list(range(len(body["content"].split())))})
        else:
            self.send_json(404, {"detail": "Not Found"})

    def send_json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(data).encode()
        self.send_response(status)
        for k, v in {"Content-Type": "application/json", "Content-Length": str(len(raw)), **(headers or {})}.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)


class FakeOpenAI(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.seen: list[tuple[str, str, dict[str, str], Any]] = []
        self.models = ["m1"]
        self.replies: list[Reply] = []
        self.tokenize = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def next_reply(self) -> Reply:
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def chats(self) -> list[dict[str, Any]]:
        return [b for m, p, _, b in self.seen if p == "/v1/chat/completions"]


def ok(text: str, usage: tuple[int, int] = (12, 3)) -> Reply:
    return lambda h, body: h.send_json(200, {"choices": [{"message": {"content": text}, "finish_reason": "stop"}],
                                             "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1]}})


def status(code: int, message: str = "busy", headers: dict[str, str] | None = None) -> Reply:
    return lambda h, body: h.send_json(code, {"error": {"message": message}}, headers)


def drop(h: Handler, body: dict[str, Any]) -> None:
    h.close_connection = True
    h.connection.close()  # a connection reset before any answer


def stream(pieces: list[str], usage: tuple[int, int] | None = None, finish: bool = True) -> Reply:
    def reply(h: Handler, body: dict[str, Any]) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(b": ping\n\n")
        for p in pieces:
            h.wfile.write(f"data: {json.dumps({'choices': [{'delta': {'content': p}}]})}\n\n".encode())
        if finish:
            h.wfile.write(f"data: {json.dumps({'choices': [{'delta': {}, 'finish_reason': 'stop'}]})}\n\n".encode())
        if usage:
            h.wfile.write(f"data: {json.dumps({'choices': [], 'usage': {'prompt_tokens': usage[0], 'completion_tokens': usage[1]}})}\n\n".encode())
        h.wfile.write(b"data: [DONE]\n\n")
        h.close_connection = True
    return reply


@pytest.fixture
def fake():
    srv = FakeOpenAI()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def open_model(fake: FakeOpenAI, **kw: Any) -> OpenAIChatModel:
    kw.setdefault("backoff_s", 0.01)
    return OpenAIChatModel(parse_openai_spec(f"openai:{fake.url}#m1"), ModelSettings(), **kw)


MSG = [ChatMessage(role="user", content="hi")]


# -- specs and resolution -------------------------------------------------------------------------
def test_spec_parses_and_resolves_without_contacting_anything():
    spec = parse_openai_spec("openai:http://127.0.0.1:8080/v1/#qwen2.5-coder:7b")
    assert (spec.base_url, spec.model, spec.root_url) == ("http://127.0.0.1:8080/v1", "qwen2.5-coder:7b",
                                                          "http://127.0.0.1:8080")
    assert parse_openai_spec("openai:https://api.example.com/v1").model is None
    resolved = resolve_model("openai:http://127.0.0.1:1/v1#m", source="explicit")
    assert resolved.kind == "openai" and resolved.url == "http://127.0.0.1:1/v1" and resolved.path is None


@pytest.mark.parametrize("spec", ["openai:ftp://host/v1#m", "openai:#m", "openai:http://host:99999/v1#m",
                                  "openai:http://host/v1?key=1#m"])
def test_bad_spec_is_a_clear_error(spec: str):
    with pytest.raises(ModelError, match="invalid OpenAI-compatible model spec"):
        resolve_model(spec, source="workspace config")


def test_credentials_in_the_url_are_refused_and_not_echoed():
    with pytest.raises(ModelError) as err:
        parse_openai_spec("openai:http://user:s3cret@host/v1#m")
    assert "s3cret" not in str(err.value) and "api_key_env" in str(err.value)


# -- workspace trust --------------------------------------------------------------------------------
@pytest.mark.parametrize("url,loosens", [("http://127.0.0.1:8080/v1", False), ("http://localhost:11434/v1", False),
                                         ("http://[::1]:8000/v1", False), ("http://127.0.0.2/v1", False),
                                         ("https://api.openai.com/v1", True), ("http://10.0.0.5:8000/v1", True),
                                         ("http://127.0.0.1.evil.example/v1", True)])
def test_a_workspace_may_choose_only_a_model_server_on_this_machine(tmp_path: Path, url: str, loosens: bool):
    (tmp_path / ".mimo").mkdir()
    (tmp_path / ".mimo" / "config.toml").write_text(f'[model]\nspec = "openai:{url}#m"\n')
    layered = load_settings(tmp_path)
    assert (layered.settings.model.spec is None) == loosens
    assert [i.key for i in layered.trust.ignored] == (["model.spec"] if loosens else [])
    if loosens:
        set_trust(tmp_path, layered.trust.digest)
        assert load_settings(tmp_path).settings.model.spec == f"openai:{url}#m"


def test_a_workspace_cannot_pick_the_api_key_variable(tmp_path: Path):
    (tmp_path / ".mimo").mkdir()
    (tmp_path / ".mimo" / "config.toml").write_text('[model]\napi_key_env = "AWS_SECRET_ACCESS_KEY"\n')
    layered = load_settings(tmp_path)
    assert layered.settings.model.api_key_env is None
    assert [i.key for i in layered.trust.ignored] == ["model.api_key_env"]


# -- HTTP behaviour -----------------------------------------------------------------------------------
def test_usage_counts_and_the_request_body(fake: FakeOpenAI):
    fake.replies = [ok("hello", usage=(40, 2))]
    out = open_model(fake).complete(MSG, max_tokens=50, temperature=0.0)
    assert (out.text, out.prompt_tokens, out.completion_tokens, out.finish_reason) == ("hello", 40, 2, "stop")
    body = fake.chats()[0]
    assert body["model"] == "m1" and body["max_tokens"] == 50 and body["temperature"] == 0.0
    assert body["messages"] == [{"role": "user", "content": "hi"}] and "response_format" not in body


def test_streaming_skips_pings_and_takes_usage_from_the_last_chunk(fake: FakeOpenAI):
    fake.replies = [stream(["a", "b", "c"], usage=(30, 3))]
    pieces: list[str] = []
    out = open_model(fake).complete(MSG, on_token=pieces.append)
    assert pieces == ["a", "b", "c"] and out.text == "abc"
    assert (out.prompt_tokens, out.completion_tokens, out.finish_reason) == (30, 3, "stop")
    assert fake.chats()[0]["stream"] is True


def test_a_stream_cut_off_without_a_finish_reason_is_an_error_not_a_reply(fake: FakeOpenAI):
    # llama_cpp.server (interrupt_requests, its default) ends a streamed reply with [DONE] as soon as another
    # request arrives: half a JSON step taken for a whole one would be a silent failure.
    fake.replies = [stream(['{"thought": "x", "act'], finish=False)]
    with pytest.raises(ModelError, match="interrupt_requests"):
        open_model(fake).complete(MSG, on_token=lambda piece: None)


@pytest.mark.parametrize("failure", [status(503), status(502), status(429, headers={"Retry-After": "0"}), drop])
def test_transient_failures_are_retried(fake: FakeOpenAI, failure: Reply):
    fake.replies = [failure, failure, ok("fine")]
    assert open_model(fake, retries=3).complete(MSG).text == "fine"
    assert len(fake.chats()) == 3


def test_a_server_that_keeps_failing_ends_in_model_unavailable_naming_the_url(fake: FakeOpenAI):
    fake.replies = [status(503, "overloaded")]
    with pytest.raises(ModelUnavailable) as err:
        open_model(fake, retries=2).complete(MSG)
    assert f"{fake.url}/chat/completions" in str(err.value) and "503" in str(err.value)
    assert "overloaded" in str(err.value) and len(fake.chats()) == 3
    assert not isinstance(err.value, ModelError), "an outage must stop the task, not fail a node"


def test_a_client_error_is_not_retried(fake: FakeOpenAI):
    fake.replies = [status(400, "context length exceeded")]
    with pytest.raises(ModelError, match="context length exceeded"):
        open_model(fake).complete(MSG)
    assert len(fake.chats()) == 1


def test_no_server_at_open_is_a_model_error_naming_the_url():
    from tests.real.llama_server import free_port

    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(ModelError) as err:
        OpenAIChatModel.open(f"openai:{url}#m", ModelSettings())
    assert url in str(err.value) and "unreachable" in str(err.value)


def test_unknown_model_and_ambiguous_default(fake: FakeOpenAI):
    with pytest.raises(ModelError, match=r"'m9' is not served at .*; it serves: m1"):
        OpenAIChatModel(parse_openai_spec(f"openai:{fake.url}#m9"), ModelSettings())
    assert OpenAIChatModel(parse_openai_spec(f"openai:{fake.url}"), ModelSettings()).model == "m1"
    fake.models = ["m1", "m2"]
    with pytest.raises(ModelError, match="serves 2 models"):
        OpenAIChatModel(parse_openai_spec(f"openai:{fake.url}"), ModelSettings())


def test_api_key_comes_from_the_named_variable_and_is_never_shown(fake: FakeOpenAI, monkeypatch):
    settings = ModelSettings(spec=f"openai:{fake.url}#m1", api_key_env="MIMO_TEST_KEY")
    with pytest.raises(ModelError, match="MIMO_TEST_KEY, which is not set"):
        OpenAIChatModel.open(settings.spec or "", settings)
    monkeypatch.setenv("MIMO_TEST_KEY", "sk-test-123")
    fake.replies = [ok("fine")]
    model = OpenAIChatModel.open(settings.spec or "", settings)
    model.complete(MSG)
    assert all(h.get("Authorization") == "Bearer sk-test-123" for _, _, h, _ in fake.seen)
    fake.replies = [status(401, "bad key sk-test-123")]
    with pytest.raises(ModelError) as err:
        model.complete(MSG)
    assert "MIMO_TEST_KEY" in str(err.value) and "sk-test-123" not in str(err.value)
    assert "sk-test-123" not in settings.model_dump_json(), "what a task journals"


# -- structured output ----------------------------------------------------------------------------------
def test_json_schema_response_format_when_the_server_takes_it(fake: FakeOpenAI):
    fake.replies = [ok(json.dumps(STEP))]
    step = complete_structured(open_model(fake), MSG, AgentStep)
    assert step.action.tool == "read_file"
    fmt = fake.chats()[0]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["schema"] == AgentStep.model_json_schema()


def test_refused_response_formats_fall_back_and_are_remembered(fake: FakeOpenAI):
    refuse = status(422, "response_format: Input should be 'text' or 'json_object'")
    fake.replies = [refuse, refuse, ok(json.dumps(STEP))]
    model = open_model(fake)
    assert complete_structured(model, MSG, AgentStep).action.tool == "read_file"
    kinds = [b.get("response_format", {}).get("type") for b in fake.chats()]
    assert kinds == ["json_schema", "json_object", None]
    assert "JSON schema" in fake.chats()[2]["messages"][0]["content"], "the schema goes into the prompt"
    fake.replies = [ok(json.dumps(STEP))]
    complete_structured(open_model(fake), MSG, AgentStep)
    assert "response_format" not in fake.chats()[3], "learned per server"


def test_prompt_only_structured_output_is_validated_and_re_asked(fake: FakeOpenAI):
    refuse = status(400, "Unknown parameter: response_format")
    fake.replies = [refuse, refuse, ok("Sure! I will read it."), ok(json.dumps(STEP))]
    step = complete_structured(open_model(fake), MSG, AgentStep, retries=1)
    assert step.action.tool == "read_file"
    assert "invalid" in fake.chats()[-1]["messages"][-1]["content"]


def test_repeat_penalty_is_dropped_when_refused(fake: FakeOpenAI):
    fake.replies = [status(400, "Unrecognized request argument supplied: repeat_penalty"), ok("fine")]
    assert open_model(fake).complete(MSG).text == "fine"
    assert "repeat_penalty" in fake.chats()[0] and "repeat_penalty" not in fake.chats()[1]


# -- token counts ----------------------------------------------------------------------------------------
def test_count_tokens_uses_tokenize_then_falls_back_to_characters(fake: FakeOpenAI):
    model = open_model(fake)
    assert model.count_tokens("one two three") == 3  # the fake tokenizer: one token per word
    assert model.count_tokens("") == 0
    fake.tokenize = False
    other = OpenAIChatModel(parse_openai_spec(f"openai:{fake.url.replace('127.0.0.1', 'localhost')}#m1"),
                            ModelSettings())
    assert other.count_tokens("abcdefghij") == 4  # no tokenizer: ~3 characters per token, rounded up
    assert other._learned["tokenize"] == "chars"
