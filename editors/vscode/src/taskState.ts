// Current task and the status bar text, from command results and notifications. No `vscode` import.
import type { DoneEvent, IndexStatus, StepEvent, TokenEvent } from './protocol.js';

export interface TaskState {
  taskId?: string;
  goal?: string;
  /** the model the server resolved for the task (mimo.task.start's result) */
  model?: string;
  running: boolean;
  outcome?: string;
  reason?: string;
  nodesDone: number;
  nodesTotal: number;
  steps: number;
  /** characters of model output streamed so far (mimo/task/token) */
  streamed: number;
  /** highest seq seen: what a reconnecting client asks mimo.task.events for */
  lastSeq: number;
  /** set when the server says the task's process died (status "interrupted"): resumable */
  interrupted?: boolean;
  /** the codebase index: 'unknown' until a search starts it, then mimo.index.status summarised (indexSummary) */
  index: string;
}

export function emptyState(): TaskState {
  return { running: false, nodesDone: 0, nodesTotal: 0, steps: 0, streamed: 0, lastSeq: 0, index: 'unknown' };
}

/** A new task (started or resumed) keeps what is not per task (the index state). */
export function startedState(prev: TaskState, taskId: string, goal: string | undefined, model: string | undefined): TaskState {
  return { ...emptyState(), index: prev.index, taskId, goal, model, running: true };
}

export function applyEvent(s: TaskState, method: string, params: unknown): TaskState {
  const p = params as { taskId?: string; seq?: number };
  if (method === 'mimo/task/plan') {
    const nodes = (params as { nodes: unknown[] }).nodes ?? [];
    const same = p.taskId === s.taskId;
    return {
      ...s, taskId: p.taskId, running: true, outcome: undefined, reason: undefined, interrupted: undefined,
      nodesDone: 0, nodesTotal: nodes.length, steps: same ? s.steps : 0, streamed: same ? s.streamed : 0,
      goal: same ? s.goal : undefined, model: same ? s.model : undefined, lastSeq: Math.max(same ? s.lastSeq : 0, p.seq ?? 0),
    };
  }
  if (p.taskId !== s.taskId) return s;
  const seen = { ...s, lastSeq: Math.max(s.lastSeq, p.seq ?? 0) };
  if (method === 'mimo/task/node') {
    const st = (params as { status: string }).status;
    return st === 'running' ? seen : { ...seen, nodesDone: s.nodesDone + 1 };
  }
  if (method === 'mimo/task/step') return { ...seen, steps: Math.max(s.steps, (params as StepEvent).step ?? 0) };
  if (method === 'mimo/task/token') return { ...seen, streamed: s.streamed + ((params as TokenEvent).text ?? '').length };
  if (method === 'mimo/task/done') {
    const d = params as DoneEvent;
    return { ...seen, running: false, outcome: d.outcome, reason: d.reason, steps: d.steps ?? s.steps };
  }
  return seen;
}

const OUTCOME_ICONS: Record<string, string> = { verified: 'pass', unverified: 'question', failed: 'error', cancelled: 'circle-slash' };

function compact(n: number): string {
  return n >= 10_000 ? `${Math.round(n / 1000)}k` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(n);
}

export function statusText(s: TaskState): string {
  if (!s.taskId) return '$(hubot) MiMo';
  if (s.interrupted) return '$(debug-pause) MiMo: interrupted';
  if (s.running) return `$(sync~spin) MiMo ${s.nodesDone}/${s.nodesTotal || '?'} · ${s.steps} step(s) · ${compact(s.streamed)} chars`;
  return `$(${OUTCOME_ICONS[s.outcome ?? ''] ?? 'info'}) MiMo: ${s.outcome ?? 'idle'}`;
}

export function statusTooltip(s: TaskState, configuredModel?: string): string {
  const model = s.model ?? (configuredModel || "the server's default");
  const tail = `model: ${model}\nindex: ${s.index}`;
  if (!s.taskId) return `MiMo: no task. Click to start one.\n${tail}`;
  const head = `task ${s.taskId}${s.goal ? `: ${s.goal}` : ''}`;
  const counts = `${s.nodesDone} of ${s.nodesTotal} plan nodes finished, ${s.steps} step(s), ${s.streamed} chars streamed`;
  if (s.interrupted) return `${head}\ninterrupted (the server stopped mid-task): MiMo: Resume Task continues it\n${counts}\n${tail}`;
  if (s.running) return `${head}\nrunning: ${counts}\n${tail}`;
  return `${head}\n${s.outcome ?? ''}${s.reason ? `: ${s.reason}` : ''}\n${counts}\n${tail}`;
}

/** One line for the status bar tooltip from mimo.index.status: counts, what is left, errors. */
export function indexSummary(st: IndexStatus): string {
  const parts = [`${st.files} files`, `${st.chunks} chunks`];
  if (st.pending > 0) parts.push(`${st.pending} awaiting embeddings`);
  if (st.errors > 0) parts.push(`${st.errors} error(s)${st.errorList?.length ? ` (first: ${st.errorList[0]})` : ''}`);
  if (st.embedFailures) parts.push(`embedding failed ${st.embedFailures}x${st.lastEmbedError ? `: ${st.lastEmbedError}` : ''}`);
  return `${st.indexing ? 'indexing' : 'ready'}: ${parts.join(', ')}`;
}
