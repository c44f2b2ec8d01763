// Checkpoint list built from mimo/task/checkpoint notifications. No `vscode` import.
import type { CheckpointEvent } from './protocol.js';

export interface CheckpointItem {
  taskId: string;
  checkpointId: number;
  step: number;
  nodeId: string;
  files: string[];
  diff: string;
  label: string;
  description: string;
}

export function checkpointLabel(ev: CheckpointEvent): string {
  const files = ev.files.length ? ev.files.join(', ') : 'no file changes';
  return `#${ev.checkpointId} step ${ev.step}: ${files}`;
}

export class CheckpointModel {
  private list: CheckpointItem[] = [];

  apply(method: string, params: unknown): boolean {
    if (method === 'mimo/task/plan') {
      const p = params as { taskId: string };
      if (this.list.length && this.list[0].taskId !== p.taskId) this.list = [];
      return true;
    }
    if (method !== 'mimo/task/checkpoint') return false;
    const ev = params as CheckpointEvent;
    if (this.list.length && this.list[0].taskId !== ev.taskId) this.list = [];
    if (this.list.some((c) => c.checkpointId === ev.checkpointId)) return false;
    this.list.push({
      taskId: ev.taskId,
      checkpointId: ev.checkpointId,
      step: ev.step,
      nodeId: ev.nodeId,
      files: ev.files,
      diff: ev.diff ?? '',
      label: checkpointLabel(ev),
      description: `${ev.nodeId}${ev.replayed ? ' (replayed)' : ''}`,
    });
    return true;
  }

  items(): CheckpointItem[] {
    return [...this.list];
  }

  clear(): void {
    this.list = [];
  }
}
