// The MiMo commands of the command palette, the status bar item and the current task.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { MimoClient } from './client.js';
import { readSettings } from './client.js';
import { CandidatesUi } from './candidates.js';
import type { CheckpointItem } from './checkpointModel.js';
import type { DiffDocuments } from './checkpointsView.js';
import type { InlineReview } from './inlineReview.js';
import {
  Commands,
  TASK_INTERRUPTED,
  type DoneEvent,
  type PickEvent,
  type IndexStatus,
  type SearchHit,
  type TaskInfo,
  type TaskStartParams,
  type TaskStartResult,
} from './protocol.js';
import { reviewHunkList } from './review.js';
import { applyEvent, emptyState, indexSummary, startedState, statusText, statusTooltip, type TaskState } from './taskState.js';

const CURRENT_TASK_KEY = 'mimo.currentTask';

function workspacePath(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

/** Feeds one notification (live, or replayed from mimo.task.events) to the views and the commands. */
export type Dispatch = (method: string, params: unknown, replayed: boolean) => void;

export class MimoCommands {
  state: TaskState = emptyState();
  private indexPolling = false;
  readonly statusBar = vscode.window.createStatusBarItem('mimo.status', vscode.StatusBarAlignment.Left, 50);
  dispatch: Dispatch = () => {};
  /** The last task that picked a Max Mode candidate: its candidates are kept once it is done. */
  private maxTask: string | undefined;
  private readonly candidates: CandidatesUi;

  constructor(
    private readonly client: MimoClient,
    private readonly docs: DiffDocuments,
    private readonly inline: InlineReview,
    private readonly memento: vscode.Memento,
  ) {
    this.statusBar.name = 'MiMo';
    this.candidates = new CandidatesUi(client, (taskId) => this.inline.refresh(taskId).then(() => undefined));
    this.render();
    this.statusBar.show();
    client.onProgressCancel = (token) => {
      const taskId = token.replace(/^mimo-task-/, '').replace(/#\d+$/, '');  // mimo-task-<taskId>#<run>
      void this.client.execute(Commands.taskCancel, { taskId }).catch((e) => this.client.output.appendLine(`cancel failed: ${String(e)}`));
    };
  }

  /** The task this window showed last (kept across reloads), for catching up after a restart. */
  get rememberedTask(): string | undefined {
    return this.memento.get<string>(CURRENT_TASK_KEY);
  }

  handle(method: string, params: unknown, replayed = false): void {
    const before = this.state.taskId;
    this.state = applyEvent(this.state, method, params);
    if (this.state.taskId !== before && this.state.taskId) void this.memento.update(CURRENT_TASK_KEY, this.state.taskId);
    this.render();
    if (method === 'mimo/task/pick' && !replayed && (params as PickEvent).taskId === this.state.taskId) {
      const p = params as PickEvent;
      this.maxTask = p.taskId;
      const passing = p.candidates.filter((c) => c.checksPassed).length;
      this.client.output.appendLine(`Max Mode: picked ${p.candidateId ?? 'none'} of ${p.candidates.length} (${passing} passed their checks, convergence ${p.convergence}): ${p.reason}`);
      void vscode.window.showInformationMessage(
        `MiMo Max Mode: candidate ${p.candidateId ?? 'none'} of ${p.candidates.length} (${passing} passed the checks; convergence ${Math.round(p.convergence * 100)}%)`);
    }
    if (method === 'mimo/task/done' && (params as DoneEvent).taskId === this.state.taskId) {
      void this.inline.refresh(this.state.taskId).catch((e) => this.client.output.appendLine(`review refresh failed: ${String(e)}`));
      if (replayed) return;
      const d = params as DoneEvent;
      const text = `MiMo task ${d.outcome}${d.reason ? `: ${d.reason}` : ''}`;
      const show = d.outcome === 'failed' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
      const actions = ['Review Changes', ...(this.maxTask === d.taskId ? ['Show Candidates'] : [])];
      void show(text, ...actions).then((a) => {
        if (a === 'Show Candidates') void vscode.commands.executeCommand('mimo.showCandidates', d.taskId);
        else if (a) void vscode.commands.executeCommand('mimo.reviewChanges');
      });
    }
  }

  render(): void {
    this.statusBar.text = statusText(this.state);
    this.statusBar.tooltip = statusTooltip(this.state, readSettings().model);
    this.statusBar.command = this.state.running ? 'mimo.cancelTask' : this.state.interrupted ? 'mimo.resumeTask' : this.state.taskId ? 'mimo.reviewChanges' : 'mimo.startTask';
  }

  /**
   * After the server (re)started: show Max Mode only if it is advertised, then catch up on the current
   * task's events (mimo.task.events) so the Plan and Checkpoints views refill, and ask whether the task
   * still runs (a crash interrupts it).
   */
  async onServerStart(_client: LanguageClient, restarted: boolean): Promise<void> {
    await vscode.commands.executeCommand('setContext', 'mimo.maxModeSupported', this.client.serverFeatures().maxMode);
    await vscode.commands.executeCommand('setContext', 'mimo.candidatesSupported', this.client.serverFeatures().candidates);
    const taskId = this.state.taskId ?? this.rememberedTask;
    if (!taskId) return;
    const afterSeq = this.state.taskId === taskId ? this.state.lastSeq : 0;
    if (!restarted && afterSeq > 0) return;
    const ws = workspacePath();
    let events: { kind: string; taskId: string; seq: number }[];
    try {
      events = (await this.client.execute<{ events: { kind: string; taskId: string; seq: number }[] }>(Commands.taskEvents, { taskId, afterSeq, workspace: ws })).events;
    } catch (e) {
      this.client.output.appendLine(`no events to catch up for task ${taskId}: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    if (this.state.taskId && this.state.taskId !== taskId) return; // a new task started meanwhile
    this.client.output.appendLine(`caught up on task ${taskId}: ${events.length} event(s) after seq ${afterSeq}`);
    for (const ev of events) this.dispatch(`mimo/task/${ev.kind}`, ev, true);
    if (this.state.taskId === taskId && this.state.running) {
      const r = await this.client.execute<{ tasks: TaskInfo[] }>(Commands.taskStatus, { taskId, workspace: ws }).catch(() => undefined);
      const status = r?.tasks[0]?.status;
      if (status && status !== 'running' && status !== 'starting') {
        this.state = { ...this.state, running: false, interrupted: status === 'interrupted', outcome: status };
        this.render();
        if (status === 'interrupted') this.dispatch(TASK_INTERRUPTED, { taskId }, true);
      }
    } else if (this.state.taskId === taskId) {
      await this.inline.refresh(taskId).catch(() => undefined);
    }
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

  /** The Max Mode task of this window once it is done, else one the user picks (the server says if it had none). */
  private async finishedMaxTask(title: string): Promise<string | undefined> {
    if (this.maxTask && this.maxTask === this.state.taskId && !this.state.running) return this.maxTask;
    return this.pickTask(title, (t) => t.status !== 'running' && t.status !== 'starting');
  }

  private async reviewTask(): Promise<string | undefined> {
    const taskId = await this.requireTask();
    if (taskId && this.inline.currentTask !== taskId) await this.inline.refresh(taskId);
    return taskId;
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
      wrap('mimo.startTask', () => this.startTask(false)),
      wrap('mimo.startTaskMaxMode', async () => {
        await this.client.ensureStarted();
        if (!this.client.serverFeatures().maxMode) {
          void vscode.window.showInformationMessage('MiMo: this server does not advertise Max Mode (capabilities.experimental.mimo.maxMode).');
          return;
        }
        await this.startTask(true);
      }),
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
        // Reset before asking: the resumed task's events (seq from 1 again) may come before the answer.
        const previous = this.state;
        this.state = startedState(this.state, taskId, undefined, undefined);
        let r: TaskStartResult;
        try {
          r = await this.client.execute<TaskStartResult>(Commands.taskResume, { taskId, workspace: workspacePath(), ...(model ? { model } : {}) });
        } catch (e) {
          this.state = previous;
          throw e;
        }
        this.state = { ...this.state, model: r.model };
        void this.memento.update(CURRENT_TASK_KEY, r.taskId);
        this.render();
      }),
      wrap('mimo.showPlan', async () => {
        await vscode.commands.executeCommand('mimo.plan.focus');
      }),
      wrap('mimo.reviewChanges', async () => {
        const taskId = await this.requireTask();
        if (!taskId) return;
        if (!(await this.inline.openNext(taskId))) void vscode.window.showInformationMessage('MiMo: no pending hunks to review.');
      }),
      wrap('mimo.reviewHunkList', async () => {
        const taskId = await this.reviewTask();
        if (taskId) await reviewHunkList(this.client, this.inline, taskId, this.docs);
      }),
      wrap('mimo.acceptAll', async () => {
        if (await this.reviewTask()) await this.inline.decide('accept');
      }),
      wrap('mimo.rejectAll', async () => {
        if (!(await this.reviewTask())) return;
        const ok = await vscode.window.showWarningMessage('MiMo: revert every pending hunk of the task?', { modal: true }, 'Reject All');
        if (ok) await this.inline.decide('reject');
      }),
      wrap('mimo.review.acceptHunk', async (path: string, hunkId: string) => {
        await this.inline.decide('accept', path, [hunkId]);
      }),
      wrap('mimo.review.rejectHunk', async (path: string, hunkId: string) => {
        await this.inline.decide('reject', path, [hunkId]);
      }),
      wrap('mimo.review.acceptFile', async (path: string) => {
        await this.inline.decide('accept', path);
      }),
      wrap('mimo.review.rejectFile', async (path: string) => {
        await this.inline.decide('reject', path);
      }),
      wrap('mimo.showCandidates', async (taskId?: string) => {
        const id = typeof taskId === 'string' ? taskId : await this.finishedMaxTask('Show the Max Mode candidates of which task?');
        if (id) await this.candidates.show(id, workspacePath());
      }),
      wrap('mimo.applyCandidate', async (taskId?: string, candidateId?: number) => {
        const id = typeof taskId === 'string' ? taskId : await this.finishedMaxTask('Apply a Max Mode candidate of which task?');
        if (id) await this.candidates.apply(id, typeof candidateId === 'number' ? candidateId : undefined, workspacePath());
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
        const r = await this.client.execute<{ records: unknown[]; verification: { ok: boolean; records: number; problem?: string | null } }>(
          Commands.auditGet,
          { taskId },
        );
        const v = r.verification;
        const head = `// MiMo audit trail of task ${taskId}: ${v.records} record(s), chain ${v.ok ? 'verified' : `NOT verified: ${v.problem ?? ''}`}\n`;
        await this.docs.open(`audit-${taskId}.json`, head + JSON.stringify(r, null, 2));
      }),
    ];
  }

  private async startTask(maxMode: boolean): Promise<void> {
    const title = maxMode ? 'MiMo: Start Task (Max Mode)' : 'MiMo: Start Task';
    const goal = await vscode.window.showInputBox({ title, prompt: 'What should the agent do?', ignoreFocusOut: true });
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
    if (maxMode) params.maxMode = { n: 5 };
    const ws = workspacePath();
    if (ws) params.workspace = ws;
    const r = await this.client.execute<TaskStartResult>(Commands.taskStart, params);
    // Its first notifications may have come before this answer: keep what they said.
    this.state = this.state.taskId === r.taskId ? { ...this.state, goal, model: r.model } : startedState(this.state, r.taskId, goal, r.model);
    void this.memento.update(CURRENT_TASK_KEY, r.taskId);
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
    await this.inline.refresh(taskId).catch(() => undefined);
  }

  /** The index state in the status bar from mimo.index.status, re-read every 3 s while it indexes. Only
   * after a search: asking for the status starts the indexer, which the user may not want at startup. */
  private async pollIndex(): Promise<void> {
    if (this.indexPolling) return;
    this.indexPolling = true;
    try {
      for (;;) {
        const st = await this.client.execute<IndexStatus>(Commands.indexStatus, {});
        this.state = { ...this.state, index: indexSummary(st) };
        this.render();
        if (!st.indexing) return;
        await new Promise((r) => setTimeout(r, 3000));
      }
    } catch (e) {
      this.client.output.appendLine(`index status failed: ${String(e)}`);
    } finally {
      this.indexPolling = false;
    }
  }

  private async search(): Promise<void> {
    const query = await vscode.window.showInputBox({ title: 'MiMo: Search Codebase', prompt: 'Describe what you are looking for' });
    if (!query) return;
    this.state = { ...this.state, index: 'updating' };
    this.render();
    let r: { hits: SearchHit[] };
    try {
      r = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'MiMo: indexing and searching...' },
        () => this.client.execute<{ hits: SearchHit[] }>(Commands.indexSearch, { query, k: 20 }),
      );
    } catch (e) {
      this.state = { ...this.state, index: `failed: ${String(e)}` };
      this.render();
      throw e;
    }
    void this.pollIndex();
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
