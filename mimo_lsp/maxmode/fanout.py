"""Max Mode rounds on a Ray cluster (`[scale] ray_address`): the orchestrator's side of the fan-out.

Whether Ray is used is decided once per task (`open_fanout`); when it cannot be, the candidates run in
process and the reason is reported (`report["dispatch"]`, a node event, the log), never silently:
- agent-format candidates (whole agent runs: they ask for confirmations and journal their own steps);
- a resumed task (it replays its journaled model calls, which only works in process);
- an executor model that is not an OpenAI-compatible server: a GGUF loaded in this process (or a scripted
  model) cannot be shared with workers;
- Ray not installed, the cluster unreachable, or a tree too large to ship (MAX_SHIP_BYTES).

A round submits its N candidates at once. `first_pass` keeps in-process semantics in id order: once
candidate k passes and every candidate before k is done, the later ones are cancelled (or, already done,
reported "discarded" and never eligible), so the pick, the judge call and the journal are those an
in-process run would have made. The workers' model replies are journaled here, in id order.

Ray itself is imported only in `mimo_lsp.scale.ray_pool`, and that only from `open_fanout`.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, Callable

from mimo_lsp.agent.effects import TaskBrief, TaskControl
from mimo_lsp.agent.executor import TaskCancelled
from mimo_lsp.config import Settings
from mimo_lsp.llm.openai_wire import is_openai_spec
from mimo_lsp.maxmode.candidates import Candidate
from mimo_lsp.maxmode.remote import CandidateJob, JobResult, executor_model_settings, fill, jobs_for
from mimo_lsp.maxmode.scratch import snapshot

log = logging.getLogger(__name__)
MAX_SHIP_BYTES = 64 << 20  # a larger tree is not copied to every worker: candidates run in process
FAILED_REPLY = {"text": "", "finish_reason": "error"}  # journaled for a candidate whose worker died


def why_not_ray(settings: Settings, fmt: str, brief: TaskBrief) -> str | None:
    if fmt != "function":
        return "agent-format candidates (whole agent runs that may ask for confirmation) run in process"
    if brief.replaying:
        return "a resumed task replays its journaled model calls in process"
    if not is_openai_spec(executor_model_settings(settings).spec):
        return ("the executor model is not an OpenAI-compatible server (openai:URL#MODEL): a model loaded in this "
                "process cannot be shared with Ray workers")
    return None


class RayFanout:
    def __init__(self, pool: Any, settings: Settings, brief: TaskBrief, bases: dict[str, str]) -> None:
        self.pool, self.settings, self.brief, self.bases = pool, settings, brief, bases
        self.discarded: list[Candidate] = []

    def round(self, cands: list[Candidate], target: str | None, control: TaskControl,
              record: Callable[[dict[str, Any], int, bool], None] | None) -> list[Candidate]:
        """Runs the round's candidates on the cluster; returns those kept, in id order (the others are in
        `discarded`). `record(reply, tokens, journal)` books a worker's model call with the task."""
        by_id = {c.id: c for c in cands}
        finished: set[int] = set()
        failed: set[int] = set()
        replies: dict[int, list[dict[str, Any]]] = {}
        first_pass = self.settings.max.selection == "first_pass"

        def on_done(job: CandidateJob, result: JobResult | None, error: str | None) -> bool:
            cand = by_id[job.candidate_id]
            if result is None:
                cand.outcome, cand.summary = "error", error or "Ray task failed"
                failed.add(cand.id)
            else:
                fill(cand, result)
                replies[cand.id] = result.replies
                log.info("Max Mode candidate %d made on %s", cand.id, result.where)
            finished.add(cand.id)
            return first_pass and settled(cands, finished) is not None

        jobs = jobs_for(self.settings, self.brief.goal, self.brief.criteria, target, cands)
        if not self.pool.run(jobs, control.cancel, on_done):
            raise TaskCancelled()
        stop = settled(cands, finished) if first_pass else None
        kept = []
        for cand in cands:
            keep = stop is None or cand.id <= stop
            if record is not None:
                for i, reply in enumerate([FAILED_REPLY] if cand.id in failed else replies.get(cand.id, [])):
                    record(reply, cand.tokens if i == 0 else 0, keep)
            if keep:
                kept.append(cand)
                continue
            cand.outcome = "discarded" if cand.id in finished else "cancelled"
            cand.summary = f"candidate {stop} passed first ({cand.summary or 'not finished'})"
            cand.changes, cand.checks_passed = {}, False
            self.discarded.append(cand)
        return kept


def settled(cands: list[Candidate], finished: set[int]) -> int | None:
    """The id of the first passing candidate once every candidate before it is done, else None."""
    for c in sorted(cands, key=lambda c: c.id):
        if c.id not in finished:
            return None
        if c.checks_passed:
            return c.id
    return None


def open_fanout(settings: Settings, fmt: str, brief: TaskBrief, workspace: Any) -> tuple[RayFanout | None, str]:
    """(the fan-out, or None and why candidates run in process)."""
    address = settings.scale.ray_address
    if not address:
        return None, "in process"
    why = why_not_ray(settings, fmt, brief)
    if why is None:
        try:
            from mimo_lsp.scale.ray_pool import RayPool, RayUnavailable
        except ImportError:
            why = "Ray is not installed (pip install 'mimo-lsp[ray]')"
        else:
            try:
                files = snapshot(workspace, MAX_SHIP_BYTES)
                pool = RayPool(address, settings.scale.task_retries, settings.scale.round_timeout_s)
                pool.share(files)
                bases = {rel: hashlib.sha256(data).hexdigest() for rel, data in files.items()}
                return RayFanout(pool, settings, brief, bases), f"ray ({address})"
            except (RayUnavailable, ValueError) as exc:
                why = str(exc)
    log.warning("Max Mode: [scale] ray_address is set, but candidates run in process: %s", why)
    return None, f"in process: {why}"
