// Plan state built from mimo/task/plan and mimo/task/node notifications. No `vscode` import.
import { TASK_INTERRUPTED, type NodeEvent, type NodeStatus, type PlanEvent } from './protocol.js';

export interface PlanItem {
  id: string;
  title: string;
  status: NodeStatus;
  detail: string;
  dependsOn: string[];
  /** codicon id for the status */
  icon: string;
  /** single-line description shown next to the title */
  description: string;
}

export const STATUS_ICONS: Record<NodeStatus, string> = {
  pending: 'circle-outline',
  running: 'sync~spin',
  done: 'pass',
  failed: 'error',
  skipped: 'debug-step-over',
  interrupted: 'debug-pause',
};

export class PlanModel {
  taskId: string | undefined;
  attempt = 0;
  private order: string[] = [];
  private nodes = new Map<string, { title: string; dependsOn: string[]; status: NodeStatus; detail: string }>();

  /** Applies a plan (replacing the previous one) or a node status. Returns true when it changed the model. */
  apply(method: string, params: unknown): boolean {
    const ev = params as { taskId?: string };
    if (method === 'mimo/task/plan') {
      const plan = params as PlanEvent;
      this.taskId = plan.taskId;
      this.attempt = plan.attempt ?? 0;
      this.order = plan.nodes.map((n) => n.id);
      this.nodes.clear();
      for (const n of plan.nodes) {
        this.nodes.set(n.id, { title: n.title, dependsOn: n.dependsOn ?? [], status: n.status ?? 'pending', detail: n.expectedOutput ?? '' });
      }
      return true;
    }
    if (method === TASK_INTERRUPTED) {
      if (ev.taskId !== this.taskId) return false;
      let changed = false;
      for (const n of this.nodes.values()) {
        if (n.status === 'running') {
          n.status = 'interrupted';
          changed = true;
        }
      }
      return changed;
    }
    if (method === 'mimo/task/node') {
      const node = params as NodeEvent;
      if (ev.taskId !== this.taskId) return false;
      const cur = this.nodes.get(node.nodeId);
      if (!cur) return false;
      cur.status = node.status;
      if (node.detail) cur.detail = node.detail;
      return true;
    }
    return false;
  }

  reset(): void {
    this.taskId = undefined;
    this.attempt = 0;
    this.order = [];
    this.nodes.clear();
  }

  items(): PlanItem[] {
    return this.order.map((id) => {
      const n = this.nodes.get(id)!;
      const deps = n.dependsOn.length ? ` (after ${n.dependsOn.join(', ')})` : '';
      return {
        id,
        title: n.title,
        status: n.status,
        detail: n.detail,
        dependsOn: n.dependsOn,
        icon: STATUS_ICONS[n.status],
        description: `${n.status}${deps}`,
      };
    });
  }
}
