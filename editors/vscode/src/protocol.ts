// Wire types and names of the mimo-lsp protocol (docs/protocol.md). No `vscode` import.

export const Notifications = {
  plan: 'mimo/task/plan',
  node: 'mimo/task/node',
  step: 'mimo/task/step',
  checkpoint: 'mimo/task/checkpoint',
  token: 'mimo/task/token',
  done: 'mimo/task/done',
  candidate: 'mimo/task/candidate',
  pick: 'mimo/task/pick',
} as const;

export const Commands = {
  taskStart: 'mimo.task.start',
  taskCancel: 'mimo.task.cancel',
  taskStatus: 'mimo.task.status',
  taskResume: 'mimo.task.resume',
  taskEvents: 'mimo.task.events',
  indexSearch: 'mimo.index.search',
  indexStatus: 'mimo.index.status',
  checkpointList: 'mimo.checkpoint.list',
  checkpointDiff: 'mimo.checkpoint.diff',
  checkpointRestore: 'mimo.checkpoint.restore',
  auditGet: 'mimo.audit.get',
  reviewGet: 'mimo.review.get',
  reviewAccept: 'mimo.review.accept',
  reviewReject: 'mimo.review.reject',
  trustGet: 'mimo.trust.get',
  trustSet: 'mimo.trust.set',
  taskCandidates: 'mimo.task.candidates',
  taskCandidateFile: 'mimo.task.candidateFile',
  taskApplyCandidate: 'mimo.task.applyCandidate',
} as const;

/** mimo.trust.get / mimo.trust.set: what the folder's .mimo/config.toml loosens, and whether it is trusted. */
export interface TrustResult {
  workspace: string;
  config: string;
  trusted: boolean;
  digest: string;
  loosening: { key: string; value: unknown; why: string }[];
  ignored: { key: string; value: unknown; why: string }[];
}

export interface TaskEvent {
  taskId: string;
  seq: number;
  kind: string;
}

export interface PlanNode {
  id: string;
  title: string;
  dependsOn: string[];
  expectedOutput?: string;
  /** Present since plans can be revised: a replanned DAG keeps done nodes as 'done'. */
  status?: NodeStatus;
  files?: string[];
  maxSteps?: number | null;
}

export interface PlanEvent extends TaskEvent {
  nodes: PlanNode[];
  attempt: number;
}

export type NodeStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped' | 'interrupted';

/** Client-side event (never sent by the server): the task's server process died while it ran. */
export const TASK_INTERRUPTED = 'mimo/client/interrupted';

export interface NodeEvent extends TaskEvent {
  nodeId: string;
  status: Exclude<NodeStatus, 'pending'>;
  detail?: string;
}

export interface StepEvent extends TaskEvent {
  nodeId: string;
  step: number;
  thought?: string;
  tool: string;
  args: unknown;
  observation?: string;
  ok: boolean;
  replayed?: boolean;
}

export interface CheckpointEvent extends TaskEvent {
  checkpointId: number;
  nodeId: string;
  step: number;
  files: string[];
  diff: string;
  replayed?: boolean;
}

export type Outcome = 'verified' | 'failed' | 'unverified' | 'cancelled';

export interface TokenEvent extends TaskEvent {
  text: string;
  purpose: string;
}

export interface DoneEvent extends TaskEvent {
  outcome: Outcome;
  reason?: string;
  diff?: string;
  check?: { command: string | null; passed: boolean; exitCode: number | null; output: string; results?: { check: string; passed: boolean; evidence?: string; exitCode?: number | null }[] } | null;
  steps?: number;
  checkpoints?: number;
}

export interface TaskStartParams {
  goal: string;
  workspace?: string;
  check?: string;
  model?: string;
  /** Only sent when the server advertises Max Mode (capabilities.experimental.mimo.maxMode). */
  maxMode?: { n: number; selection?: 'first_pass' | 'judge_all' };
}

/** Max Mode: the candidate applied (null: none usable), why, and how far the candidates agreed. */
export interface PickEvent extends TaskEvent {
  candidateId: number | null;
  reason: string;
  convergence: number;
  judged: boolean;
  candidates: { id: number; outcome: string; checksPassed: boolean; tokens: number; summary: string }[];
}

/** mimo.task.candidates: a finished Max Mode task's kept candidates (docs/protocol.md). */
export interface CandidateInfo {
  id: number;
  round: number;
  outcome: string;
  checksPassed: boolean;
  tokens: number;
  summary: string;
  picked: boolean;
  /** picked | same (the pick's change, whitespace ignored) | different | none (changed nothing) */
  convergence: string;
  /** false: its files were over the size limit and were not kept (cannot be shown or applied) */
  kept: boolean;
  files: { path: string; status: string; bytes: number }[];
  diff: string;
}

export interface CandidatesResult {
  taskId: string;
  picked: number | null;
  reason: string;
  convergence: number;
  candidates: CandidateInfo[];
}

/** mimo.task.candidateFile: one candidate's text of one file (null: the candidate deletes it). */
export interface CandidateFileResult {
  taskId: string;
  candidateId: number;
  path: string;
  status: string;
  content: string | null;
}

/** mimo.task.applyCandidate: the candidate's files replace the current ones as one checkpoint. */
export interface ApplyCandidateResult {
  taskId: string;
  candidateId: number;
  checkpointId: number;
  files: string[];
}

export interface TaskStartResult {
  taskId: string;
  model: string;
}

export interface Hunk {
  id: string;
  header: string;
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  old: string[];
  new: string[];
  state: 'pending' | 'accepted' | 'rejected';
  /** 0-based line of the hunk's new lines in the open buffer (else on disk); null: not found (a conflict). */
  currentLine?: number | null;
}

export interface ReviewFile {
  path: string;
  status: 'added' | 'modified' | 'deleted' | 'binary';
  modifiedSince: boolean;
  hunks: Hunk[];
}

export interface ReviewGetResult {
  files: ReviewFile[];
}

export interface ReviewDecisionResult {
  taskId: string;
  verdict: string;
  decided: string[];
  conflicts: { hunkId: string; path: string; reason: string }[];
  bufferEdits: { path: string; text: string }[];
  actionId?: number | null;
}

export interface SearchHit {
  path: string;
  startLine: number;
  endLine: number;
  symbol?: string;
  kind?: string;
  score: number;
  snippet?: string;
}

export interface TaskInfo {
  taskId: string;
  goal: string;
  workspace: string;
  status: string;
  outcome?: string | null;
  reason?: string | null;
  steps?: number;
  lastSeq?: number;
}

/** mimo.index.status's result (docs/protocol.md). */
export interface IndexStatus {
  files: number;
  chunks: number;
  pending: number;
  embedded: number;
  errors: number;
  errorList?: string[];
  embedFailures?: number;
  lastEmbedError?: string | null;
  indexing: boolean;
  lastUpdate?: number | null;
}
