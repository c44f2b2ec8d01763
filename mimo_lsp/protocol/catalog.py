"""Every custom command's params and result model, and every notification's model: the catalog the
server dispatches from and the JSON Schema (`schema.json`) that editor clients are checked against."""

from __future__ import annotations

from pydantic import BaseModel

from mimo_lsp import protocol as names
from mimo_lsp.protocol import notifications as N
from mimo_lsp.protocol import payloads as P
from mimo_lsp.protocol import results as R

COMMAND_TYPES: dict[str, tuple[type[BaseModel], type[BaseModel]]] = {
    names.CMD_TASK_START: (P.TaskStartParams, P.TaskStartResult),
    names.CMD_TASK_RESUME: (P.TaskResumeParams, P.TaskStartResult),
    names.CMD_TASK_CANCEL: (P.TaskRefParams, P.TaskCancelResult),
    names.CMD_TASK_PAUSE: (P.TaskRefParams, P.TaskCancelResult),
    names.CMD_TASK_UNPAUSE: (P.TaskRefParams, P.TaskCancelResult),
    names.CMD_TASK_STATUS: (P.TaskStatusParams, P.TaskStatusResult),
    names.CMD_TASK_EVENTS: (P.TaskEventsParams, P.TaskEventsResult),
    names.CMD_TASK_CANDIDATES: (P.TaskCandidatesParams, R.CandidatesResult),
    names.CMD_TASK_CANDIDATE_FILE: (P.CandidateFileParams, R.CandidateFileResult),
    names.CMD_TASK_APPLY_CANDIDATE: (P.ApplyCandidateParams, R.ApplyCandidateResult),
    names.CMD_LESSONS_LIST: (P.WorkspaceParams, R.LessonsResult),
    names.CMD_CHECKPOINT_LIST: (P.CheckpointListParams, R.CheckpointListResult),
    names.CMD_CHECKPOINT_DIFF: (P.CheckpointDiffParams, P.CheckpointDiffResult),
    names.CMD_CHECKPOINT_RESTORE: (P.CheckpointRestoreParams, R.RestoreReport),
    names.CMD_CHECKPOINT_STATS: (P.WorkspaceParams, R.CheckpointStats),
    names.CMD_CHECKPOINT_GC: (P.CheckpointGcParams, R.GcReport),
    names.CMD_AUDIT_GET: (P.CheckpointListParams, R.AuditResult),
    names.CMD_REVIEW_GET: (P.CheckpointListParams, R.ReviewGetResult),
    names.CMD_REVIEW_ACCEPT: (P.ReviewDecideParams, R.ReviewDecision),
    names.CMD_REVIEW_REJECT: (P.ReviewDecideParams, R.ReviewDecision),
    names.CMD_INDEX_SEARCH: (P.IndexSearchParams, P.IndexSearchResult),
    names.CMD_INDEX_STATUS: (P.IndexStatusParams, P.IndexStatusResult),
    names.CMD_TRUST_GET: (P.WorkspaceParams, R.TrustResult),
    names.CMD_TRUST_SET: (P.TrustSetParams, R.TrustResult),
}
assert set(COMMAND_TYPES) == set(names.COMMANDS), set(COMMAND_TYPES) ^ set(names.COMMANDS)

NOTIFICATION_TYPES: dict[str, type[BaseModel]] = {
    names.NOTIFY_PREFIX + kind: model for kind, model in N.NOTIFICATIONS.items()}
