"""Journaled model calls and replay: how a resumed task rebuilds its state without redoing work.

Every model reply is journaled. On resume, the recorded replies are served again in order (no
model call) and recorded actions return their recorded observations (no execution); the agent's own
logic runs unchanged over them and arrives exactly where it stopped, then continues live.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from mimo_lsp.checkpoints.journal import ActionRecord, CheckpointJournal
from mimo_lsp.llm.port import ChatMessage, ChatModel, Completion, TokenCallback


class ReplayDiverged(RuntimeError):
    """The agent asked for something the journal did not record: resume cannot be exact."""


class JournaledModel:
    """All model calls of a task, whatever the role, in one journaled sequence.

    `roles` maps a role (planner / executor / judge / summarizer) to its own model; `for_role` gives a
    ChatModel view that routes there (or to the main model) while sharing the sequence and the replay.
    """

    def __init__(self, live: ChatModel, journal: CheckpointJournal, task_id: str, recorded: list[str],
                 roles: dict[str, ChatModel] | None = None) -> None:
        self.live, self.journal, self.task_id = live, journal, task_id
        self.roles = dict(roles or {})
        self.name = live.name
        self._replay = list(recorded)
        self.replayed = 0
        self.calls = 0  # model calls so far, replayed ones included: the journal's sequence
        self.tokens = 0  # prompt + completion tokens of the live calls (the model's own count when it gives one)
        self.last_input_digest = ""  # of the messages of the latest call (for the audit trail)

    @property
    def replaying(self) -> bool:
        return bool(self._replay)

    def for_role(self, role: str) -> "RoleModel":
        return RoleModel(self, role)

    def complete(self, messages: list[ChatMessage], *, schema: dict[str, Any] | None = None,
                 max_tokens: int | None = None, temperature: float | None = None,
                 on_token: TokenCallback | None = None, role: str = "executor") -> Completion:
        self.last_input_digest = hashlib.sha256(
            json.dumps([m.model_dump() for m in messages], sort_keys=True).encode()).hexdigest()
        if self._replay:
            rec = json.loads(self._replay.pop(0))
            self.calls += 1
            self.replayed += 1
            return Completion(text=rec["text"], finish_reason=rec.get("finish_reason"))
        live = self.roles.get(role, self.live)
        if self.replayed and hasattr(live, "fast_forward"):
            # A scripted test double resumes at the reply after the replayed ones.
            live.fast_forward(self.replayed)
            self.replayed = 0
        out = live.complete(messages, schema=schema, max_tokens=max_tokens, temperature=temperature,
                            on_token=on_token)
        self.calls += 1
        self.tokens += (out.prompt_tokens or sum(live.count_tokens(m.content) for m in messages)) + (
            out.completion_tokens or live.count_tokens(out.text))
        self.journal.record_model_call(self.task_id, self.calls, role,
                                       json.dumps({"text": out.text, "finish_reason": out.finish_reason}))
        return out

    def count_tokens(self, text: str, role: str = "executor") -> int:
        return self.roles.get(role, self.live).count_tokens(text)

    def record_remote(self, role: str, reply: dict[str, Any], tokens: int, journal: bool = True) -> None:
        """A call made in another process (a Max Mode candidate on a Ray worker): its tokens count for the task,
        and, journaled, its reply takes its place in the sequence a resumed task replays."""
        self.tokens += tokens
        if journal:
            self.calls += 1
            self.journal.record_model_call(self.task_id, self.calls, role, json.dumps(
                {"text": reply.get("text", ""), "finish_reason": reply.get("finish_reason")}))


class RoleModel:
    """A ChatModel view of one role of a JournaledModel."""

    def __init__(self, journaled: JournaledModel, role: str) -> None:
        self.journaled, self.role = journaled, role
        self.name = journaled.roles.get(role, journaled.live).name

    def complete(self, messages: list[ChatMessage], **kwargs: Any) -> Completion:
        return self.journaled.complete(messages, role=self.role, **kwargs)

    def count_tokens(self, text: str) -> int:
        return self.journaled.count_tokens(text, self.role)

    def record_remote(self, reply: dict[str, Any], tokens: int, journal: bool = True) -> None:
        self.journaled.record_remote(self.role, reply, tokens, journal)


class ActionReplay:
    """Recorded agent actions, served in order while the resumed agent walks its own path again."""

    def __init__(self, actions: list[ActionRecord]) -> None:
        self._queue = list(actions)

    def __bool__(self) -> bool:
        return bool(self._queue)

    def take(self, step: int, tool: str, args: dict[str, Any]) -> ActionRecord | None:
        if not self._queue:
            return None
        rec = self._queue[0]
        if rec.step != step or rec.tool != tool or rec.args != args:
            raise ReplayDiverged(f"resume diverged at step {step}: journal has {rec.tool} {rec.args} "
                                 f"(step {rec.step}), the agent asked for {tool} {args}")
        return self._queue.pop(0)
