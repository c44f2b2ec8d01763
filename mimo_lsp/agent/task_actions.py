"""The checkpointed effects of a task (its `TaskEffects`): every action, check and rollback goes
through the policy, the journal (intent, then checkpoint), the audit trail and the event sink, or is
served from the journal when a resumed task replays its recorded steps."""

from __future__ import annotations

import functools
import threading
import time
from pathlib import Path
from typing import Any, Callable, Concatenate, ParamSpec, TypeVar

from mimo_lsp.agent.checks import evaluate_checks, run_check
from mimo_lsp.agent.events import CheckpointEvent, StepEvent, TaskEvent
from mimo_lsp.agent.goal import CheckResult, dump_checks, parse_checks
from mimo_lsp.agent.plan import CheckSpec
from mimo_lsp.agent.replay import ActionReplay, JournaledModel, current_lane
from mimo_lsp.checkpoints.blobs import BlobStore
from mimo_lsp.checkpoints.journal import EXTERNAL_TOOL, CheckpointJournal
from mimo_lsp.checkpoints.diffs import blob_or_none
from mimo_lsp.checkpoints.restore import change_diff, images_at, restore_files
from mimo_lsp.checkpoints.tracker import FileChange, WorkspaceTracker
from mimo_lsp.config import Settings
from mimo_lsp.safety.audit import AuditTrail, digest
from mimo_lsp.safety.policy import STRICTNESS, Policy
from mimo_lsp.safety.sandbox import Sandbox
from mimo_lsp.tools.actions import ToolContext, ToolResult
from mimo_lsp.tools.registry import run_tool, write_targets

CHECK_TOOL = "check"  # a journaled check result (node checks, completion criteria, the judge)
# Asks the user about one risky action: {taskId, tool, subject, reason, rule} -> "yes" | "no" | "always"
# | "never" | None (no answer: no action).
Confirm = Callable[[dict[str, Any]], "str | None"]
P = ParamSpec("P")
R = TypeVar("R")


def serialized(fn: Callable[Concatenate[CheckpointedActions, P], R]) -> Callable[Concatenate[CheckpointedActions, P], R]:
    """One checkpointed effect at a time: plan nodes running together generate concurrently, but their
    actions, checks and rollbacks enter the journal (and touch the tree) one by one."""
    @functools.wraps(fn)
    def wrapper(self: CheckpointedActions, *args: P.args, **kwargs: P.kwargs) -> R:
        with self.act_lock:
            return fn(self, *args, **kwargs)
    return wrapper


