// Current task and the status bar text, from command results and notifications. No `vscode` import.
import type { DoneEvent } from './protocol.js';

export interface TaskState {
  taskId?: string;
  goal?: string;
  running: boolean;
  outcome?: string;
  reason?: string;
  nodesDone: number;
  nodesTotal: number;
}

export function emptyState(): TaskState {
  return { running: false, nodesDone: 0, nodesTotal: 0 };
}

export function applyEvent(s: TaskState, method: string, params: unknown): TaskState {
  const p = params as { taskId?: string };
  if (method === 'mimo/task/plan') {
    const nodes = (params as { nodes: unknown[] }).nodes ?? [];
    return { ...s, taskId: p.taskId, running: true, outcome: undefined, reason: undefined, nodesDone: 0, nodesTotal: nodes.length };
  }
  if (p.taskId !== s.taskId) return s;
  if (method === 'mimo/task/node') {
    const st = (params as { status: string }).status;
    return st === 'running' ? s : { ...s, nodesDone: s.nodesDone + 1 };
  }
  if (method === 'mimo/task/done') {
    const d = params as DoneEvent;
    return { ...s, running: false, outcome: d.outcome, reason: d.reason };
  }
  return s;
}

const OUTCOME_ICONS: Record<string, string> = { verified: 'pass', unverified: 'question', failed: 'error', cancelled: 'circle-slash' };

export function statusText(s: TaskState): string {
  if (!s.taskId) return '$(hubot) MiMo';
  if (s.running) return `$(sync~spin) MiMo ${s.nodesDone}/${s.nodesTotal || '?'}`;
  return `$(${OUTCOME_ICONS[s.outcome ?? ''] ?? 'info'}) MiMo: ${s.outcome ?? 'idle'}`;
}

export function statusTooltip(s: TaskState): string {
  if (!s.taskId) return 'MiMo: no task. Click to start one.';
  const head = `task ${s.taskId}${s.goal ? `: ${s.goal}` : ''}`;
  if (s.running) return `${head}\nrunning, ${s.nodesDone} of ${s.nodesTotal} plan nodes finished`;
  return `${head}\n${s.outcome ?? ''}${s.reason ? `: ${s.reason}` : ''}`;
}
