"""AgentTask: one task from goal to outcome. Plan -> run nodes in topological order -> check -> done.

Every model reply and every action is journaled (see checkpoints/journal.py); `resume=True` rebuilds
the task from its journal: an interrupted action is rolled back, recorded replies and observations are
replayed, and the task continues live from its last checkpoint.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel

from mimo_lsp.agent.checks import run_check
from mimo_lsp.agent.events import CheckpointEvent, DoneEvent, Outcome, StepEvent, TaskEvent
from mimo_lsp.agent.executor import TaskCancelled
from mimo_lsp.agent.goal import CheckResult, GoalCriteria, file_predicate
from mimo_lsp.agent.memory import MemoryStore
from mimo_lsp.agent.orchestrator import Orchestrator, dump_checks, parse_checks
from mimo_lsp.agent.plan import CheckSpec, Plan
from mimo_lsp.agent.replay import ActionReplay, JournaledModel, ReplayDiverged
from mimo_lsp.agent.task_state import TaskBusy, TaskLock, resume_settings, task_is_live  # noqa: F401 (re-exported)
from mimo_lsp.agent.tokens import TokenBatcher
from mimo_lsp.checkpoints.blobs import BlobStore
from mimo_lsp.checkpoints.diffs import blob_or_none
from mimo_lsp.checkpoints.journal import EXTERNAL_TOOL, ROLLBACK_TOOL, CheckpointJournal, JournalError
from mimo_lsp.checkpoints.restore import change_diff, diff_between, restore_files
from mimo_lsp.checkpoints.tracker import FileChange, WorkspaceTracker
from mimo_lsp.config import Settings
from mimo_lsp.fsutil import write_image
from mimo_lsp.llm.port import ChatModel, ModelError
from mimo_lsp.safety.audit import AuditTrail, audit_path, digest
from mimo_lsp.safety.policy import Policy, default_rules
from mimo_lsp.safety.sandbox import Sandbox
from mimo_lsp.tools.registry import BufferGuard, SearchFn, ToolContext, ToolResult, run_tool, write_targets
from mimo_lsp.tools.shell import kill_recorded_group
from mimo_lsp.workspace import IgnoreRules, iter_files, state_dir

AGENT_TOOLS_EXCLUDED = (EXTERNAL_TOOL, ROLLBACK_TOOL, "restore")
CHECK_TOOL = "check"  # a journaled check result (node checks, completion criteria, the judge)
# Asks the user about one risky action: {taskId, tool, subject, reason, rule} -> "yes" | "no" | "always"
# | "never" | None (no answer: no action).
Confirm = Callable[[dict[str, Any]], "str | None"]


class TaskResult(BaseModel):
    task_id: str
    outcome: Outcome
    reason: str
    plan: list[dict[str, Any]]
    steps: int
    checkpoints: list[dict[str, Any]]
    diff: str
    check: dict[str, Any] | None = None
    rolled_back: list[str] = []
    # replans, retries, node_rejections, goal_rejections, failed_attempts, lessons, model_calls
    stats: dict[str, int] = {}


def _exit_code(output: str) -> int | None:
    m = re.match(r"(?:error: )?exit code (\d+)", output)
    return int(m.group(1)) if m else None


def new_task_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


def criteria_from_journal(stored: str | None) -> GoalCriteria:
    """The journal's check column holds either one command (older tasks) or the criteria as JSON."""
    if not stored:
        return GoalCriteria()
    if stored.lstrip().startswith("{"):
        return GoalCriteria.model_validate_json(stored)
    return GoalCriteria(commands=[stored])


def workspace_context(workspace: Path, limit: int = 60) -> str:
    files = sorted(rel for rel, _ in iter_files(workspace, IgnoreRules(workspace)))
    listing = "\n".join(files[:limit])
    more = f"\n... and {len(files) - limit} more files" if len(files) > limit else ""
    return f"Files:\n{listing or '(empty)'}{more}"


