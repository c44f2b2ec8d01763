"""ScriptedChatModel: a test double that replays a fixed list of replies, in order; and
RoutedScriptedModel, one that answers by plan node (for plan nodes that run at the same time).

Used by deterministic tests and by `mimo run --model scripted:FILE.json` (a JSON list: in order; a JSON
object with "plan" and "nodes": routed) so anyone can replay a run through the real CLI and server. It is
never a default.
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from typing import Any

from mimo_lsp.llm.port import ChatMessage, Completion, ModelError, TokenCallback


class ScriptedChatModel:
    def __init__(self, replies: list[Any], name: str = "scripted") -> None:
        self.name = name
        self._replies = [r if isinstance(r, str) else json.dumps(r) for r in replies]
        self._next = 0
        self._lock = threading.Lock()
        self.prompts: list[list[ChatMessage]] = []
        self.schemas: list[dict[str, Any] | None] = []  # what a grammar-constrained model would be held to

    @classmethod
    def from_file(cls, path: Path) -> "ScriptedChatModel | RoutedScriptedModel":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot read scripted model {path}: {exc}") from exc
        if isinstance(data, dict) and isinstance(data.get("nodes"), dict) and "plan" in data:
            return RoutedScriptedModel(data["plan"], data["nodes"], float(data.get("delay_s", 0.0)),
                                       name=f"scripted:{path}")
        if not isinstance(data, list):
            raise ModelError(f"scripted model {path} must hold a JSON list of replies, or an object with "
                             "\"plan\" and \"nodes\"")
        return cls(data, name=f"scripted:{path}")

    def fast_forward(self, n: int) -> None:
        """Skip replies consumed by an earlier run (a resumed task replays them from its journal)."""
        with self._lock:
            self._next = max(self._next, n)

    def complete(
        self,
        messages: list[ChatMessage],
        *,
        schema: dict[str, Any] | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        on_token: TokenCallback | None = None,
    ) -> Completion:
        with self._lock:
            self.prompts.append(list(messages))
            self.schemas.append(schema)
            if self._next >= len(self._replies):
                raise ModelError(f"scripted model ran out of replies after {len(self._replies)}")
            text = self._replies[self._next]
            self._next += 1
        if on_token is not None:
            for i in range(0, len(text), 16):
                on_token(text[i : i + 16])
        return Completion(text=text, completion_tokens=self.count_tokens(text), finish_reason="stop")

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)


_SUBTASK = re.compile(r"^Sub-task id: (\S+)", re.MULTILINE)


class RoutedScriptedModel:
    """Answers by plan node, so nodes running at the same time each get their own script whatever the
    interleaving: a plan call gets `plan`; an executor call for node X gets `nodes[X][k]`, where k is the
    number of the attempt's earlier turns in the prompt (the reply depends on the prompt alone, so a
    resumed task continues where its lanes stopped); a judge passes; anything else gets "ok". Each call
    takes `delay_s` (a server's latency) and the most calls in flight at once is kept in `peak`."""

    concurrent_calls = True

    def __init__(self, plan: Any, nodes: dict[str, list[Any]], delay_s: float = 0.0, name: str = "scripted") -> None:
        self.name, self.plan, self.delay_s = name, plan, delay_s
        self.nodes = {k: [r if isinstance(r, str) else json.dumps(r) for r in v] for k, v in nodes.items()}
        self._lock = threading.Lock()
        self.in_flight = self.peak = 0

    def complete(self, messages: list[ChatMessage], *, schema: dict[str, Any] | None = None,
                 max_tokens: int | None = None, temperature: float | None = None,
                 on_token: TokenCallback | None = None) -> Completion:
        with self._lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            time.sleep(self.delay_s)
            text = self.reply(messages, (schema or {}).get("title"))
        finally:
            with self._lock:
                self.in_flight -= 1
        if on_token is not None:
            on_token(text)
        return Completion(text=text, completion_tokens=self.count_tokens(text), finish_reason="stop")

    def reply(self, messages: list[ChatMessage], title: str | None) -> str:
        """The scripted answer to these messages (a call's `schema` title says what is asked)."""
        if title == "Plan":
            return self.plan if isinstance(self.plan, str) else json.dumps(self.plan)
        if title == "JudgeVerdict":
            return json.dumps({"passed": True, "reason": "scripted"})
        if title != "AgentStep":
            return "ok"
        found = _SUBTASK.search(next((m.content for m in messages if m.role == "user"), ""))
        script = self.nodes.get(found.group(1) if found else "", [])
        k = sum(1 for m in messages if m.role == "assistant")
        if k >= len(script):
            raise ModelError(f"routed script for node {found.group(1) if found else '?'} ran out at turn {k}")
        return script[k]

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)
