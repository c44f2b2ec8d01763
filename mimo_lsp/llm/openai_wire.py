"""The OpenAI-compatible wire: model specs, the API key, server-sent events and error bodies. No HTTP client
here (resolution of a spec imports this without httpx)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator
from urllib.parse import urlsplit

from mimo_lsp.config import ModelSettings
from mimo_lsp.llm.port import ModelError

if TYPE_CHECKING:
    import httpx

SPEC_PREFIX = "openai:"


@dataclass(frozen=True)
class OpenAISpec:
    base_url: str  # up to and including /v1, no trailing slash
    model: str | None

    @property
    def root_url(self) -> str:
        """The server's root, where llama.cpp and vLLM serve /tokenize."""
        return self.base_url[: -len("/v1")] if self.base_url.endswith("/v1") else self.base_url


def is_openai_spec(spec: str | None) -> bool:
    return bool(spec) and spec.startswith(SPEC_PREFIX)  # type: ignore[union-attr]


def parse_openai_spec(spec: str, source: str = "") -> OpenAISpec:
    """`openai:URL#MODEL` -> its parts; a clear ModelError naming the spec otherwise (credentials never echoed)."""
    where = f" (from {source})" if source else ""
    url, _, model = spec[len(SPEC_PREFIX):].partition("#")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise ModelError(f"invalid OpenAI-compatible model spec {spec!r}{where}: {exc}") from exc
    if parts.username or parts.password:
        raise ModelError(f"invalid OpenAI-compatible model spec{where}: no credentials in the URL (put the API key "
                         "in an environment variable and name it in model.api_key_env)")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise ModelError(f"invalid OpenAI-compatible model spec {spec!r}{where}: expected "
                         "openai:http://HOST:PORT/v1#MODEL")
    return OpenAISpec(base_url=url.rstrip("/"), model=model.strip() or None)


def api_key_from_env(settings: ModelSettings) -> str | None:
    var = settings.api_key_env
    if not var:
        return None
    key = os.environ.get(var)
    if not key:
        raise ModelError(f"model.api_key_env names the environment variable {var}, which is not set")
    return key


class RetryStatus(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class Unsupported(Exception):
    def __init__(self, what: str, message: str) -> None:
        super().__init__(message)
        self.what = what


def unsupported_what(text: str) -> str | None:
    """Which optional part of the request an error reply complains about, if any."""
    low = text.lower()
    if "response_format" in low or "json_schema" in low:
        return "response_format"
    if "repeat_penalty" in low:
        return "repeat_penalty"
    return None


def error_text(data: Any) -> str:
    err = data.get("error") if isinstance(data, dict) else None
    if isinstance(err, dict):
        return str(err.get("message") or err)[:300]
    if err:
        return str(err)[:300]
    if isinstance(data, dict) and data.get("detail"):
        return str(data["detail"])[:300]
    return json.dumps(data)[:300]


def error_text_of(resp: httpx.Response) -> str:
    try:
        return error_text(resp.json())
    except ValueError:
        return resp.text[:300] or resp.reason_phrase


def sse_data(lines: Iterator[str]) -> Iterator[str]:
    """The `data:` payloads of a server-sent event stream, one per line (every OpenAI-compatible server puts
    one JSON chunk on one line); comments, pings and other fields are skipped."""
    for line in lines:
        field, sep, value = line.partition(":")
        if sep and field == "data":
            yield value[1:] if value.startswith(" ") else value
