"""OpenAI-compatible backend: the ChatModel port over HTTP (llama.cpp's servers, vLLM, Ollama, LM Studio, OpenAI).

Spec: `openai:http://127.0.0.1:8080/v1#model-name` (the `#model-name` may be left out when the server serves
one model). The API key, when one is needed, is read from the environment variable named by
`model.api_key_env`; it is never part of a config file, the journal or an error message.

What differs between servers is found out, not configured, and remembered per server:
- structured output: `response_format` `{"type": "json_schema", ...}` (OpenAI, vLLM, llama-server, LM Studio,
  Ollama) first, then `{"type": "json_object", "schema": ...}` (llama-cpp-python's server), then the schema in
  the prompt alone; structured.py validates every reply and re-asks either way;
- token counts: the reply's `usage` when given; `count_tokens` via `/tokenize` (llama-server, vLLM) or
  `/extras/tokenize` (llama-cpp-python), else an estimate of one token per 3 characters (an over-estimate for
  English and code, so context budgets stay on the safe side);
- llama.cpp's `repeat_penalty` is sent, and dropped if the server rejects it.
"""

from __future__ import annotations

import json
import math
import os
import random
import threading
import time
from collections import OrderedDict
from typing import Any

import httpx

from mimo_lsp.config import ModelSettings
from mimo_lsp.llm.openai_wire import (OpenAISpec, RetryStatus, Unsupported, api_key_from_env, error_text,
                                      error_text_of, parse_openai_spec, sse_data, unsupported_what)
from mimo_lsp.llm.port import ChatMessage, Completion, ModelError, ModelUnavailable, TokenCallback

RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
# Connection refused / reset / dropped mid-reply: worth another try. A read timeout is not (the server is busy
# generating; asking again doubles its load), nor is anything the server answered with a 4xx.
RETRY_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadError, httpx.WriteError,
                httpx.RemoteProtocolError, httpx.PoolTimeout)
SCHEMA_MODES = ("json_schema", "json_object", "prompt")
CHARS_PER_TOKEN = 3

# What was learned about each server (keyed by base URL + model) lives as long as the process.
_LEARNED: dict[tuple[str, str], dict[str, Any]] = {}
_LEARNED_LOCK = threading.Lock()


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


