"""The command table of the server and the handlers' bodies: each parses nothing (the dispatcher
did), calls the application layer and returns one wire model. Loaded on the first command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mimo_lsp import protocol as names
from mimo_lsp.agent.goal import GoalCriteria
from mimo_lsp.agent.plan import CheckSpec
from mimo_lsp.app.setup import TaskRequest
from mimo_lsp.protocol import payloads as P
from mimo_lsp.protocol import results as R
from mimo_lsp.protocol.catalog import COMMAND_TYPES
from mimo_lsp.protocol.results import from_core
from mimo_lsp.server import index_features
from mimo_lsp.server.context import ServerContext, workspace_of
from mimo_lsp.server.dispatch import Command



def _optional_workspace(ctx: ServerContext, given: str | None) -> Path | None:
    try:
        return workspace_of(ctx, given)
    except Exception:  # no folder open and none given: only this server's own tasks are known
        return None


def criteria_of(params: P.TaskStartParams) -> GoalCriteria:
    c = params.criteria
    given = None if c is None else GoalCriteria(
        commands=c.commands, criterion=c.criterion, files=[CheckSpec(**f.model_dump(exclude_none=True)) for f in c.files])
    return GoalCriteria.of(params.check, given)


# -- tasks ----------------------------------------------------------------------------------------
def task_start(ctx: ServerContext, p: P.TaskStartParams) -> P.TaskStartResult:
    max_mode = p.max_mode.model_dump(exclude_none=True) if p.max_mode else {}
    request = TaskRequest(workspace=workspace_of(ctx, p.workspace), goal=p.goal, criteria=criteria_of(p), model=p.model,
                          overrides={"max": max_mode} if max_mode else {})
    task_id, model_name = ctx.backend.tasks.start(request)
    ctx.begin_progress(task_id, p.goal)
    return P.TaskStartResult(task_id=task_id, model=model_name)


def task_resume(ctx: ServerContext, p: P.TaskResumeParams) -> P.TaskStartResult:
    task_id, model_name = ctx.backend.tasks.resume(p.task_id, workspace_of(ctx, p.workspace), p.model)
    ctx.begin_progress(task_id, f"resume {task_id}")
    return P.TaskStartResult(task_id=task_id, model=model_name)


def task_cancel(ctx: ServerContext, p: P.TaskRefParams) -> P.TaskCancelResult:
    rec = ctx.backend.tasks.cancel(p.task_id)
    return P.TaskCancelResult(task_id=rec.task_id, cancelled=rec.status != "finished", status=rec.status)


def task_pause(ctx: ServerContext, p: P.TaskRefParams) -> P.TaskCancelResult:
    rec = ctx.backend.tasks.pause(p.task_id, True)
    return P.TaskCancelResult(task_id=rec.task_id, cancelled=False, status="paused")


def task_unpause(ctx: ServerContext, p: P.TaskRefParams) -> P.TaskCancelResult:
    rec = ctx.backend.tasks.pause(p.task_id, False)
    return P.TaskCancelResult(task_id=rec.task_id, cancelled=False, status=rec.status)


def task_status(ctx: ServerContext, p: P.TaskStatusParams) -> P.TaskStatusResult:
    return P.TaskStatusResult(tasks=ctx.backend.tasks.status(p.task_id, _optional_workspace(ctx, p.workspace)))


def task_events(ctx: ServerContext, p: P.TaskEventsParams) -> P.TaskEventsResult:
    return P.TaskEventsResult(events=ctx.backend.tasks.events(p.task_id, p.after_seq,
                                                              _optional_workspace(ctx, p.workspace)))


def task_candidates(ctx: ServerContext, p: P.TaskCandidatesParams) -> R.CandidatesResult:
    found = ctx.backend.tasks.candidates(p.task_id, _optional_workspace(ctx, p.workspace))
    return R.CandidatesResult.model_validate(found)


def task_candidate_file(ctx: ServerContext, p: P.CandidateFileParams) -> R.CandidateFileResult:
    found = ctx.backend.tasks.candidate_file(p.task_id, p.candidate_id, p.path, _optional_workspace(ctx, p.workspace))
    return R.CandidateFileResult.model_validate(found)


def task_apply_candidate(ctx: ServerContext, p: P.ApplyCandidateParams) -> R.ApplyCandidateResult:
    """Off the loop: the policy may ask the user (window/showMessageRequest) before the files are written."""
    done = ctx.backend.tasks.apply_candidate(p.task_id, p.candidate_id, _optional_workspace(ctx, p.workspace))
    ctx.call_soon(ctx.refresh_review)
    return R.ApplyCandidateResult.model_validate(done)


def lessons_list(ctx: ServerContext, p: P.WorkspaceParams) -> R.LessonsResult:
    lessons = ctx.backend.services.lessons(workspace_of(ctx, p.workspace))
    return R.LessonsResult(lessons=[R.Lesson(id=m.id, task_id=m.task_id, text=m.text, created=m.created)
                                    for m in lessons])


# -- checkpoints, audit, review -------------------------------------------------------------------
def _checkpoints(ctx: ServerContext, given: str | None):
    return ctx.backend.services.checkpoints(workspace_of(ctx, given))


def checkpoint_list(ctx: ServerContext, p: P.CheckpointListParams) -> R.CheckpointListResult:
    with _checkpoints(ctx, p.workspace) as svc:
        return R.CheckpointListResult(checkpoints=[from_core(R.CheckpointInfo, c) for c in svc.list(p.task_id)])


def checkpoint_diff(ctx: ServerContext, p: P.CheckpointDiffParams) -> P.CheckpointDiffResult:
    with _checkpoints(ctx, p.workspace) as svc:
        return P.CheckpointDiffResult(diff=svc.diff(p.task_id, p.from_checkpoint, p.to_checkpoint))


def _not_running(ctx: ServerContext, task_id: str, doing: str) -> None:
    if ctx.backend.tasks.is_running(task_id):
        raise ValueError(f"task {task_id} is running; cancel it before {doing}")


def checkpoint_restore(ctx: ServerContext, p: P.CheckpointRestoreParams) -> R.RestoreReport:
    _not_running(ctx, p.task_id, "restoring")
    with _checkpoints(ctx, p.workspace) as svc:
        return from_core(R.RestoreReport, svc.restore(p.task_id, p.checkpoint_id, p.mode))


def checkpoint_stats(ctx: ServerContext, p: P.WorkspaceParams) -> R.CheckpointStats:
    with _checkpoints(ctx, p.workspace) as svc:
        return from_core(R.CheckpointStats, svc.stats())


def checkpoint_gc(ctx: ServerContext, p: P.CheckpointGcParams) -> R.GcReport:
    with _checkpoints(ctx, p.workspace) as svc:
        return from_core(R.GcReport, svc.gc(p.keep_days))


def audit_get(ctx: ServerContext, p: P.CheckpointListParams) -> R.AuditResult:
    report = ctx.backend.services.audit(workspace_of(ctx, p.workspace), p.task_id)
    return R.AuditResult(records=report.records, verification=from_core(R.Verification, report.verification))


def _open_text(ctx: ServerContext, workspace: Path):
    """rel path -> the text of its open editor buffer, or None when it is not open."""
    return lambda rel: ctx.open_text(workspace / rel)


def review_get(ctx: ServerContext, p: P.CheckpointListParams) -> R.ReviewGetResult:
    workspace = workspace_of(ctx, p.workspace).resolve()
    with _checkpoints(ctx, p.workspace) as svc:
        return R.ReviewGetResult(files=[from_core(R.FileReview, f) for f in svc.review(p.task_id,
                                                                                      _open_text(ctx, workspace))])


def review_accept(ctx: ServerContext, p: P.ReviewDecideParams) -> R.ReviewDecision:
    with _checkpoints(ctx, p.workspace) as svc:
        decision = svc.decide(p.task_id, "accept", p.path, p.hunk_ids)
    ctx.refresh_review()
    return from_core(R.ReviewDecision, decision)


async def review_reject(ctx: ServerContext, p: P.ReviewDecideParams) -> R.ReviewDecision:
    """Reverts on disk what is not open; open buffers get a versioned workspace/applyEdit (their undo stack
    stays the user's), and the clean ones are journaled once applied."""
    workspace = workspace_of(ctx, p.workspace).resolve()
    with _checkpoints(ctx, p.workspace) as svc:
        decision = svc.decide(p.task_id, "reject", p.path, p.hunk_ids, _open_text(ctx, workspace))
    applied = []
    for edit in decision.buffer_edits:
        failure = await ctx.apply_buffer_edit(workspace / edit.path, edit.text)
        if failure:
            decision.conflicts.append({"hunkId": "", "path": edit.path, "reason": failure})
        else:
            applied.append(edit)
    if applied:
        with _checkpoints(ctx, p.workspace) as svc:
            decision.action_id = svc.journal_buffer_rejects(p.task_id, applied) or decision.action_id
    ctx.refresh_review()
    return from_core(R.ReviewDecision, decision)


def _cmd(name: str, handler: Any, runs: Any = "loop") -> Command:
    return Command(COMMAND_TYPES[name][0], handler, runs)


# -- workspace trust ------------------------------------------------------------------------------
def trust_get(ctx: ServerContext, p: P.WorkspaceParams) -> R.TrustResult:
    return from_core(R.TrustResult, ctx.backend.services.trust(workspace_of(ctx, p.workspace)))


def trust_set(ctx: ServerContext, p: P.TrustSetParams) -> R.TrustResult:
    """A user action (VS Code: only from a window the user trusts); trusts exactly what loosens now."""
    return from_core(R.TrustResult, ctx.backend.services.trust(workspace_of(ctx, p.workspace), p.trust))


COMMANDS: dict[str, Command] = {
    names.CMD_TASK_START: _cmd(names.CMD_TASK_START, task_start),
    names.CMD_TASK_RESUME: _cmd(names.CMD_TASK_RESUME, task_resume),
    names.CMD_TASK_CANCEL: _cmd(names.CMD_TASK_CANCEL, task_cancel),
    names.CMD_TASK_PAUSE: _cmd(names.CMD_TASK_PAUSE, task_pause),
    names.CMD_TASK_UNPAUSE: _cmd(names.CMD_TASK_UNPAUSE, task_unpause),
    names.CMD_TASK_STATUS: _cmd(names.CMD_TASK_STATUS, task_status),
    names.CMD_TASK_EVENTS: _cmd(names.CMD_TASK_EVENTS, task_events),
    names.CMD_TASK_CANDIDATES: _cmd(names.CMD_TASK_CANDIDATES, task_candidates),
    names.CMD_TASK_CANDIDATE_FILE: _cmd(names.CMD_TASK_CANDIDATE_FILE, task_candidate_file),
    names.CMD_TASK_APPLY_CANDIDATE: _cmd(names.CMD_TASK_APPLY_CANDIDATE, task_apply_candidate, runs="thread"),
    names.CMD_LESSONS_LIST: _cmd(names.CMD_LESSONS_LIST, lessons_list),
    names.CMD_CHECKPOINT_LIST: _cmd(names.CMD_CHECKPOINT_LIST, checkpoint_list),
    names.CMD_CHECKPOINT_DIFF: _cmd(names.CMD_CHECKPOINT_DIFF, checkpoint_diff),
    names.CMD_CHECKPOINT_RESTORE: _cmd(names.CMD_CHECKPOINT_RESTORE, checkpoint_restore),
    names.CMD_CHECKPOINT_STATS: _cmd(names.CMD_CHECKPOINT_STATS, checkpoint_stats),
    names.CMD_CHECKPOINT_GC: _cmd(names.CMD_CHECKPOINT_GC, checkpoint_gc),
    names.CMD_AUDIT_GET: _cmd(names.CMD_AUDIT_GET, audit_get),
    names.CMD_REVIEW_GET: _cmd(names.CMD_REVIEW_GET, review_get),
    names.CMD_REVIEW_ACCEPT: _cmd(names.CMD_REVIEW_ACCEPT, review_accept),
    names.CMD_REVIEW_REJECT: _cmd(names.CMD_REVIEW_REJECT, review_reject, runs="async"),
    names.CMD_INDEX_SEARCH: _cmd(names.CMD_INDEX_SEARCH, index_features.index_search, runs="thread"),
    names.CMD_INDEX_STATUS: _cmd(names.CMD_INDEX_STATUS, index_features.index_status, runs="thread"),
    names.CMD_TRUST_GET: _cmd(names.CMD_TRUST_GET, trust_get),
    names.CMD_TRUST_SET: _cmd(names.CMD_TRUST_SET, trust_set),
}
# The names the server registers at start-up and how it registers them agree with the table.
assert set(names.COMMANDS) == set(COMMANDS), set(names.COMMANDS) ^ set(COMMANDS)
assert {n for n, c in COMMANDS.items() if c.runs != "loop"} == names.OFF_LOOP_COMMANDS
