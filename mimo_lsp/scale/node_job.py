"""One plan node as a self-contained job: what a Ray worker gets, what it does, what it sends back.

No Ray here (`ray_pool.py` is the glue): a job is plain data and `run_node_job` runs in any process.

What a worker gets: the node (its title, contract, checks), the goal, the plan as the coordinator sees it,
the memory excerpt and earlier failures, the executor's `openai:` spec (the shared inference server), the
policy's rules, the sandbox settings and the limits, plus the bytes of the selected files (one snapshot per
group of nodes, shared by reference).

What it does: the node's attempts (`agent.node_retries` + 1), each from a fresh scratch tree built from the
snapshot, with the same ReAct runner as in process (`NodeRunner`), the node's contract (writes outside its
files refused), its checks gating `finish`, commands sandboxed without network. The policy decides every
action as in process; what it would ask the user about is refused here (a worker cannot ask), and the
coordinator runs such a node again in process, where the question can be asked.

What it sends back (JSON-able: the coordinator journals it as one call of the node's lane): ok, the changed
files' new text within the node's files and the hashes they started from, steps, attempts, failures, tokens;
`kind` "worker" when the worker itself failed (its model server down, say), not the node.
It never touches the user's tree: the coordinator applies the result through its checkpointed path.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mimo_lsp.agent.checks import evaluate_checks, run_check
from mimo_lsp.agent.executor import Attempt, NodeOutcome, NodeRunner
from mimo_lsp.agent.goal import summarize_results
from mimo_lsp.agent.plan import PlanNode
from mimo_lsp.llm.port import ChatMessage, ChatModel, Completion, ModelError
from mimo_lsp.maxmode.remote import shared_model
from mimo_lsp.maxmode.scratch import ScratchTree
from mimo_lsp.safety.policy import Policy, Rule
from mimo_lsp.safety.sandbox import Sandbox, SandboxSettings
from mimo_lsp.tools.actions import ToolContext, ToolResult
from mimo_lsp.tools.registry import run_tool


@dataclass(frozen=True)
class NodeJob:
    node: dict[str, Any]  # PlanNode
    goal: str
    plan: str
    criteria: str | None
    memory: str
    failures: list[str]
    attempts: int
    steps_left: int  # of the task's step budget
    model_spec: str  # openai:URL#MODEL
    model_settings: dict[str, Any]
    rules: list[dict[str, Any]]  # the policy: rules (last match wins) and tighten-only rules
    tighten: list[dict[str, Any]]
    sandbox: dict[str, Any]
    limits: dict[str, Any] = field(default_factory=dict)  # NodeRunner's and the tools' (see `run_node_job`)
    marker_dir: str | None = None  # set: the job writes node-<id>.<pid> there when it starts (tests)


class _Counting:
    """The model, with the tokens of its calls counted (the server's usage when it reports it)."""

    def __init__(self, model: ChatModel) -> None:
        self.model, self.name, self.tokens = model, model.name, 0
        self.concurrent_calls = False

    def complete(self, messages: list[ChatMessage], **kwargs: Any) -> Completion:
        out = self.model.complete(messages, **kwargs)
        self.tokens += (out.prompt_tokens or sum(self.model.count_tokens(m.content) for m in messages)) + (
            out.completion_tokens or self.model.count_tokens(out.text))
        return out

    def count_tokens(self, text: str) -> int:
        return self.model.count_tokens(text)


def run_node_job(job: NodeJob, files: dict[str, bytes]) -> dict[str, Any]:
    t0 = time.perf_counter()
    where = f"{socket.gethostname()}:{os.getpid()}"
    node = PlanNode.model_validate(job.node)
    if job.marker_dir:
        try:  # a debugging aid: a worker that cannot write it still runs the node
            Path(job.marker_dir, f"node-{node.id}.{os.getpid()}").write_text(where)
        except OSError:
            pass
    out: dict[str, Any] = {"ok": False, "kind": "worker", "detail": "", "changes": {}, "base": {}, "dropped": [],
                           "steps": 0, "attempts": 0, "failures": [], "asked": [], "tokens": 0, "where": where}
    try:
        model = _Counting(shared_model(job.model_spec, job.model_settings))
    except ModelError as exc:
        out["detail"] = f"model error on the worker: {exc}"
        return out
    try:
        _attempts(job, node, files, model, out)
    finally:
        out["tokens"] = model.tokens
        out["seconds"] = round(time.perf_counter() - t0, 3)
    return out


def _attempts(job: NodeJob, node: PlanNode, files: dict[str, bytes], model: _Counting, out: dict[str, Any]) -> None:
    policy = Policy([Rule.model_validate(r) for r in job.rules], [Rule.model_validate(r) for r in job.tighten])
    failures = list(job.failures)
    for number in range(1, job.attempts + 1):
        tree = ScratchTree.from_files(files, prefix="mimo-node-")
        try:
            result = _attempt(job, node, tree, model, policy, number, failures, out)
            out["attempts"] = number
            if result.ok:
                _changes(node, tree, files, out)
                out.update(ok=True, kind="ok", detail=result.detail, failures=failures[len(job.failures):])
                return
        finally:
            tree.remove()
        line = f"attempt {number} on a Ray worker ({result.kind}): {result.detail}"
        if result.trail:
            line += " | last steps: " + " / ".join(result.trail[-3:])
        failures.append(line)
        out.update(kind=result.kind, detail=result.detail)
        if result.kind == "task_budget":
            break
    out["failures"] = failures[len(job.failures):]


def _attempt(job: NodeJob, node: PlanNode, tree: ScratchTree, model: _Counting, policy: Policy, number: int,
             failures: list[str], out: dict[str, Any]) -> NodeOutcome:
    """One try of the node in `tree`, through the same runner as in process."""
    lim = job.limits
    sandbox = Sandbox(tree.root, SandboxSettings.model_validate(job.sandbox), network=False)
    tools = ToolContext(tree.root, command_timeout_s=lim.get("command_timeout_s", 120.0),
                        observation_chars=lim.get("observation_chars", 4000), sandbox=sandbox)

    def act(node_id: str, step: int, action: Any, thought: str, preset: ToolResult | None = None) -> ToolResult:
        out["steps"] += 1
        if preset is not None:
            return preset
        args = action.model_dump(exclude={"tool"})
        subject = args.get("command") or args.get("path") or ""
        decision = policy.decide(action.tool, subject)
        if decision.verdict == "allow":
            return run_tool(action, tools)
        if decision.verdict == "deny":
            return ToolResult(ok=False, output=f"refused: denied by policy ({decision.reason}): {subject}")
        out["asked"].append(f"{action.tool} {subject}".strip())
        return ToolResult(ok=False, output=f"refused: {subject} needs the user's confirmation ({decision.reason}), "
                                           "which cannot be asked here. Try a different approach.")

    def verdict(command: str) -> tuple[str, str]:
        d = policy.decide("run_command", command)
        return d.verdict, d.reason

    def verify(n: PlanNode, step: int) -> tuple[bool, str]:
        if not n.checks:
            return True, ""
        results = evaluate_checks(n.checks, tree.root, lambda c: run_check(
            c, tree.root, lim.get("check_timeout_s", 300.0), None, sandbox), verdict)
        return all(r.passed for r in results), summarize_results(results)

    def progress(n: PlanNode, trail: list[str]) -> str:
        return f"[{n.id}] {len(trail)} steps; recent: " + " / ".join(line[:100] for line in trail[-3:])

    runner = NodeRunner(model, tools, act, verify, progress, lambda piece: None, lim.get("max_steps", 20),
                        lim.get("structured_retries", 2), lim.get("max_tokens", 512), lim.get("n_ctx", 4096),
                        steps_left=lambda: job.steps_left - out["steps"], summary_every=lim.get("summary_every", 5))
    return runner.run(Attempt(job.goal, job.plan, node, job.criteria, number, list(failures), job.memory),
                      out["steps"])


def _changes(node: PlanNode, tree: ScratchTree, files: dict[str, bytes], out: dict[str, Any]) -> None:
    """The node's changes as text, within its files; anything else it changed (a command's by-products) is
    named in `dropped`, never shipped."""
    for rel, data in tree.changes().items():
        text = None
        if data is not None:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                out["dropped"].append(rel)
                continue
        if not node.allows(rel):
            out["dropped"].append(rel)
            continue
        out["changes"][rel] = text
        out["base"][rel] = hashlib.sha256(files[rel]).hexdigest() if rel in files else None


__all__ = ["NodeJob", "run_node_job"]
