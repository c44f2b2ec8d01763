"""Structured output: JSON-schema-constrained replies, validated by pydantic, re-asked on failure."""

from __future__ import annotations

import json
from typing import Callable, TypeVar

from pydantic import BaseModel, ValidationError

from mimo_lsp.llm.port import ChatMessage, ChatModel, ModelError, TokenCallback

T = TypeVar("T", bound=BaseModel)


class StructuredOutputError(ModelError):
    """The model did not produce a valid object after every retry; carries the last error."""

    def __init__(self, message: str, attempts: list[str]) -> None:
        super().__init__(message)
        self.attempts = attempts


def complete_structured(
    model: ChatModel,
    messages: list[ChatMessage],
    result_type: type[T],
    *,
    retries: int = 2,
    max_tokens: int | None = None,
    temperature: float | None = None,
    on_token: TokenCallback | None = None,
    check: Callable[[T], object] | None = None,
    schema: dict | None = None,
) -> T:
    """Ask for `result_type`; on invalid JSON, schema or `check` failure, show the error and re-ask.
    `schema` narrows what the model may emit (a tighter version of `result_type`'s own schema)."""
    schema = schema or result_type.model_json_schema()
    convo = list(messages)
    errors: list[str] = []
    for _ in range(retries + 1):
        reply = model.complete(convo, schema=schema, max_tokens=max_tokens, temperature=temperature, on_token=on_token)
        try:
            if reply.finish_reason == "length":
                raise ValueError("reply was cut off at the token limit; answer shorter")
            # strict=False: llama.cpp grammars let raw control characters into strings; accept them.
            value = result_type.model_validate(json.loads(reply.text, strict=False))
            if check is not None:
                check(value)
            return value
        except (ValueError, ValidationError) as exc:
            err = _describe(exc)
            errors.append(err)
            convo = convo + [
                ChatMessage(role="assistant", content=reply.text[:2000]),
                ChatMessage(role="user", content=f"That reply was invalid: {err}. Reply again with corrected JSON only."),
            ]
    raise StructuredOutputError(
        f"model gave no valid {result_type.__name__} after {retries + 1} attempts; last error: {errors[-1]}", errors
    )


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "<root>"
        return f"{loc}: {first['msg']} ({exc.error_count()} error(s))"
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON ({exc.msg} at char {exc.pos})"
    return str(exc)
