"""Plan nodes on a Ray cluster (`[scale] ray_address`): the coordinator's side.

The orchestrator runs a group of ready nodes whose files cannot overlap at the same time
(`agent.max_parallel_nodes`); with this dispatch each of them becomes one Ray task (`node_job.py`) instead of a
thread of this process. Whether Ray is used is decided at the first such group and said once (a node event and
the log), never silently; it is not when:
- the executor model is not an OpenAI-compatible server (a GGUF loaded here cannot be shared with workers);
- Ray is not installed, or no cluster answers at the address;
- the tree is larger than `fanout.MAX_SHIP_BYTES` (decided per group: that group runs here).

Imported by the task only when `[scale] ray_address` is set; Ray itself only through `ray_pool`.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from mimo_lsp.agent.executor import Attempt, TaskCancelled
from mimo_lsp.config import Settings
from mimo_lsp.llm.openai_wire import is_openai_spec
from mimo_lsp.maxmode.fanout import MAX_SHIP_BYTES
from mimo_lsp.maxmode.remote import executor_model_settings
from mimo_lsp.maxmode.scratch import snapshot
from mimo_lsp.safety.policy import Policy
from mimo_lsp.scale.node_job import NodeJob

log = logging.getLogger(__name__)


class RayNodes:
    """The orchestrator's `RemoteNodes` on a Ray cluster."""

    def __init__(self, settings: Settings, workspace: Path, policy: Policy) -> None:
        self.settings, self.workspace, self.policy = settings, workspace.resolve(), policy
        self.where = f"a Ray worker ({settings.scale.ray_address})"
        self._pool: Any = None
        self._why: str | None = None

    def _connect(self) -> str | None:
        if self._pool is not None or self._why is not None:
            return self._why
        if not is_openai_spec(executor_model_settings(self.settings).spec):
            self._why = ("the executor model is not an OpenAI-compatible server (openai:URL#MODEL): a model loaded "
                         "in this process cannot be shared with Ray workers")
            return self._why
        try:
            from mimo_lsp.scale.ray_pool import RayPool, RayUnavailable
        except ImportError:
            self._why = "Ray is not installed (pip install 'mimo-lsp[ray]')"
            return self._why
        s = self.settings.scale
        try:
            self._pool = RayPool(s.ray_address, s.task_retries, s.round_timeout_s)
        except RayUnavailable as exc:
            self._why = str(exc)
        return self._why

    def prepare(self) -> str | None:
        """Before a group: connected (once) and the tree shared (each group: earlier nodes' work is in it).
        Returns why the group's nodes run in this process instead, or None."""
        why = self._connect()
        if why is None:
            try:
                self._pool.share(snapshot(self.workspace, MAX_SHIP_BYTES))
            except ValueError as exc:
                why = f"the tree is not shipped to workers: {exc}"
        if why is not None:
            log.warning("plan nodes: [scale] ray_address is set, but nodes run in process: %s", why)
        return why

    def run(self, attempt: Attempt, attempts: int, steps_left: int, cancel: threading.Event) -> dict[str, Any]:
        """The node's attempts on a worker; its result (node_job.py). Raises TaskCancelled on cancel."""
        a, model = self.settings.agent, executor_model_settings(self.settings)
        assert model.spec is not None
        limits = {"max_steps": a.max_steps_per_node, "structured_retries": a.max_structured_retries,
                  "max_tokens": self.settings.model.max_tokens, "n_ctx": self.settings.model.n_ctx,
                  "summary_every": a.summary_every, "check_timeout_s": a.check_timeout_s,
                  "command_timeout_s": a.command_timeout_s, "observation_chars": a.observation_chars}
        job = NodeJob(node=attempt.node.model_dump(), goal=attempt.goal, plan=attempt.plan, criteria=attempt.criteria,
                      memory=attempt.memory, failures=list(attempt.failures), attempts=attempts, steps_left=steps_left,
                      model_spec=model.spec, model_settings=model.model_dump(),
                      rules=[r.model_dump() for r in self.policy.rules + self.policy.session_rules],
                      tighten=[r.model_dump() for r in self.policy.tighten],
                      sandbox=self.settings.safety.sandbox.model_dump(), limits=limits,
                      marker_dir=os.environ.get("MIMO_RAY_MARKER_DIR") or None)
        result, error = self._pool.run_node(job, cancel)
        if result is None:
            if cancel.is_set():
                raise TaskCancelled()
            return {"ok": False, "kind": "worker", "detail": error or "Ray task failed", "changes": {}, "base": {},
                    "dropped": [], "steps": 0, "attempts": 0, "failures": [], "asked": [], "tokens": 0, "where": ""}
        return dict(result)