class AgentTask:
    def __init__(
        self,
        goal: str,
        workspace: Path,
        model: ChatModel,
        settings: Settings,
        emit: Callable[[TaskEvent], None],
        *,
        check: str | None = None,
        task_id: str | None = None,
        search: SearchFn | None = None,
        buffer_guard: BufferGuard | None = None,
        resume: bool = False,
        confirm: Confirm | None = None,
        criteria: GoalCriteria | None = None,
        roles: dict[str, ChatModel] | None = None,
        context: Callable[[str, int], str] | None = None,
    ) -> None:
        if not workspace.is_dir():
            raise FileNotFoundError(f"workspace is not a directory: {workspace}")
        self.workspace = workspace.resolve()
        self.data_dir = state_dir(self.workspace)
        self.journal = CheckpointJournal(self.data_dir / "journal.sqlite", fsync=settings.checkpoints.fsync)
        self.resume = resume
        if resume:
            row = self.journal.task(task_id or "")
            if row is None:
                raise KeyError(f"unknown task id: {task_id}")
            goal, criteria, check = row["goal"], criteria_from_journal(row["check_cmd"]), None
        if not goal.strip():
            raise ValueError("goal is empty")
        criteria = criteria or GoalCriteria()
        if check:
            criteria = criteria.model_copy(update={"commands": [check] + criteria.commands})
        self.task_id = task_id or new_task_id()
        self.goal, self.criteria, self.settings, self.emit = goal.strip(), criteria, settings, emit
        self.live_model, self.role_models, self.context_fn = model, dict(roles or {}), context
        self.pause_event = threading.Event()  # set = paused between steps
        self.cancel_event = threading.Event()
        self.blobs = BlobStore(self.data_dir / "blobs", fsync=settings.checkpoints.fsync)
        self.tracker = WorkspaceTracker(self.workspace, self.blobs, settings.checkpoints.max_blob_bytes,
                                        watch=settings.checkpoints.watch)
        self.policy = Policy(default_rules() + settings.safety.rules)
        self.confirm = confirm
        network = self.policy.decide_one("network", "*").verdict == "allow" or settings.safety.sandbox.network
        self.sandbox = Sandbox(self.workspace, settings.safety.sandbox, network=network)
        self.audit = AuditTrail(audit_path(self.data_dir, self.task_id))
        self.tools = ToolContext(self.workspace, command_timeout_s=settings.agent.command_timeout_s,
                                 observation_chars=settings.agent.observation_chars, search=search,
                                 buffer_guard=buffer_guard, cancel=self.cancel_event,
                                 group_file=self.data_dir / "tasks" / f"{self.task_id}.pgid", sandbox=self.sandbox)
        self.tokens = TokenBatcher(emit, self.cancel_event)
        self.lock = TaskLock(self.data_dir, self.task_id)
        self.memory = MemoryStore(self.data_dir, settings.memory.embedder, model.count_tokens)
        self.model: JournaledModel | None = None
        self.replay = ActionReplay([])
        self.steps = 0
        self.checkpoints: list[dict[str, Any]] = []
        self.last_action_id = 0  # the latest checkpoint of this task (0 = task start)
        self.rolled_back: list[str] = []
        self.plan: Plan | None = None
        self.status = "created"
        self._states_saved_after_capture = False
        # Set to a list to collect per-step timings (benchmarks): {"total_ms", "tool_ms", "report_ms"}.
        self.step_timings: list[dict[str, float]] | None = None

    def cancel(self) -> None:
        self.cancel_event.set()

    def pause(self) -> None:
        self.pause_event.set()

    def unpause(self) -> None:
        self.pause_event.clear()

    @property
    def check(self) -> str | None:
        """The first completion command (the single acceptance check of older clients)."""
        return self.criteria.commands[0] if self.criteria.commands else None

    def criteria_text(self) -> str | None:
        if self.criteria.empty():
            return None
        return "; ".join(c.label() for c in self.criteria.checks()) + (
            f"; judged: {self.criteria.criterion}" if self.criteria.criterion else "")

    def context(self, budget_tokens: int = 600) -> str:
        """Workspace context for the planner: the caller's (repo map, search) or the file list."""
        if self.context_fn is not None:
            try:
                return self.context_fn(self.goal, budget_tokens)
            except Exception as exc:  # the plan can still be made from the file list
                return workspace_context(self.workspace) + f"\n(repo map unavailable: {exc})"
        return workspace_context(self.workspace)

    # -- lifecycle ---------------------------------------------------------------------------
    def run(self) -> TaskResult:
        if not self.lock.acquire():
            raise TaskBusy(f"task {self.task_id} is running in another process")
        try:
            result, done = self._run_locked()
        finally:
            self.tracker.stop()
            self.audit.close()
            self.blobs.close()
            self.journal.close()
            self.memory.close()
            self.lock.release()
        self._auto_gc()
        # Announced only once the task is no longer live: a client may restore or resume right away.
        self.emit(done)
        return result

    def _auto_gc(self) -> None:
        """Keep the workspace under its checkpoint cap: best effort, never fails the task."""
        from mimo_lsp.checkpoints.service import CheckpointService

        try:
            svc = CheckpointService(self.workspace, cap_bytes=self.settings.checkpoints.max_workspace_bytes)
            try:
                if svc.stats().total_bytes > svc.cap_bytes:
                    svc.gc()
            finally:
                svc.close()
        except Exception:
            pass  # e.g. another task is running in this workspace: the next one will collect

    def _run_locked(self) -> tuple[TaskResult, DoneEvent]:
        self.status = "running"
        try:
            self._open()
            orchestrator = Orchestrator(self)
            self.orchestrator = orchestrator
            outcome, reason, check = orchestrator.run()
        except TaskCancelled:
            outcome, reason, check = "cancelled", "cancelled by the user", None
        except ModelError as exc:
            outcome, reason, check = "failed", f"model error: {exc}", None
        except (ReplayDiverged, JournalError) as exc:
            outcome, reason, check = "failed", str(exc), None
        except Exception as exc:  # never lose the outcome: report it
            outcome, reason, check = "failed", f"internal error: {type(exc).__name__}: {exc}", None
        self.tokens.flush()
        diff = self.final_diff()
        self.status = outcome
        try:
            self.audit.append("task", "done", {"outcome": outcome, "reason": reason, "diff_digest": digest(diff)})
            self.journal.update_task(self.task_id, status="cancelled" if outcome == "cancelled" else "finished",
                                     outcome=outcome, reason=reason, audit_head=self.audit.head,
                                     audit_count=self.audit.count)
        except Exception as exc:  # e.g. disk full: the outcome still reaches the user
            reason += f" (journal not updated: {exc})"
        done = DoneEvent(task_id="", outcome=outcome, reason=reason, diff=diff, check=check, steps=self.steps,
                         checkpoints=len(self.checkpoints), stats=self.stats())
        return TaskResult(task_id=self.task_id, outcome=outcome, reason=reason,
                          plan=[n.model_dump() for n in (self.plan.nodes if self.plan else [])], steps=self.steps,
                          checkpoints=self.checkpoints, diff=diff, check=check, rolled_back=self.rolled_back,
                          stats=self.stats()), done

    def _open(self) -> None:
        persisted = self.journal.load_states()
        if self.resume:
            self.tracker.state = dict(persisted)
            self.rolled_back = self._recover_interrupted()
            persisted = self.tracker.states()
            recorded = self.journal.model_calls(self.task_id)
            self.replay = ActionReplay([a for a in self.journal.actions(self.task_id, include_abandoned=False)
                                        if a.state == "done" and (a.tool not in AGENT_TOOLS_EXCLUDED or
                                                                  (a.tool == "restore" and a.node_id != "-"))])
            self.journal.update_task(self.task_id, status="running")
        else:
            recorded = []
            single = self.check is not None and self.criteria == GoalCriteria(commands=[self.check])
            stored = None if self.criteria.empty() else (self.check if single else self.criteria.model_dump_json())
            self.journal.start_task(self.task_id, self.goal, self.workspace, getattr(self.live_model, "name", "?"),
                                    stored, self.settings.model_dump_json())
        self.model = JournaledModel(self.live_model, self.journal, self.task_id, recorded, self.role_models)
        self.audit.append("task", "resume" if self.resume else "start", {
            "goal": self.goal, "check": self.check, "criteria": self.criteria.model_dump(), "model": getattr(self.live_model, "name", "?"),
            "settings_digest": digest(self.settings.model_dump_json()), "sandbox": self.sandbox.profile().model_dump(),
            "rolled_back": self.rolled_back})
        self.tracker.start(persisted, self.data_dir)
        self.journal.save_states(self.tracker.states(), replace_all=True)

    def _recover_interrupted(self) -> list[str]:
        """A started-but-unfinished action: journal its partial effects, then undo them exactly."""
        interrupted = self.journal.pending_intents(self.task_id)
        # A command the crash interrupted may still be running (orphaned): stop it before looking.
        assert self.tools.group_file is not None
        kill_recorded_group(self.tools.group_file)
        for a in interrupted:  # an atomic write cut short leaves its temp file next to the target
            for target in a.intents:
                path = self.workspace / target.path
                for stray in path.parent.glob(f".{path.name}.mimo-*"):
                    stray.unlink(missing_ok=True)
        changed = set(self.tracker.changed_since_known())
        mine: set[str] = set()
        for a in interrupted:
            if a.tool == "run_command":
                cutoff = a.started - 2.0  # file-system timestamp granularity
                for rel in changed:
                    try:
                        if (self.workspace / rel).lstat().st_mtime >= cutoff:
                            mine.add(rel)
                    except FileNotFoundError:
                        mine.add(rel)  # deleted: only an action can have done that while we were down
            else:
                mine |= {i.path for i in a.intents} & changed
        rolled: list[str] = []
        for a in interrupted:
            before = self.tracker.states()
            partial, states = self.tracker.commit(sorted(mine))
            rolled_id = self.journal.finish_action(a, "interrupted; rolled back on resume", False, partial, states,
                                                   state="rolled_back")
            undo_paths = []
            for c in partial:
                old = before.get(c.path)
                if old is not None and not old.captured:
                    continue  # cannot restore what was never captured; reported by the diff
                write_image(self.workspace / c.path, None if old is None else blob_or_none(self.blobs, old.digest),
                            None if old is None else old.mode)
                undo_paths.append(c.path)
            undo, states = self.tracker.commit(undo_paths)
            self.journal.record_action(self.task_id, a.step, a.node_id, ROLLBACK_TOOL, {"action_id": rolled_id}, "",
                                       f"rolled back {len(undo)} file(s) of interrupted step {a.step}", undo, states)
            rolled += [c.path for c in undo]
            mine = set()
        return rolled

    def _record_external(self, changes: list[FileChange], states: dict) -> None:
        if changes:
            self.journal.record_action(self.task_id, self.steps, "-", EXTERNAL_TOOL, {}, "",
                                       f"{len(changes)} file(s) changed outside the agent", changes, states)
        elif states:
            self.journal.save_states(states)

    # -- the task ----------------------------------------------------------------------------
    def stats(self) -> dict[str, int]:
        out = dict(getattr(getattr(self, "orchestrator", None), "stats", {}))
        out["model_calls"] = self.model.calls if self.model is not None else 0
        out["tokens"] = self.model.tokens if self.model is not None else 0
        return out

    # -- checks (journaled, so a resumed task sees the same verdicts) ------------------------
    def run_checks(self, node_id: str, step: int, specs: list[CheckSpec], trusted: bool) -> list[CheckResult]:
        """Node checks (model-proposed: the policy must allow each command) or completion criteria
        (given by the user: trusted). Commands run sandboxed; what they change is journaled with them."""
        args = {"checks": [c.model_dump(exclude_none=True) for c in specs]}
        recorded = self.replay.take(step, CHECK_TOOL, args)
        if recorded is not None:
            self.last_action_id = recorded.id
            return parse_checks(recorded.observation or "[]")
        results: list[CheckResult] = []
        ran_command = False
        for spec in specs:
            if spec.command is None:
                results.append(file_predicate(self.workspace, spec))
                continue
            if not trusted:
                decision = self.policy.decide("run_command", spec.command)
                if decision.verdict != "allow":
                    results.append(CheckResult(check=spec.label(), passed=False, evidence=(
                        f"not run: the policy says {decision.verdict} ({decision.reason}); checks must be commands "
                        "the policy allows")))
                    continue
            if not ran_command:
                self._prepare_command()
                ran_command = True
            out = run_check(spec.command, self.workspace, self.settings.agent.check_timeout_s, self.cancel_event,
                            self.sandbox)
            results.append(CheckResult(check=spec.label(), passed=out["passed"], exit_code=out["exit_code"],
                                       evidence=out["output"][-3000:]))
        changes, states = self.tracker.commit_command() if ran_command else ([], self.tracker.states())
        self.last_action_id = self.journal.record_action(
            self.task_id, step, node_id, CHECK_TOOL, args, "", dump_checks(results), changes, states,
            ok=all(r.passed for r in results))
        return results

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

    def _rollback_node(self, checkpoint_id: int, node_id: str = "-") -> str:
        """Failed node attempt: its files back to the checkpoint before it. The rollback is journaled as a
        restore naming the node; a resumed task takes it from the journal instead of restoring again."""
        if not self.settings.agent.rollback_failed_nodes or self.cancel_event.is_set():
            return ""
        args = {"checkpoint_id": checkpoint_id, "mode": "files"}
        recorded = self.replay.take(self.steps, "restore", args) if self.replay else None
        if recorded is not None:
            self.last_action_id = recorded.id
            n = len(recorded.changes)
            return f"; rolled back {n} file(s) to checkpoint {checkpoint_id}" if n else ""
        report = restore_files(self.task_id, checkpoint_id, "files", self.journal, self.tracker, self.blobs,
                               step=self.steps, node_id=node_id)
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

    def act(self, node_id: str, step: int, action: Any, thought: str, preset: ToolResult | None = None) -> ToolResult:
        """Run one action with a checkpoint around it (or serve it from the journal when resuming).

        `preset`: the action is not carried out and this is its result (a refusal by the node's contract,
        a finish rejected by the node's checks); it is journaled and audited like any action."""
        t0 = time.perf_counter()
        self.steps = step
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
                "exit_code": _exit_code(result.output), "output_digest": digest(result.full_output or result.output)},
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

    def final_diff(self) -> str:
        """Task start vs now, for every file any action touched (user edits included, marked in the journal)."""
        try:
            return diff_between(self.journal.actions(self.task_id), self.blobs, 0, None, self.workspace)
        except Exception as exc:
            return f"(diff unavailable: {exc})\n"
