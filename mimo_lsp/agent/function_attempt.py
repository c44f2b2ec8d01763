"""A plan node attempted in the function format: what a small executor model can follow.

The shipped 135M model cannot drive the agent's JSON tool loop (`AgentStep`), but asked for a function in
a ```python block it sometimes writes one: the format of Max Mode's small-model candidates
(`maxmode/edit_format.py`, whose prompt, parser and splice this reuses). With `agent.node_format` =
function (auto: an executor model under 1B parameters, as `max.format`), a node that changes one file is
attempted as

  read_file FILE    an action: journaled (a resumed task is served the same text), audited
  one model call    the node's sub-task, the goal and the last failed check, over the target function
                    (or the whole file when it is short and no function is named); journaled
  write_file FILE   the reply spliced into the file: the agent's own write action (the policy, the node's
                    files, the unsaved-buffer and changed-since-read guards, checkpoint, audit, review)
  finish            the node's checks first; a failing check rejects it, as for the agent's finish

A failed attempt is rolled back by the orchestrator like an agent attempt. The first try of a node is
greedy, later ones (retries, node-level candidates) are sampled at `max.temperature`. Everything an attempt
decides depends only on journaled answers (the read's observation, the reply, each action's result), so a
resumed task walks it again exactly. Where the format does not fit (no single target file, a file the read
does not show whole, nothing to aim at, a refused write) the node gets the agent loop.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

from mimo_lsp.agent.events import NodeEvent
from mimo_lsp.agent.executor import Attempt, NodeOutcome, TaskCancelled, VerifyFn
from mimo_lsp.agent.plan import PlanNode
from mimo_lsp.agent.prompts import named_paths
from mimo_lsp.llm.port import ChatMessage, ChatModel, ModelError, TokenCallback
from mimo_lsp.maxmode import edit_format as ef
from mimo_lsp.tools.actions import Finish, ReadFile, ToolResult, WriteFile

_GLOB = re.compile(r"[*?\[\]]")
_READ_HEAD = re.compile(r"^(?P<path>.+) \(lines (?P<first>\d+)-(?P<last>\d+) of (?P<total>\d+)\)$")
# "Read app/calc.py": the planner's first node (its prompt's example) only looks at the file.
_LOOK = re.compile(r"^\s*(read|inspect|look at|examine|review|study|open|understand)\b", re.I)
_CHANGE = re.compile(r"\b(fix|implement|add|change|update|write|replace|remove|delete|rename|edit|move|make|"
                     r"create|refactor|convert|migrate)", re.I)
FAILURE_CHARS = 600  # of the last failed check shown to the model


def uses_function_format(setting: str, model: Any) -> bool:
    """`agent.node_format`: function / agent as set; auto = function when the executor model says it has
    fewer than 1B parameters (a GGUF in process; a server or a test double does not say: agent)."""
    if setting != "auto":
        return setting == "function"
    count = getattr(model, "n_params", None)
    return callable(count) and ef.is_small_model(count())


def target_file(node: PlanNode) -> str | None:
    """The one file the node changes: its only `files` entry when that is a plain path (not a glob); with no
    `files` (a small model's plans rarely give any), the one file its title names, else the one file its
    expected output names ("tests/test_x.py passes" names the test, not the file to change, when the title
    names one)."""
    if node.files:
        return node.files[0] if len(node.files) == 1 and not _GLOB.search(node.files[0]) else None
    named = named_paths(node.title) or named_paths(node.expected_output)
    return named[0] if len(named) == 1 else None


def reads_only(node: PlanNode) -> bool:
    """A node whose title only says to look at the file: its attempt is the read, then its checks."""
    return bool(_LOOK.match(node.title)) and not _CHANGE.search(node.title)


def text_of_read(output: str) -> str | None:
    """The file's text from a whole-file `read_file` observation ("PATH (lines 1-N of N)", then "   i| line"),
    or None when the observation is not the whole file (cut at `agent.observation_chars`, an error). Line
    ends come back as "\\n", with one at the end."""
    head, _, body = output.partition("\n")
    m = _READ_HEAD.match(head)
    if m is None or int(m["first"]) != 1 or int(m["last"]) != int(m["total"]):
        return None
    lines = body.split("\n") if int(m["total"]) else []
    if len(lines) != int(m["total"]):
        return None
    out = []
    for i, line in enumerate(lines, start=1):
        prefix = f"{i:>4}| "
        if not line.startswith(prefix):
            return None
        out.append(line[len(prefix):] + "\n")
    return "".join(out)


def last_failure(failures: list[str]) -> str:
    """The latest failed attempt's reason, without the orchestrator's trail of steps."""
    if not failures:
        return ""
    return failures[-1].split(" | last steps: ")[0][-FAILURE_CHARS:]


def instruction(attempt: Attempt) -> str:
    """What the model is asked, before the code: the sub-task, the goal, the last failure."""
    node = attempt.node
    parts = [f"{node.title.rstrip('.')}. Expected: {node.expected_output}"]
    if node.checks:
        parts.append("Checks: " + "; ".join(c.label() for c in node.checks))
    parts.append(f"The whole task: {attempt.goal}")
    failure = last_failure(attempt.failures)
    if failure:
        parts.append(f"The last try failed:\n{failure}")
    return "\n".join(parts)


@dataclass
class FunctionNodes:
    """Function-format attempts for the orchestrator (one per task; lanes share it: each call is one node's)."""

    fx: Any  # TaskEffects
    model: ChatModel  # the task's RoleModel of the executor role
    verify: VerifyFn
    cancel: threading.Event
    pause: threading.Event | None
    setting: str  # agent.node_format
    temperature: float  # max.temperature: every try after a node's first
    repeat_penalty: float  # max.repeat_penalty: a reply that copies code is punished by the JSON calls' 1.15
    max_tokens: int
    max_task_steps: int
    # Nodes the format did not fit (read not whole, nothing to aim at) or whose write was refused: the agent
    # loop from then on (a refusal is an observation it can act on; a second ask would repeat the question).
    unfit: set[str] = field(default_factory=set)

    def target(self, node: PlanNode) -> str | None:
        """The file this node's next attempt rewrites, or None: the agent loop."""
        if node.id in self.unfit or not uses_function_format(self.setting, self.model):
            return None
        return target_file(node)

    def run(self, attempt: Attempt, rel: str, on_token: TokenCallback) -> NodeOutcome | None:
        """One attempt; None when the format turned out not to fit (the caller runs the agent loop)."""
        node, trail = attempt.node, []
        if self.fx.steps() >= self.max_task_steps:
            return NodeOutcome(False, "the task's step budget is exhausted", 0, "task_budget")
        self._wait()
        n = self.fx.next_step()
        read = self.fx.act(node.id, n, ReadFile(tool="read_file", path=rel), f"function format: read {rel}")
        trail.append(f"step {n}: read_file {rel} -> {'ok' if read.ok else 'FAILED'}")
        text = text_of_read(read.output) if read.ok else None
        if text is None:
            self.unfit.add(node.id)
            return None
        if reads_only(node):
            return self._finish(node, f"read {rel}", trail, 1)
        focus = " ".join([node.title, node.expected_output] + [c.label() for c in node.checks])
        try:
            target = ef.find_target(focus, rel, text)
        except ef.EditFormatError:
            self.unfit.add(node.id)
            return None
        temperature = 0.0 if attempt.number == 1 else (
            attempt.temperature if attempt.temperature is not None else self.temperature)
        what = target.name or f"the whole of {rel}"
        self.fx.emit(NodeEvent(task_id="", node_id=node.id, status="running",
                               detail=f"function format: rewriting {what} (temperature {temperature})"))
        messages = [ChatMessage(role=m["role"], content=m["content"])  # type: ignore[arg-type]
                    for m in ef.build_messages(instruction(attempt), rel, text, target,
                                               examples=ef.examples_for(attempt.number))]
        if self.cancel.is_set():
            raise TaskCancelled()
        # Through the task's RoleModel: passed on to a backend that takes it (llama.cpp in process).
        penalty: dict[str, Any] = {"repeat_penalty": self.repeat_penalty}
        try:
            reply = self.model.complete(messages, max_tokens=self.max_tokens, temperature=temperature,
                                        on_token=on_token, **penalty)
        except ModelError as exc:
            return NodeOutcome(False, f"model error: {exc}", 1, "error", 0, trail)
        try:
            applied = ef.apply_reply(rel, text, reply.text, target)
        except ef.EditFormatError as exc:
            trail.append(f"reply unusable: {exc}")
            return NodeOutcome(False, f"unusable reply for {what}: {exc}", 1, "error", 0, trail)
        if applied.text == text:
            return NodeOutcome(False, f"the reply leaves {what} as it was", 1, "error", 0, trail)
        if self.fx.steps() >= self.max_task_steps:
            return NodeOutcome(False, "the task's step budget is exhausted", 1, "task_budget", 0, trail)
        rewrote = ", ".join(applied.replaced) or rel
        n = self.fx.next_step()
        done = self.fx.act(node.id, n, WriteFile(tool="write_file", path=rel, content=applied.text),
                           f"function format (try {attempt.number}): rewrote {rewrote} in {rel}")
        trail.append(f"step {n}: write_file {rel} ({rewrote}) -> {'ok' if done.ok else 'FAILED'}")
        if not done.ok:
            refused = done.output.startswith("refused")
            if refused:
                self.unfit.add(node.id)
            return NodeOutcome(False, f"writing {rel}: {done.output[:300]}", 2, "refused" if refused else "error",
                               0, trail)
        return self._finish(node, f"rewrote {rewrote} in {rel}", trail, 2)

    def _finish(self, node: PlanNode, summary: str, trail: list[str], steps: int) -> NodeOutcome:
        """The agent's finish: the node's checks first, journaled as the finish's result when they fail."""
        n = self.fx.next_step()
        ok, evidence = self.verify(node, n)
        preset = None if ok else ToolResult(ok=False, output=f"finish rejected: the sub-task's checks fail.\n{evidence}")
        done = self.fx.act(node.id, n, Finish(tool="finish", summary=summary), "function format: the checks decide",
                           preset)
        trail.append(f"step {n}: finish -> {'ok' if done.ok else 'FAILED'}")
        if done.ok:
            return NodeOutcome(True, summary, steps + 1, "ok", 0, trail)
        return NodeOutcome(False, f"{summary}, but the checks fail: {evidence}", steps + 1, "checks", 0 if ok else 1,
                           trail)

    def _wait(self) -> None:
        while self.pause is not None and self.pause.is_set() and not self.cancel.is_set():
            self.cancel.wait(0.2)
        if self.cancel.is_set():
            raise TaskCancelled()
