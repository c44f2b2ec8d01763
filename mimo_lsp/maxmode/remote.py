"""One Max Mode candidate as a self-contained job: what a Ray worker gets and what it sends back.

No Ray here (mimo_lsp/scale/ray_pool.py is the glue): a job is plain data, `run_job` runs it in any process,
which is how the in-process benchmark anchor runs the very same code.

What a worker gets: the job (goal, target file, temperature, the executor's `openai:` spec and model settings,
the completion criteria, the sandbox settings) and the bytes of the selected files (one snapshot per task, put
in the object store once and shared by every candidate). Bytes, not a path: a worker on another machine has
no view of the coordinator's disk, and a snapshot is what every candidate starts from even if the user edits
the tree meanwhile (the coordinator's apply compares against the snapshot's hashes).

What it sends back: outcome, the changed files' bytes and their diff, the check results, the tokens, and the
model's reply (journaled by the coordinator, so a resumed task replays it like an in-process call).

What it never does: apply anything to the user's tree, or ask the user. A function-format candidate has no
question to ask (one model call, then the user's own checks, which need no confirmation); a confirmation that
could arise on a worker is answered with the policy's non-interactive answer, no = deny. Agent-format
candidates (whole agent runs, which do ask) stay in process.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mimo_lsp.agent.goal import CheckResult, GoalCriteria
from mimo_lsp.config import ModelSettings, Settings, role_model
from mimo_lsp.llm.port import ChatMessage, ChatModel, Completion
from mimo_lsp.maxmode.candidates import Candidate, FunctionCandidates, build_candidate
from mimo_lsp.maxmode.scratch import ScratchTree

# Each worker process keeps one HTTP client per model server (a job after the first skips the connect
# and the /models check): `shared_model`.
_MODELS: dict[str, ChatModel] = {}
_MODELS_LOCK = threading.Lock()


@dataclass(frozen=True)
class CandidateJob:
    candidate_id: int
    round: int
    temperature: float
    goal: str
    target: str | None  # the file to rewrite, chosen once by the coordinator
    model_spec: str  # openai:URL#MODEL: the shared inference server
    model_settings: dict[str, Any]
    criteria: dict[str, Any]  # GoalCriteria
    sandbox: dict[str, Any]  # SandboxSettings: the checks run as confined as in process
    check_timeout_s: float
    max_tokens: int
    marker_dir: str | None = None  # set: the job writes cand-<id>.<pid> there when it starts (MIMO_RAY_MARKER_DIR)


@dataclass
class JobResult:
    candidate_id: int
    outcome: str
    checks_passed: bool
    checks: list[dict[str, Any]]
    tokens: int
    seconds: float
    changes: dict[str, bytes | None]
    diff: str
    summary: str
    replies: list[dict[str, Any]] = field(default_factory=list)  # {"text", "finish_reason"} per model call
    where: str = ""  # host:pid of the worker that made it


def executor_model_settings(settings: Settings) -> ModelSettings:
    """The executor's model settings as the task opened them (app/setup.py gives Max Mode candidates
    max.repeat_penalty; a role override on top)."""
    base = settings.model.model_copy(update={"repeat_penalty": settings.max.repeat_penalty})
    override = role_model(settings.model_copy(update={"model": base}), "executor")
    return override or base


def jobs_for(settings: Settings, goal: str, criteria: GoalCriteria, target: str | None,
             cands: list[Candidate]) -> list[CandidateJob]:
    model = executor_model_settings(settings)
    assert model.spec is not None
    marker = os.environ.get("MIMO_RAY_MARKER_DIR") or None
    return [CandidateJob(candidate_id=c.id, round=c.round, temperature=c.temperature, goal=goal, target=target,
                         model_spec=model.spec, model_settings=model.model_dump(), criteria=criteria.model_dump(),
                         sandbox=settings.safety.sandbox.model_dump(), check_timeout_s=settings.agent.check_timeout_s,
                         max_tokens=settings.model.max_tokens, marker_dir=marker) for c in cands]


class _Recording:
    """The model, with its replies kept (the coordinator journals them)."""

    def __init__(self, model: ChatModel) -> None:
        self.model, self.name = model, model.name
        self.replies: list[dict[str, Any]] = []

    def complete(self, messages: list[ChatMessage], **kwargs: Any) -> Completion:
        out = self.model.complete(messages, **kwargs)
        self.replies.append({"text": out.text, "finish_reason": out.finish_reason})
        return out

    def count_tokens(self, text: str) -> int:
        return self.model.count_tokens(text)


def shared_model(spec: str, settings: dict[str, Any]) -> ChatModel:
    from mimo_lsp.llm.openai_compat import OpenAIChatModel

    key = f"{spec}\n{sorted(settings.items())}"
    with _MODELS_LOCK:
        if key not in _MODELS:
            # The API key, if any, comes from the worker's own environment (model.api_key_env): never shipped.
            _MODELS[key] = OpenAIChatModel.open(spec, ModelSettings.model_validate(settings), "a Ray worker")
        return _MODELS[key]


def run_job(job: CandidateJob, files: dict[str, bytes]) -> JobResult:
    """Make and check one candidate in a scratch tree built from `files`; nothing outside it is touched."""
    from mimo_lsp.agent.checks import run_check
    from mimo_lsp.llm.port import ModelError
    from mimo_lsp.safety.sandbox import Sandbox, SandboxSettings

    t0 = time.perf_counter()
    if job.marker_dir:
        try:  # a debugging aid: a worker that cannot write it still makes the candidate
            Path(job.marker_dir, f"cand-{job.candidate_id}.{os.getpid()}").write_text(socket.gethostname())
        except OSError:
            pass
    cand = Candidate(id=job.candidate_id, round=job.round, temperature=job.temperature)
    sandbox = SandboxSettings.model_validate(job.sandbox)

    def run_command(command: str, tree: Path) -> dict[str, Any]:
        return run_check(command, tree, job.check_timeout_s, None, Sandbox(tree, sandbox, network=False))

    tree = ScratchTree.from_files(files)
    replies: list[dict[str, Any]] = []
    try:
        try:
            model = _Recording(shared_model(job.model_spec, job.model_settings))
        except ModelError as exc:
            cand.outcome, cand.summary = "error", f"model error on the worker: {exc}"
        else:
            replies = model.replies
            maker = FunctionCandidates(model, job.goal, tree.root, job.max_tokens, rel=job.target)
            build_candidate(cand, tree, maker.make, GoalCriteria.model_validate(job.criteria), run_command)
    finally:
        tree.remove()
    return JobResult(candidate_id=cand.id, outcome=cand.outcome, checks_passed=cand.checks_passed,
                     checks=[c.model_dump() for c in cand.checks], tokens=cand.tokens,
                     seconds=time.perf_counter() - t0, changes=cand.changes, diff=cand.diff, summary=cand.summary,
                     replies=replies, where=f"{socket.gethostname()}:{os.getpid()}")


def fill(cand: Candidate, result: JobResult) -> None:
    """A worker's result into the coordinator's candidate."""
    cand.outcome, cand.checks_passed, cand.tokens = result.outcome, result.checks_passed, result.tokens
    cand.checks = [CheckResult.model_validate(c) for c in result.checks]
    cand.seconds, cand.changes, cand.diff, cand.summary = result.seconds, result.changes, result.diff, result.summary
