"""Custom LSP commands and notifications of mimo-lsp: names and payloads, the single source.

docs/protocol.md documents each of them; editor clients follow these names. Wire format: camelCase
keys (pydantic aliases); tool-call arguments inside events are passed through as the model wrote them.

Commands (client -> server, `workspace/executeCommand`, `arguments: [PARAMS]`):
  mimo.task.start   TaskStartParams  -> TaskStartResult   start a task; progress streams as notifications
  mimo.task.cancel  TaskRefParams    -> TaskCancelResult  stop a running task (its recorded steps stay)
  mimo.task.status  TaskStatusParams -> TaskStatusResult  one task (taskId) or all tasks of this server
  mimo.task.events  TaskEventsParams -> TaskEventsResult  replay a task's notifications after `afterSeq`
  mimo.task.resume  TaskResumeParams -> TaskStartResult   continue an interrupted/cancelled/restored task
  mimo.task.pause   TaskRefParams    -> TaskCancelResult  hold a running task between two steps
  mimo.task.unpause TaskRefParams    -> TaskCancelResult  let a paused task go on
  mimo.task.candidates     TaskCandidatesParams -> CandidatesResult     a Max Mode task's kept candidates
  mimo.task.candidateFile  CandidateFileParams  -> CandidateFileResult  one candidate's version of one file
  mimo.task.applyCandidate ApplyCandidateParams -> ApplyCandidateResult apply another candidate (checkpointed)
  mimo.lessons.list WorkspaceParams  -> {lessons: [{id, taskId, text, created}]}  lessons of earlier tasks
  mimo.index.search IndexSearchParams -> IndexSearchResult hybrid search over the workspace index (filters, mode)
  mimo.index.status IndexStatusParams -> IndexStatusResult files, chunks, pending, errors, last update
  mimo.checkpoint.list    CheckpointListParams    -> CheckpointListResult   a task's checkpoints
  mimo.checkpoint.diff    CheckpointDiffParams    -> CheckpointDiffResult   unified diff, checkpoint -> checkpoint|worktree
  mimo.checkpoint.restore CheckpointRestoreParams -> RestoreReport          files / task state / both
  mimo.checkpoint.stats   WorkspaceParams         -> CheckpointStats        disk used by checkpoints
  mimo.checkpoint.gc      CheckpointGcParams      -> GcReport               delete old tasks beyond the cap
  mimo.audit.get          CheckpointListParams    -> {records, verification} a task's hash-chained audit trail
  mimo.review.get         CheckpointListParams    -> {files: [FileReview]}  the change set, per file and hunk
  mimo.review.accept      ReviewDecideParams      -> ReviewDecision         keep hunks (all / one file / ids)
  mimo.review.reject      ReviewDecideParams      -> ReviewDecision         revert hunks (open buffers via applyEdit)
  mimo.trust.get          WorkspaceParams         -> TrustResult            what the workspace config loosens; trusted?
  mimo.trust.set          TrustSetParams          -> TrustResult            trust exactly those settings, or revoke

Notifications (server -> client), params always {taskId, seq, kind, ...}; seq increases by 1 per task:
  mimo/task/plan        {nodes: [{id, title, dependsOn, expectedOutput, files, maxSteps, checks, status}], attempt}
                        (attempt > 1: a revised plan after a failure; done nodes keep status "done")
  mimo/task/node        {nodeId, status: running|done|failed|skipped, detail}  (running again = a retry)
  mimo/task/step        {nodeId, step, thought, tool, args, observation, ok}
  mimo/task/checkpoint  {checkpointId, nodeId, step, files, diff}   (unified diff of that step)
  mimo/task/token       {text, purpose}                              (model output as it streams)
  mimo/task/done        {outcome: verified|failed|unverified|cancelled, reason, diff, check, steps, checkpoints,
                         stats: {replans, retries, nodeRejections, goalRejections, failedAttempts, lessons, modelCalls}}
"""

# Names only here: the server registers them at start-up without importing pydantic.
CMD_TASK_START = "mimo.task.start"
CMD_TASK_CANCEL = "mimo.task.cancel"
CMD_TASK_STATUS = "mimo.task.status"
CMD_TASK_EVENTS = "mimo.task.events"
CMD_TASK_RESUME = "mimo.task.resume"
CMD_TASK_PAUSE = "mimo.task.pause"
CMD_TASK_UNPAUSE = "mimo.task.unpause"
CMD_TASK_CANDIDATES = "mimo.task.candidates"
CMD_TASK_CANDIDATE_FILE = "mimo.task.candidateFile"
CMD_TASK_APPLY_CANDIDATE = "mimo.task.applyCandidate"
CMD_LESSONS_LIST = "mimo.lessons.list"
CMD_INDEX_SEARCH = "mimo.index.search"
CMD_INDEX_STATUS = "mimo.index.status"
CMD_CHECKPOINT_LIST = "mimo.checkpoint.list"
CMD_CHECKPOINT_DIFF = "mimo.checkpoint.diff"
CMD_CHECKPOINT_RESTORE = "mimo.checkpoint.restore"
CMD_CHECKPOINT_STATS = "mimo.checkpoint.stats"
CMD_CHECKPOINT_GC = "mimo.checkpoint.gc"
CMD_AUDIT_GET = "mimo.audit.get"
CMD_REVIEW_GET = "mimo.review.get"
CMD_REVIEW_ACCEPT = "mimo.review.accept"
CMD_REVIEW_REJECT = "mimo.review.reject"
CMD_TRUST_GET = "mimo.trust.get"
CMD_TRUST_SET = "mimo.trust.set"
COMMANDS = (CMD_AUDIT_GET, CMD_REVIEW_GET, CMD_REVIEW_ACCEPT, CMD_REVIEW_REJECT, CMD_TASK_START, CMD_TASK_CANCEL, CMD_TASK_STATUS, CMD_TASK_EVENTS, CMD_TASK_RESUME, CMD_INDEX_SEARCH, CMD_INDEX_STATUS,
            CMD_TASK_PAUSE, CMD_TASK_UNPAUSE, CMD_LESSONS_LIST,
            CMD_TASK_CANDIDATES, CMD_TASK_CANDIDATE_FILE, CMD_TASK_APPLY_CANDIDATE,
            CMD_CHECKPOINT_LIST, CMD_CHECKPOINT_DIFF, CMD_CHECKPOINT_RESTORE, CMD_CHECKPOINT_STATS, CMD_CHECKPOINT_GC,
            CMD_TRUST_GET, CMD_TRUST_SET)

# Commands whose handlers block (index, a confirmation) or await the editor (applyEdit): they run off the event loop. The
# others answer at once, in order. (The server's command table must agree: checked at import.)
OFF_LOOP_COMMANDS = frozenset({CMD_INDEX_SEARCH, CMD_INDEX_STATUS, CMD_REVIEW_REJECT, CMD_TASK_APPLY_CANDIDATE})

NOTIFY_PREFIX = "mimo/task/"  # + event kind: plan, node, step, checkpoint, token, done
