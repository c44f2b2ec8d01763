"""Journaled model calls and replay: how a resumed task rebuilds its state without redoing work.

Every model reply is journaled. On resume, the recorded replies are served again in order (no
model call) and recorded actions return their recorded observations (no execution); the agent's own
logic runs unchanged over them and arrives exactly where it stopped, then continues live.

Plan nodes that run at the same time each work in their own *lane* (the node id, set for the thread
that runs it). Their model calls are journaled with the lane, their actions with the node id, so the
journal holds the interleaving and a resumed task serves each lane its own recorded answers in its own
order: how the threads happen to interleave the second time does not matter. The sequential path (lane
"") serves the recorded sequence in order, as before lanes existed.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import threading
from typing import Any, Callable

from mimo_lsp.checkpoints.journal import ActionRecord, CheckpointJournal
from mimo_lsp.llm.port import ChatMessage, ChatModel, Completion, TokenCallback


class ReplayDiverged(RuntimeError):
    """The agent asked for something the journal did not record: resume cannot be exact."""


_LANE = threading.local()


def current_lane() -> str:
    """The plan node this thread works for when nodes run at the same time; "" otherwise."""
    return getattr(_LANE, "name", "")


def set_lane(name: str) -> None:
    _LANE.name = name


def _lane_of(purpose: str) -> str:
    return purpose.partition("@")[2]


class JournaledModel:
    """All model calls of a task, whatever the role, in one journaled sequence.

    `roles` maps a role (planner / executor / judge / summarizer) to its own model; `for_role` gives a
    ChatModel view that routes there (or to the main model) while sharing the sequence and the replay.
    """

    def __init__(self, live: ChatModel, journal: CheckpointJournal, task_id: str,
                 recorded: list[tuple[str, str]], roles: dict[str, ChatModel] | None = None) -> None:
        """`recorded`: (purpose, reply) of the journaled calls in order; purpose is `role[@lane]`."""
        self.live, self.journal, self.task_id = live, journal, task_id
        self.roles = dict(roles or {})
        self.name = live.name
        self._replay = [(_lane_of(purpose), purpose.partition("@")[0], text) for purpose, text in recorded]
        self._lock = threading.Lock()
        self._digest = threading.local()
        self.replayed = 0
        self.calls = 0  # model calls so far, replayed ones included: the journal's sequence
        self.tokens = 0  # prompt + completion tokens of the live calls (the model's own count when it gives one)

    @property
    def replaying(self) -> bool:
        return bool(self._replay)

    @property
    def concurrent_calls(self) -> bool:
        """Whether the executor's backend serves several requests at once (plan nodes may run together)."""
        return bool(getattr(self.roles.get("executor", self.live), "concurrent_calls", False))

    @property
    def last_input_digest(self) -> str:
        """Of the messages of this thread's latest call (for the audit trail)."""
        return getattr(self._digest, "value", "")

    def _take_recorded(self, lane: str) -> str | None:
        with self._lock:
            for i, (rec_lane, _, text) in enumerate(self._replay):
                if rec_lane == lane:
                    del self._replay[i]
                    self.calls += 1
                    self.replayed += 1
                    return text
        return None

    def next_recorded_role(self) -> str | None:
        """The role of this lane's next recorded call (None: the lane is live): a resumed task takes the path
        its first run took (e.g. a plan node made on a Ray worker) whatever is reachable now."""
        lane = current_lane()
        with self._lock:
            return next((role for rec_lane, role, _ in self._replay if rec_lane == lane), None)

    def remote_call(self, role: str, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Work done in another process (a plan node on a Ray worker) as one journaled call of this lane: its
        JSON result is recorded like a model reply (its `tokens` count for the task) and served from the
        journal to a resumed task instead of being done again."""
        lane = current_lane()
        recorded = self._take_recorded(lane) if self._replay else None
        if recorded is not None:
            with self._lock:
                self.replayed -= 1  # not a reply of the live model: a scripted double must not skip one for it
            return dict(json.loads(recorded))
        out = run()
        with self._lock:
            self.calls += 1
            self.tokens += int(out.get("tokens", 0))
            self.journal.record_model_call(self.task_id, self.calls, f"{role}@{lane}" if lane else role,
                                           json.dumps(out))
        return out

    def for_role(self, role: str) -> "RoleModel":
        return RoleModel(self, role)

    def complete(self, messages: list[ChatMessage], *, schema: dict[str, Any] | None = None,
                 max_tokens: int | None = None, temperature: float | None = None,
                 on_token: TokenCallback | None = None, role: str = "executor",
                 repeat_penalty: float | None = None) -> Completion:
        """`repeat_penalty`: passed on to a backend whose `complete` takes one (llama.cpp in process), else
        the backend's own applies."""
        self._digest.value = hashlib.sha256(
            json.dumps([m.model_dump() for m in messages], sort_keys=True).encode()).hexdigest()
        lane = current_lane()
        recorded = self._take_recorded(lane) if self._replay else None
        if recorded is not None:
            rec = json.loads(recorded)
            return Completion(text=rec["text"], finish_reason=rec.get("finish_reason"))
        live = self.roles.get(role, self.live)
        if self.replayed and hasattr(live, "fast_forward"):
            # A scripted test double resumes at the reply after the replayed ones.
            live.fast_forward(self.replayed)
            self.replayed = 0
        extra = {"repeat_penalty": repeat_penalty} if repeat_penalty is not None and _takes(live, "repeat_penalty") \
            else {}
        out = live.complete(messages, schema=schema, max_tokens=max_tokens, temperature=temperature,
                            on_token=on_token, **extra)  # outside the lock: lanes generate at the same time
        used = (out.prompt_tokens or sum(live.count_tokens(m.content) for m in messages)) + (
            out.completion_tokens or live.count_tokens(out.text))
        with self._lock:
            self.calls += 1
            self.tokens += used
            self.journal.record_model_call(self.task_id, self.calls, f"{role}@{lane}" if lane else role,
                                           json.dumps({"text": out.text, "finish_reason": out.finish_reason}))
        return out

    def count_tokens(self, text: str, role: str = "executor") -> int:
        return self.roles.get(role, self.live).count_tokens(text)

    def record_remote(self, role: str, reply: dict[str, Any], tokens: int, journal: bool = True) -> None:
        """A call made in another process (a Max Mode candidate on a Ray worker): its tokens count for the task,
        and, journaled, its reply takes its place in the sequence a resumed task replays."""
        with self._lock:
            self.tokens += tokens
            if journal:
                self.calls += 1
                self.journal.record_model_call(self.task_id, self.calls, role, json.dumps(
                    {"text": reply.get("text", ""), "finish_reason": reply.get("finish_reason")}))


def _takes(model: ChatModel, name: str) -> bool:
    """Whether `model.complete` has this keyword (an optional extra of some backends, not of the port)."""
    try:
        return name in inspect.signature(model.complete).parameters
    except (TypeError, ValueError):  # a callable without a signature
        return False


class RoleModel:
    """A ChatModel view of one role of a JournaledModel."""

    def __init__(self, journaled: JournaledModel, role: str) -> None:
        self.journaled, self.role = journaled, role
        self.name = journaled.roles.get(role, journaled.live).name
        self.concurrent_calls = bool(getattr(journaled.roles.get(role, journaled.live), "concurrent_calls", False))

    def complete(self, messages: list[ChatMessage], **kwargs: Any) -> Completion:
        return self.journaled.complete(messages, role=self.role, **kwargs)

    def count_tokens(self, text: str) -> int:
        return self.journaled.count_tokens(text, self.role)

    def n_params(self) -> int | None:
        """The role's model's parameter count, when its backend knows it (a GGUF in process); else None."""
        count = getattr(self.journaled.roles.get(self.role, self.journaled.live), "n_params", None)
        return count() if callable(count) else None

    def record_remote(self, reply: dict[str, Any], tokens: int, journal: bool = True) -> None:
        self.journaled.record_remote(self.role, reply, tokens, journal)

    def remote_call(self, purpose: str, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        return self.journaled.remote_call(purpose, run)

    def next_recorded_role(self) -> str | None:
        return self.journaled.next_recorded_role()


class ActionReplay:
    """Recorded agent actions, served in order while the resumed agent walks its own path again (each
    lane its own: the actions recorded under its node id)."""

    def __init__(self, actions: list[ActionRecord]) -> None:
        self._queue = list(actions)
        self._lock = threading.Lock()
        self.max_step = max((a.step for a in actions), default=0)

    def __bool__(self) -> bool:
        return bool(self._queue)

    def _next(self, lane: str) -> int | None:
        if not lane:
            return 0 if self._queue else None
        return next((i for i, a in enumerate(self._queue) if a.node_id == lane), None)

    def next_step(self, lane: str) -> int | None:
        """The step of this lane's next recorded action (None: the lane is live)."""
        with self._lock:
            i = self._next(lane)
            return None if i is None else self._queue[i].step

    def take(self, step: int, tool: str, args: dict[str, Any]) -> ActionRecord | None:
        with self._lock:
            i = self._next(current_lane())
            if i is None:
                return None
            rec = self._queue[i]
            if rec.step != step or rec.tool != tool or rec.args != args:
                raise ReplayDiverged(f"resume diverged at step {step}: journal has {rec.tool} {rec.args} "
                                     f"(step {rec.step}), the agent asked for {tool} {args}")
            return self._queue.pop(i)