class CheckpointedActions:
    """Mixed into AgentTask, which opens these collaborators; kept apart so each file stays small."""

    task_id: str
    workspace: Path
    settings: Settings
    journal: CheckpointJournal
    blobs: BlobStore
    tracker: WorkspaceTracker
    audit: AuditTrail
    policy: Policy
    sandbox: Sandbox
    tools: ToolContext
    model: JournaledModel | None
    replay: ActionReplay
    cancel_event: threading.Event
    confirm: Confirm | None
    steps_done: int
    last_action_id: int
    checkpoints: list[dict[str, Any]]
    step_timings: list[dict[str, float]] | None
    _states_saved_after_capture: bool
    emit: Callable[[TaskEvent], None]
    act_lock: threading.RLock
    _reserved_step: int

    def steps(self) -> int:
        return self.steps_done

    def files_at_start(self) -> dict[str, bytes | None]:
        actions = [a for a in self.journal.actions(self.task_id) if a.tool != EXTERNAL_TOOL]
        at, _ = images_at(actions, 0)
        return {rel: None if image.digest is None else blob_or_none(self.blobs, image.digest)
                for rel, image in at.items() if image.captured}

    def next_step(self) -> int:
        """The number of the next step. Sequentially, the one after the last; in a lane (nodes running at
        the same time), a number no other lane holds, or on resume the one the journal recorded."""
        lane = current_lane()
        if not lane:
            return self.steps_done + 1
        with self.act_lock:
            recorded = self.replay.next_step(lane) if self.replay else None
            if recorded is not None:
                return recorded
            self._reserved_step = max(self.steps_done, self._reserved_step, self.replay.max_step) + 1
            return self._reserved_step

    def last_checkpoint(self) -> int:
        return self.last_action_id

    def _record_external(self, changes: list[FileChange], states: dict) -> None:
        if changes:
            self.journal.record_action(self.task_id, self.steps_done, "-", EXTERNAL_TOOL, {}, "",
                                       f"{len(changes)} file(s) changed outside the agent", changes, states)
        elif states:
            self.journal.save_states(states)

    # -- checks (journaled, so a resumed task sees the same verdicts) ------------------------
    @serialized
    def run_checks(self, node_id: str, step: int, specs: list[CheckSpec], trusted: bool) -> list[CheckResult]:
        """Node checks (model-proposed: the policy must allow each command) or completion criteria
        (given by the user: trusted). Commands run sandboxed; what they change is journaled with them."""
        args = {"checks": [c.model_dump(exclude_none=True) for c in specs]}
        recorded = self.replay.take(step, CHECK_TOOL, args)
        if recorded is not None:
            self.last_action_id = recorded.id
            return parse_checks(recorded.observation or "[]")
        ran: list[bool] = []

        def run(command: str) -> dict[str, Any]:
            if not ran:
                self._prepare_command()
                ran.append(True)
            return run_check(command, self.workspace, self.settings.agent.check_timeout_s, self.cancel_event,
                             self.sandbox)

        def verdict(command: str) -> tuple[str, str]:
            decision = self.policy.decide("run_command", command)
            return decision.verdict, decision.reason

        results = evaluate_checks(specs, self.workspace, run, None if trusted else verdict)
        ran_command = bool(ran)
        changes, states = self.tracker.commit_command() if ran_command else ([], self.tracker.states())
        self.last_action_id = self.journal.record_action(
            self.task_id, step, node_id, CHECK_TOOL, args, "", dump_checks(results), changes, states,
            ok=all(r.passed for r in results))
        return results

    @serialized
    def judged(self, node_id: str, step: int, ask: Callable[[], CheckResult]) -> CheckResult:
        """The judge's verdict (its model call is journaled too); recorded like a check."""
        args = {"judge": True}
        recorded = self.replay.take(step, CHECK_TOOL, args)
        if recorded is not None:
            return parse_checks(recorded.observation or "[]")[0]
        result = ask()
        self.journal.record_action(self.task_id, step, node_id, CHECK_TOOL, args, "", dump_checks([result]), [],
                                   self.tracker.states(), ok=result.passed)
        return result

    def _prepare_command(self) -> None:
        """Before a shell command: the capture is complete and outside edits are journaled."""
        if not self._states_saved_after_capture:
            self.tracker.wait_captured()
            self.journal.save_states(self.tracker.states())
            self._states_saved_after_capture = True
        self._record_external(*self.tracker.prepare_command())

    @serialized
    def rollback(self, checkpoint_id: int, node_id: str = "-") -> str:
        """Failed node attempt: its files back to the checkpoint before it. The rollback is journaled as a
        restore naming the node; a resumed task takes it from the journal instead of restoring again.
        In a lane only what this node's own actions changed goes back (other lanes' work stays)."""
        if not self.settings.agent.rollback_failed_nodes or self.cancel_event.is_set():
            return ""
        args = {"checkpoint_id": checkpoint_id, "mode": "files"}
        recorded = self.replay.take(self.steps_done, "restore", args) if self.replay else None
        if recorded is not None:
            self.last_action_id = recorded.id
            n = len(recorded.changes)
            return f"; rolled back {n} file(s) to checkpoint {checkpoint_id}" if n else ""
        report = restore_files(self.task_id, checkpoint_id, "files", self.journal, self.tracker, self.blobs,
                               step=self.steps_done, node_id=node_id, only_node=bool(current_lane()))
        for path in report.restored:  # what the model read of these files is stale now
            self.tools.read_hashes.pop(str(self.workspace / path), None)
        if report.action_id is not None:  # the rollback is the latest checkpoint: a retry starts from it
            self.last_action_id = report.action_id
        if not report.restored and not report.conflicts:
            return ""
        note = f"; rolled back {len(report.restored)} file(s) to checkpoint {checkpoint_id}"
        if report.conflicts:
            note += f" (left alone, changed by someone else: {', '.join(c.path for c in report.conflicts)})"
        return note

    @serialized
    def act(self, node_id: str, step: int, action: Any, thought: str, preset: ToolResult | None = None) -> ToolResult:
        """Run one action with a checkpoint around it (or serve it from the journal when resuming).

        `preset`: the action is not carried out and this is its result (a refusal by the node's contract,
        a finish rejected by the node's checks); it is journaled and audited like any action."""
        t0 = time.perf_counter()
        self.steps_done = max(self.steps_done, step) if current_lane() else step
        args = action.model_dump(exclude={"tool"})
        recorded = self.replay.take(step, action.tool, args)
        if recorded is not None:
            self.last_action_id = recorded.id
            result = ToolResult(ok=bool(recorded.ok), output=recorded.observation or "")
            self._emit_step(node_id, step, action.tool, args, thought, result, recorded.id, recorded.changes, True)
            return result
        if preset is None:
            allowed, why = self._authorize(node_id, step, action, args, thought)
        else:
            allowed, why = False, ""
            self.audit.append("decision", action.tool, {"step": step, "node": node_id, "args": args, "thought": thought,
                                                        "preset": preset.output[:500]}, flush=False)
        targets = write_targets(action, self.workspace) if allowed else []
        if targets is None:
            self._prepare_command()
            intents: list[FileChange] = []
        else:
            external, intents, states = self.tracker.prepare(targets)
            self._record_external(external, states)
        assert self.model is not None
        intent = self.journal.begin_action(self.task_id, step, node_id, action.tool, args, thought,
                                           self.model.calls, intents)
        t_tool = time.perf_counter()
        started = time.time()
        if preset is not None:
            result = preset
        else:
            result = run_tool(action, self.tools) if allowed else ToolResult(ok=False, output=f"refused: {why}")
        t_tool = time.perf_counter() - t_tool
        if targets is None:
            changes, states = self.tracker.commit_command()
        else:
            changes, states = self.tracker.commit(targets)
        full = self.blobs.put(result.full_output.encode("utf-8")) if result.full_output else None
        if allowed:
            self.audit.append("execution", action.tool, {
                "step": step, "args": args, "sandbox": self.sandbox.profile().model_dump() if targets is None else None,
                "argv": self.sandbox.last_argv if targets is None else None,
                "started": round(started, 6), "finished": round(time.time(), 6), "ok": result.ok,
                "exit_code": result.exit_code, "output_digest": digest(result.full_output or result.output)},
                flush=False)
        self.audit.append("outcome", action.tool, {
            "step": step, "files": [c.model_dump(include={"path", "pre", "post", "post_mode"}) for c in changes],
            "ok": result.ok, "effect": "applied" if allowed else ("none (rejected)" if preset else "none (refused)")})
        action_id = self.journal.finish_action(intent, result.output, result.ok, changes, states,
                                               observation_blob=full, audit=(self.audit.head, self.audit.count))
        self.last_action_id = action_id
        t_report = time.perf_counter()
        self._emit_step(node_id, step, action.tool, args, thought, result, action_id, changes, False)
        if self.step_timings is not None:
            end = time.perf_counter()
            self.step_timings.append({"total_ms": (end - t0) * 1000, "tool_ms": t_tool * 1000,
                                      "report_ms": (end - t_report) * 1000})
        return result

    def _authorize(self, node_id: str, step: int, action: Any, args: dict, thought: str) -> tuple[bool, str]:
        """Policy, then the user's confirmation where the policy asks; both recorded in the audit trail."""
        subject = args.get("command") or args.get("path") or ""
        assert self.model is not None
        self.audit.append("decision", action.tool, {"step": step, "node": node_id, "args": args, "thought": thought,
                                                    "model_input_digest": self.model.last_input_digest}, flush=False)
        if action.tool == "apply_files":  # a Max Mode pick: judged as a write of each of its files
            decision = max((self.policy.decide("write_file", rel) for rel in args.get("files", {})),
                           key=lambda d: STRICTNESS[d.verdict], default=self.policy.decide("write_file", ""))
            subject = ", ".join(sorted(args.get("files", {})))
        else:
            decision = self.policy.decide(action.tool, subject)
        answer: str | None = None
        if decision.verdict == "ask":
            request = {"taskId": self.task_id, "tool": action.tool, "subject": subject, "reason": decision.reason,
                       "rule": decision.rule.match if decision.rule else None}
            answer = self.confirm(request) if self.confirm is not None else None
            if answer in ("always", "never"):
                self.policy.remember(action.tool, subject, "allow" if answer == "always" else "deny")
        allowed = decision.verdict == "allow" or answer in ("yes", "always")
        self.audit.append("authorization", action.tool, {
            "step": step, "verdict": decision.verdict, "rule": decision.rule.model_dump() if decision.rule else None,
            "subject": decision.subject, "reason": decision.reason, "asked": decision.verdict == "ask",
            "answer": answer, "allowed": allowed})
        if allowed:
            return True, ""
        if decision.verdict == "deny":
            return False, f"denied by policy ({decision.reason}): {decision.subject}"
        return False, (f"not confirmed ({decision.reason}): {decision.subject}; the user answered "
                       f"{answer or 'nothing'}. Try a different approach.")

    def _emit_step(self, node_id: str, step: int, tool: str, args: dict, thought: str, result: ToolResult,
                   cp_id: int, changes: list[FileChange], replayed: bool) -> None:
        self.emit(StepEvent(task_id="", node_id=node_id, step=step, thought=thought, tool=tool, args=args,
                            observation=result.output, ok=result.ok, replayed=replayed))
        files = [c.path for c in changes]
        self.checkpoints.append({"id": cp_id, "node_id": node_id, "step": step, "tool": tool, "files": files})
        diff = "".join(change_diff(c, self.blobs) for c in changes)
        self.emit(CheckpointEvent(task_id="", checkpoint_id=cp_id, node_id=node_id, step=step, files=files, diff=diff,
                                  replayed=replayed))
