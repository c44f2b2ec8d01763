"""ScriptedChatModel: a test double that replays a fixed list of replies, in order.

Used by deterministic tests and by `mimo run --model scripted:FILE.json` so anyone can replay a run
through the real CLI and server. It is never a default.
"""

from __future__ import annotations

import json
import threading
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
    def from_file(cls, path: Path) -> "ScriptedChatModel":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot read scripted model {path}: {exc}") from exc
        if not isinstance(data, list):
            raise ModelError(f"scripted model {path} must hold a JSON list of replies")
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