class OpenAIChatModel:
    """A chat model served over the OpenAI chat-completions API. Thread-safe (httpx.Client is)."""

    # The server takes several requests at once (how many it really serves together is its own setting:
    # llama-server's --parallel, vLLM's batching); independent plan nodes may call it concurrently.
    concurrent_calls = True

    def __init__(self, spec: OpenAISpec, settings: ModelSettings, *, api_key: str | None = None,
                 timeout_s: float | None = None, connect_timeout_s: float = 10.0, retries: int | None = None,
                 backoff_s: float = 0.5, transport: httpx.BaseTransport | None = None) -> None:
        self.spec, self.settings = spec, settings
        self.base_url = spec.base_url
        self.timeout_s = timeout_s if timeout_s is not None else _env_float("MIMO_OPENAI_TIMEOUT_S", 300.0)
        self.retries = retries if retries is not None else int(_env_float("MIMO_OPENAI_RETRIES", 3))
        self.backoff_s = backoff_s
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(headers=headers, transport=transport,
                                    timeout=httpx.Timeout(self.timeout_s, connect=connect_timeout_s))
        self.model = self._check_model(spec.model)
        self.name = f"{self.model}@{self.base_url}"
        self._learned = self._learned_for(self.model)
        self._count_cache: OrderedDict[str, int] = OrderedDict()
        self._count_lock = threading.Lock()

    @classmethod
    def open(cls, spec: str, settings: ModelSettings, source: str = "") -> "OpenAIChatModel":
        """Checks the server and the model name now: a task that cannot start fails before it starts."""
        try:
            return cls(parse_openai_spec(spec, source), settings, api_key=api_key_from_env(settings))
        except ModelUnavailable as exc:
            raise ModelError(str(exc)) from exc

    def close(self) -> None:
        self._client.close()

    def _learned_for(self, model: str) -> dict[str, Any]:
        with _LEARNED_LOCK:
            return _LEARNED.setdefault((self.base_url, model), {"schema_mode": 0, "extras": True, "tokenize": None})

    # -- the model name ------------------------------------------------------------------------
    def _check_model(self, wanted: str | None) -> str:
        """Ask the server which models it serves: an unknown name fails here, naming the URL, instead of being
        silently served by another model (llama-cpp-python's server does that)."""
        url = f"{self.base_url}/models"
        resp = self._request("GET", url, None)
        if resp.status_code == 404:  # a server without /models: trust the name
            if wanted is None:
                raise ModelError(f"{url} does not list its models: give the model name as openai:{self.base_url}#NAME")
            return wanted
        self._raise_for_status(resp, url)
        try:
            ids = [str(m["id"]) for m in resp.json().get("data", [])]
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ModelError(f"{url} is not an OpenAI-compatible model list: {exc}") from exc
        if wanted is None:
            if len(ids) != 1:
                raise ModelError(f"{self.base_url} serves {len(ids)} models ({', '.join(ids) or 'none'}): name one "
                                 f"as openai:{self.base_url}#NAME")
            return ids[0]
        if wanted not in ids:
            raise ModelError(f"model '{wanted}' is not served at {self.base_url}; it serves: {', '.join(ids) or 'none'}")
        return wanted

    # -- completions ---------------------------------------------------------------------------
    def complete(
        self,
        messages: list[ChatMessage],
        *,
        schema: dict[str, Any] | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        on_token: TokenCallback | None = None,
    ) -> Completion:
        while True:
            mode = SCHEMA_MODES[self._learned["schema_mode"]] if schema is not None else None
            extras = self._learned["extras"]
            body = self._body(messages, schema, mode, extras, max_tokens, temperature, stream=on_token is not None)
            try:
                return self._post_chat(body, on_token)
            except Unsupported as exc:
                # The server refused part of the request: drop it and ask again (remembered for this server).
                if exc.what == "response_format" and mode is not None and mode != "prompt":
                    self._learned["schema_mode"] = SCHEMA_MODES.index(mode) + 1
                elif exc.what == "repeat_penalty" and extras:
                    self._learned["extras"] = False
                else:
                    raise ModelError(str(exc)) from None

    def _body(self, messages: list[ChatMessage], schema: dict[str, Any] | None, mode: str | None, extras: bool,
              max_tokens: int | None, temperature: float | None, *, stream: bool) -> dict[str, Any]:
        msgs = [m.model_dump() for m in messages]
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": max_tokens or self.settings.max_tokens,
            "temperature": self.settings.temperature if temperature is None else temperature,
            "seed": self.settings.seed,
        }
        if extras and self.settings.repeat_penalty != 1.0:
            body["repeat_penalty"] = self.settings.repeat_penalty
        if schema is not None:
            if mode == "json_schema":
                body["response_format"] = {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema}}
            elif mode == "json_object":
                body["response_format"] = {"type": "json_object", "schema": schema}
            else:  # no server-side constraint: say it in the prompt; the caller validates and re-asks
                note = ("Reply with one JSON object, and nothing else, that matches this JSON schema:\n"
                        + json.dumps(schema, separators=(",", ":")))
                if msgs and msgs[0]["role"] == "system":  # chat templates want one system message, first
                    msgs[0] = {"role": "system", "content": f"{msgs[0]['content']}\n\n{note}"}
                else:
                    msgs.insert(0, {"role": "system", "content": note})
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        body["messages"] = msgs
        return body

    def _post_chat(self, body: dict[str, Any], on_token: TokenCallback | None) -> Completion:
        url = f"{self.base_url}/chat/completions"
        if on_token is None:
            resp = self._request("POST", url, body)
            self._raise_for_status(resp, url)
            return self._parse_reply(resp, url)
        return self._with_retries(url, lambda: self._stream_once(url, body, on_token))

    def _parse_reply(self, resp: httpx.Response, url: str) -> Completion:
        try:
            out = resp.json()
            choice = out["choices"][0]
            usage = out.get("usage") or {}
            text = (choice.get("message") or {}).get("content") or ""
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise ModelError(f"{url} gave a reply that is not a chat completion: {exc}: {resp.text[:200]}") from exc
        return Completion(text=text, prompt_tokens=usage.get("prompt_tokens") or 0,
                          completion_tokens=usage.get("completion_tokens") or self.count_tokens(text),
                          finish_reason=choice.get("finish_reason"))

    def _stream_once(self, url: str, body: dict[str, Any], on_token: TokenCallback) -> Completion:
        parts: list[str] = []
        finish: str | None = None
        usage: dict[str, Any] = {}
        # Leaving this block for any reason (the callback raising to cancel included) closes the response and its
        # connection: the server sees the client go and stops generating.
        with self._client.stream("POST", url, json=body) as resp:
            if resp.status_code >= 400:
                resp.read()
                self._raise_for_status(resp, url)
            for data in sse_data(resp.iter_lines()):
                if data == "[DONE]":
                    break
                try:
                    chunk = json.loads(data)
                except ValueError as exc:
                    raise ModelError(f"{url} streamed a line that is not JSON: {data[:200]}") from exc
                if isinstance(chunk, dict) and chunk.get("error"):
                    raise ModelError(f"{url} failed mid-reply: {error_text(chunk)}")
                usage = chunk.get("usage") or usage
                for choice in chunk.get("choices") or []:
                    piece = (choice.get("delta") or {}).get("content") or ""
                    if piece:
                        parts.append(piece)
                        on_token(piece)
                    finish = choice.get("finish_reason") or finish
        text = "".join(parts)
        if finish is None:
            raise ModelError(f"{url} ended the streamed reply without a finish reason after {len(text)} characters: "
                             "it was cut off. llama-cpp-python's server does that to a reply whenever another "
                             "request arrives: start it with --interrupt_requests False (docs/models.md)")
        return Completion(text=text, prompt_tokens=usage.get("prompt_tokens") or 0,
                          completion_tokens=usage.get("completion_tokens") or self.count_tokens(text),
                          finish_reason=finish)

    # -- HTTP: retries and errors ----------------------------------------------------------------
    def _request(self, method: str, url: str, body: dict[str, Any] | None) -> httpx.Response:
        def once() -> httpx.Response:
            resp = self._client.request(method, url, json=body)
            if resp.status_code in RETRY_STATUS and not unsupported_what(resp.text):
                raise RetryStatus(resp)
            return resp

        return self._with_retries(url, once)

    def _with_retries(self, url: str, call: Any) -> Any:
        attempts = self.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return call()
            except RetryStatus as exc:
                if attempt == attempts:
                    if exc.response.status_code == 429:
                        raise ModelUnavailable(f"{url} is rate-limiting (429) after {attempts} attempts") from None
                    raise ModelUnavailable(f"{url} answered {exc.response.status_code} after {attempts} attempts: "
                                           f"{error_text_of(exc.response)}") from None
                self._sleep(attempt, exc.response.headers.get("retry-after"))
            except httpx.ReadTimeout as exc:
                raise ModelUnavailable(f"{url} sent nothing for {self.timeout_s:.0f} s ({type(exc).__name__}); "
                                       "raise MIMO_OPENAI_TIMEOUT_S for a slow server") from exc
            except RETRY_ERRORS as exc:
                if attempt == attempts:
                    raise ModelUnavailable(f"model server {url} is unreachable after {attempts} attempts: "
                                           f"{type(exc).__name__}: {exc or 'connection failed'}") from exc
                self._sleep(attempt, None)
            except httpx.HTTPError as exc:  # anything else httpx raises (bad URL, protocol): no retry
                raise ModelError(f"request to {url} failed: {type(exc).__name__}: {exc}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _sleep(self, attempt: int, retry_after: str | None) -> None:
        delay = self.backoff_s * (2 ** (attempt - 1))
        if retry_after:
            try:
                delay = max(delay, float(retry_after))
            except ValueError:
                pass
        time.sleep(min(30.0, delay) * (1 + random.random() * 0.25))

    def _raise_for_status(self, resp: httpx.Response, url: str) -> None:
        status = resp.status_code
        if status < 400:
            return
        text = resp.text
        what = unsupported_what(text)
        if what:
            raise Unsupported(what, f"{url} rejected {what} ({status}): {error_text_of(resp)}")
        if status in (401, 403):
            hint = (f"the key in ${self.settings.api_key_env} (model.api_key_env) was refused"
                    if self.settings.api_key_env else "set model.api_key_env to the variable that holds the API key")
            raise ModelError(f"{url} refused the request ({status}): {hint}")
        if status == 404:
            if "model" in text.lower():
                raise ModelError(f"model '{self.spec.model}' is unknown at {self.base_url} (404): {error_text_of(resp)}")
            raise ModelError(f"{url} not found (404): is {self.base_url} the server's OpenAI-compatible /v1 URL?")
        if status in RETRY_STATUS:
            raise ModelUnavailable(f"{url} answered {status}: {error_text_of(resp)}")
        raise ModelError(f"{url} rejected the request ({status}): {error_text_of(resp)}")

    # -- tokens ------------------------------------------------------------------------------------
    def count_tokens(self, text: str) -> int:
        """The server's tokenizer when it has one, else ~3 characters per token. Never raises: a count is an
        estimate for context budgets, and a down server shows up in the next completion instead."""
        if not text:
            return 0
        with self._count_lock:
            if text in self._count_cache:
                self._count_cache.move_to_end(text)
                return self._count_cache[text]
        n = self._server_count(text)
        if n is None:
            return max(1, math.ceil(len(text) / CHARS_PER_TOKEN))
        with self._count_lock:
            self._count_cache[text] = n
            if len(self._count_cache) > 4096:
                self._count_cache.popitem(last=False)
        return n

    def _server_count(self, text: str) -> int | None:
        routes = {
            # llama-server: {"content"}; vLLM: {"model", "prompt"}; both answer {"tokens": [...]}.
            "tokenize": (f"{self.spec.root_url}/tokenize", {"model": self.model, "content": text, "prompt": text,
                                                             "add_special": False, "add_special_tokens": False}),
            # llama-cpp-python's server.
            "extras": (f"{self.spec.root_url}/extras/tokenize", {"model": self.model, "input": text}),
        }
        known = self._learned["tokenize"]
        if known == "chars":
            return None
        for name in ([known] if known else list(routes)):
            url, body = routes[name]
            try:
                resp = self._client.post(url, json=body, timeout=10.0)
            except httpx.HTTPError:
                return None  # down or slow: estimate this once, try the server again next time
            if resp.status_code == 200:
                try:
                    data = resp.json()
                    n = int(data["count"]) if "count" in data else len(data["tokens"])
                except (ValueError, TypeError, KeyError):
                    continue
                self._learned["tokenize"] = name
                return n
            if resp.status_code in (401, 403) or resp.status_code >= 500:
                return None
        self._learned["tokenize"] = "chars"
        return None
