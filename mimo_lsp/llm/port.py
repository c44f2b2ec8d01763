"""The ChatModel port: the only thing the agent core knows about models."""

from __future__ import annotations

from typing import Any, Callable, Literal, Protocol

from pydantic import BaseModel

TokenCallback = Callable[[str], None]


class ModelError(RuntimeError):
    """A model could not be found, loaded or run. The message names the file or cause."""


class ModelUnavailable(RuntimeError):
    """A model server could not be reached (refused, reset, timed out, 5xx after retries); the message names
    the URL. Nothing is wrong with the task: it stops, and `mimo resume` continues it once the server is back.

    Deliberately not a ModelError: the agent degrades gracefully on a ModelError (the node fails and is
    retried, a summary is skipped, lessons are drawn), which would turn an outage into a wrong "failed" outcome
    and false lessons. This one passes through the agent and ends the task with the URL in its reason."""


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class Completion(BaseModel):
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # "stop" | "length" | ...: "length" means the reply was cut, so JSON may be partial.
    finish_reason: str | None = None


class ChatModel(Protocol):
    name: str

    def complete(
        self,
        messages: list[ChatMessage],
        *,
        schema: dict[str, Any] | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        on_token: TokenCallback | None = None,
    ) -> Completion:
        """One chat completion. With `schema`, output is constrained to that JSON schema."""
        ...

    def count_tokens(self, text: str) -> int: ...
