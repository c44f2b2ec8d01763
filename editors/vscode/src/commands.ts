// The MiMo commands of the command palette, the status bar item and the current task.
import * as vscode from 'vscode';
import type { MimoClient } from './client.js';
import { readSettings } from './client.js';
import type { CheckpointItem } from './checkpointModel.js';
import type { DiffDocuments } from './checkpointsView.js';
import {
  Commands,
  type DoneEvent,
  type SearchHit,
  type TaskInfo,
  type TaskStartParams,
  type TaskStartResult,
} from './protocol.js';
import { decideAll, reviewChanges } from './review.js';
import { applyEvent, emptyState, statusText, statusTooltip, type TaskState } from './taskState.js';

function workspacePath(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

export class MimoCommands {
  state: TaskState = emptyState();
  readonly statusBar = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50);

  constructor(
    private readonly client: MimoClient,
    private readonly docs: DiffDocuments,
  ) {
    this.statusBar.command = 'mimo.startTask';
    this.render();
    this.statusBar.show();
  }

  handle(method: string, params: unknown): void {
    this.state = applyEvent(this.state, method, params);
    this.render();
    if (method === 'mimo/task/done' && (params as DoneEvent).taskId === this.state.taskId) {
      const d = params as DoneEvent;
      const text = `MiMo task ${d.outcome}${d.reason ? `: ${d.reason}` : ''}`;
      const show = d.outcome === 'failed' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
      void show(text, 'Review Changes').then((a) => {
        if (a) void vscode.commands.executeCommand('mimo.reviewChanges');
      });
    }
  }

  private render(): void {
    this.statusBar.text = statusText(this.state);
    this.statusBar.tooltip = statusTooltip(this.state);
    this.statusBar.command = this.state.running ? 'mimo.cancelTask' : this.state.taskId ? 'mimo.reviewChanges' : 'mimo.startTask';
  }

  private async requireTask(): Promise<string | undefined> {
    if (this.state.taskId) return this.state.taskId;
    return this.pickTask('Pick a task', () => true);
  }

  private async pickTask(title: string, filter: (t: TaskInfo) => boolean): Promise<string | undefined> {
    const r = await this.client.execute<{ tasks: TaskInfo[] }>(Commands.taskStatus, { workspace: workspacePath() });
    const tasks = r.tasks.filter(filter);
    if (!tasks.length) {
      void vscode.window.showInformationMessage('MiMo: no matching task.');
      return undefined;
    }
    const p = await vscode.window.showQuickPick(
      tasks.map((t) => ({ label: t.goal, description: `${t.status}${t.outcome ? `, ${t.outcome}` : ''}`, detail: t.taskId, id: t.taskId })),
      { title },
    );
    return p?.id;
  }

  register(): vscode.Disposable[] {
    const wrap = (name: string, fn: (...args: any[]) => Promise<unknown>) =>
      vscode.commands.registerCommand(name, async (...args: any[]) => {
        try {
          await fn(...args);
        } catch (e) {
          const msg = e instanceof Error ? e.message : String(e);
          this.client.output.appendLine(`${name} failed: ${msg}`);
          void vscode.window.showErrorMessage(msg.startsWith('MiMo') ? msg : `MiMo: ${msg}`, 'Open Settings').then((a) => {
            if (a) void vscode.commands.executeCommand('workbench.action.openSettings', 'mimo.');
          });
        }
      });
    return [
      this.statusBar,
      wrap('mimo.startTask', () => this.startTask()),
      wrap('mimo.cancelTask', async () => {
        const taskId = await this.requireTask();
        if (!taskId) return;
        const r = await this.client.execute<{ cancelled: boolean; status: string }>(Commands.taskCancel, { taskId });
        void vscode.window.showInformationMessage(`MiMo: cancel ${r.cancelled ? 'requested' : 'not needed'} (${r.status})`);
      }),
      wrap('mimo.resumeTask', async () => {
        const taskId = await this.pickTask('Resume which task?', (t) => ['interrupted', 'cancelled', 'restored'].includes(t.status));
        if (!taskId) return;
        const model = readSettings().model;
        const r = await this.client.execute<TaskStartResult>(Commands.taskResume, { taskId, workspace: workspacePath(), ...(model ? { model } : {}) });
        this.state = { ...emptyState(), taskId: r.taskId, running: true };
        this.render();
      }),
      wrap('mimo.showPlan', async () => {
        await vscode.commands.executeCommand('mimo.plan.focus');
      }),
      wrap('mimo.reviewChanges', async () => {
        const taskId = await this.requireTask();
        if (taskId) await reviewChanges(this.client, taskId, this.docs);
      }),
      wrap('mimo.acceptAll', async () => {
        const taskId = await this.requireTask();
        if (taskId) await decideAll(this.client, taskId, 'accept');
      }),
      wrap('mimo.rejectAll', async () => {
        const taskId = await this.requireTask();
        if (!taskId) return;
        const ok = await vscode.window.showWarningMessage('MiMo: revert every pending hunk of the task?', { modal: true }, 'Reject All');
        if (ok) await decideAll(this.client, taskId, 'reject');
      }),
      wrap('mimo.restoreCheckpoint', () => this.restoreCheckpoint()),
      wrap('mimo.checkpoints.open', async (item: CheckpointItem) => {
        await this.docs.open(`checkpoint-${item.checkpointId}`, item.diff || '(no changes in this step)\n');
      }),
      wrap('mimo.checkpoints.restore', async (item: CheckpointItem) => {
        await this.restore(item.taskId, item.checkpointId);
      }),
      wrap('mimo.searchCodebase', () => this.search()),
      wrap('mimo.showAuditTrail', async () => {
        const taskId = await this.requireTask();
        if (!taskId) return;
        const r = await this.client.execute<unknown>(Commands.auditGet, { taskId });
        await this.docs.open(`audit-${taskId}.json`, JSON.stringify(r, null, 2));
      }),
    ];
  }

  private async startTask(): Promise<void> {
    const goal = await vscode.window.showInputBox({ title: 'MiMo: Start Task', prompt: 'What should the agent do?', ignoreFocusOut: true });
    if (!goal) return;
    const check = await vscode.window.showInputBox({
      title: 'MiMo: acceptance command (optional)',
      prompt: 'Command run in the workspace at the end; exit 0 = verified. Leave empty to skip.',
      placeHolder: 'e.g. python -m pytest -q',
      ignoreFocusOut: true,
    });
    if (check === undefined) return;
    const params: TaskStartParams = { goal };
    if (check.trim()) params.check = check.trim();
    const model = readSettings().model;
    if (model) params.model = model;
    const ws = workspacePath();
    if (ws) params.workspace = ws;
    const r = await this.client.execute<TaskStartResult>(Commands.taskStart, params);
    this.state = { ...emptyState(), taskId: r.taskId, goal, running: true };
    this.render();
    this.client.output.appendLine(`task ${r.taskId} started with model ${r.model}`);
    await vscode.commands.executeCommand('mimo.plan.focus');
  }

  private async restoreCheckpoint(): Promise<void> {
    const taskId = await this.requireTask();
    if (!taskId) return;
    const r = await this.client.execute<{ checkpoints: { id: number; step: number; tool: string; files: string[]; state: string }[] }>(
      Commands.checkpointList,
      { taskId },
    );
    const picked = await vscode.window.showQuickPick(
      [
        { label: '#0 task start', description: 'before any change', id: 0 },
        ...r.checkpoints.map((c) => ({ label: `#${c.id} step ${c.step} ${c.tool}`, description: `${c.state} ${c.files.join(', ')}`, id: c.id })),
      ],
      { title: 'MiMo: restore which checkpoint?' },
    );
    if (picked) await this.restore(taskId, picked.id);
  }

  private async restore(taskId: string, checkpointId: number): Promise<void> {
    const mode = await vscode.window.showQuickPick(
      [
        { label: 'both', description: 'files and task state' },
        { label: 'files', description: 'the working tree as right after that checkpoint' },
        { label: 'task', description: 'set later actions aside so Resume continues from there' },
      ],
      { title: `MiMo: restore checkpoint #${checkpointId}` },
    );
    if (!mode) return;
    const r = await this.client.execute<{ restored: string[]; conflicts: { path: string; reason: string }[] }>(Commands.checkpointRestore, {
      taskId,
      checkpointId,
      mode: mode.label,
    });
    const msg = `MiMo: restored ${r.restored.length} file(s)`;
    if (r.conflicts.length) void vscode.window.showWarningMessage(`${msg}; conflicts: ${r.conflicts.map((c) => `${c.path}: ${c.reason}`).join('; ')}`);
    else void vscode.window.showInformationMessage(msg);
  }

  private async search(): Promise<void> {
    const query = await vscode.window.showInputBox({ title: 'MiMo: Search Codebase', prompt: 'Describe what you are looking for' });
    if (!query) return;
    const r = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'MiMo: indexing and searching...' },
      () => this.client.execute<{ hits: SearchHit[] }>(Commands.indexSearch, { query, k: 20 }),
    );
    const picked = await vscode.window.showQuickPick(
      r.hits.map((h) => ({ label: `${h.path}:${h.startLine}`, description: `${h.symbol ?? ''} ${h.kind ?? ''} ${h.score.toFixed(3)}`, detail: h.snippet?.split('\n')[0], hit: h })),
      { title: `MiMo: ${r.hits.length} hit(s) for "${query}"`, matchOnDescription: true },
    );
    if (!picked) return;
    const ws = workspacePath() ?? '';
    const uri = picked.hit.path.startsWith('/') ? vscode.Uri.file(picked.hit.path) : vscode.Uri.joinPath(vscode.Uri.file(ws), picked.hit.path);
    const line = Math.max(0, picked.hit.startLine - 1);
    await vscode.window.showTextDocument(uri, { selection: new vscode.Range(line, 0, line, 0) });
  }
}
