// Inline review in the editor: the proposed lines of each pending hunk are highlighted, what they replaced
// is shown after them, and CodeLenses above offer Accept | Reject per hunk plus file- and task-level
// actions. Every decision is a mimo.review.* request; positions come from the server (currentLine).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MimoClient } from './client.js';
import { Commands, type ReviewDecisionResult, type ReviewGetResult } from './protocol.js';
import { inlineFiles, lensSpecs, pendingCount, removedNote, type InlineFile } from './reviewModel.js';

export type Verdict = 'accept' | 'reject';

export function reportDecision(verdict: Verdict, r: ReviewDecisionResult): void {
  const msg = `MiMo: ${verdict === 'accept' ? 'accepted' : 'rejected'} ${r.decided.length} hunk(s)`;
  if (r.conflicts.length) {
    void vscode.window.showWarningMessage(`${msg}; ${r.conflicts.length} conflict(s): ${r.conflicts.map((c) => `${c.path}: ${c.reason}`).join('; ')}`);
  } else {
    void vscode.window.showInformationMessage(msg);
  }
}

export class InlineReview implements vscode.CodeLensProvider, vscode.Disposable {
  private taskId: string | undefined;
  private files = new Map<string, InlineFile>();
  private taskPending = 0;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly proposed = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('diffEditor.insertedLineBackground'),
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.addedForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Left,
  });
  private readonly removed = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor('editorGhostText.foreground'), fontStyle: 'italic', margin: '0 0 0 2em' },
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.deletedForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Left,
  });
  private readonly disposables: vscode.Disposable[] = [];
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly client: MimoClient) {
    this.disposables.push(
      this.changed,
      this.proposed,
      this.removed,
      vscode.window.onDidChangeVisibleTextEditors(() => this.decorateAll()),
      vscode.workspace.onDidChangeTextDocument((e) => {
        // The user typed in a file under review: ask the server where its hunks are now.
        if (e.contentChanges.length && this.fileOf(e.document)) this.scheduleRefresh();
      }),
    );
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  get currentTask(): string | undefined {
    return this.taskId;
  }

  private root(): string | undefined {
    return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  }

  private relPath(doc: vscode.TextDocument): string | undefined {
    const root = this.root();
    if (!root || doc.uri.scheme !== 'file') return undefined;
    const rel = path.relative(root, doc.uri.fsPath);
    return rel.startsWith('..') || path.isAbsolute(rel) ? undefined : rel.split(path.sep).join('/');
  }

  private fileOf(doc: vscode.TextDocument): InlineFile | undefined {
    const rel = this.relPath(doc);
    return rel === undefined ? undefined : this.files.get(rel);
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refresh().catch((e) => this.client.output.appendLine(`review refresh failed: ${String(e)}`));
    }, 300);
  }

  /** Asks the server for the task's pending hunks and redraws lenses and decorations. */
  async refresh(taskId = this.taskId): Promise<InlineFile[]> {
    this.taskId = taskId;
    if (!taskId) return this.clear();
    const review = await this.client.execute<ReviewGetResult>(Commands.reviewGet, { taskId });
    if (taskId !== this.taskId) return [...this.files.values()];
    const files = inlineFiles(review);
    this.files = new Map(files.map((f) => [f.path, f]));
    this.taskPending = pendingCount(review);
    await vscode.commands.executeCommand('setContext', 'mimo.reviewPending', this.taskPending > 0);
    this.changed.fire();
    this.decorateAll();
    return files;
  }

  private clear(): InlineFile[] {
    this.files.clear();
    this.taskPending = 0;
    void vscode.commands.executeCommand('setContext', 'mimo.reviewPending', false);
    this.changed.fire();
    this.decorateAll();
    return [];
  }

  /** Opens the next file with pending hunks (after the active one) at its first hunk. */
  async openNext(taskId: string): Promise<boolean> {
    const files = (await this.refresh(taskId)).filter((f) => f.hunks.length || f.unplaced);
    if (!files.length) return false;
    const active = vscode.window.activeTextEditor;
    const activeRel = active ? this.relPath(active.document) : undefined;
    const at = files.findIndex((f) => f.path === activeRel);
    const next = at >= 0 && files.length > 1 ? files[(at + 1) % files.length] : files[at >= 0 ? at : 0];
    const uri = vscode.Uri.joinPath(vscode.Uri.file(this.root() ?? '/'), next.path);
    const line = next.hunks[0]?.line ?? 0;
    const editor = await vscode.window.showTextDocument(uri, { preview: false, selection: new vscode.Range(line, 0, line, 0) });
    editor.revealRange(new vscode.Range(line, 0, line, 0), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    this.decorate(editor);
    return true;
  }

  /** accept / reject: one hunk, every pending hunk of a file, or (no path) of the task. */
  async decide(verdict: Verdict, filePath?: string, hunkIds?: string[]): Promise<ReviewDecisionResult | undefined> {
    const taskId = this.taskId;
    if (!taskId) {
      void vscode.window.showInformationMessage('MiMo: no task under review.');
      return undefined;
    }
    const root = this.root();
    const openDocs = vscode.workspace.textDocuments.filter((d) => d.uri.scheme === 'file');
    // Buffers clean before a reject are saved after it (as the server writes closed files to disk);
    // a buffer with the user's unsaved edits keeps them, the revert added on top, for the user to save.
    const cleanBefore = new Set(openDocs.filter((d) => !d.isDirty).map((d) => d.uri.fsPath));
    const method = verdict === 'accept' ? Commands.reviewAccept : Commands.reviewReject;
    const params: Record<string, unknown> = { taskId };
    if (filePath) params.path = filePath;
    if (hunkIds?.length) params.hunkIds = hunkIds;
    const r = await this.client.execute<ReviewDecisionResult>(method, params);
    if (verdict === 'reject' && root) {
      for (const edit of r.bufferEdits) {
        const doc = openDocs.find((d) => d.uri.fsPath === path.join(root, edit.path));
        if (doc && doc.isDirty && cleanBefore.has(doc.uri.fsPath)) await doc.save();
      }
    }
    reportDecision(verdict, r);
    await this.refresh(taskId);
    return r;
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const file = this.fileOf(doc);
    if (!file) return [];
    return lensSpecs(file, this.taskPending, doc.lineCount).map(
      (s) => new vscode.CodeLens(new vscode.Range(s.line, 0, s.line, 0), { title: s.title, command: s.command, arguments: s.args, tooltip: s.tooltip }),
    );
  }

  private decorateAll(): void {
    for (const e of vscode.window.visibleTextEditors) this.decorate(e);
  }

  private decorate(editor: vscode.TextEditor): void {
    const file = this.fileOf(editor.document);
    const proposed: vscode.DecorationOptions[] = [];
    const removed: vscode.DecorationOptions[] = [];
    const last = Math.max(0, editor.document.lineCount - 1);
    for (const h of file?.hunks ?? []) {
      if (h.newLines) proposed.push({ range: new vscode.Range(h.line, 0, Math.min(h.line + h.newLines - 1, last), 0) });
      const note = removedNote(h);
      if (note) {
        const at = Math.min(h.newLines ? h.line + h.newLines - 1 : Math.max(0, h.line - 1), last);
        const hover = new vscode.MarkdownString(`**MiMo** replaced:\n\n`);
        hover.appendCodeblock(h.old.join(''), editor.document.languageId);
        removed.push({
          range: new vscode.Range(at, editor.document.lineAt(at).text.length, at, editor.document.lineAt(at).text.length),
          hoverMessage: hover,
          renderOptions: { after: { contentText: note } },
        });
      }
    }
    editor.setDecorations(this.proposed, proposed);
    editor.setDecorations(this.removed, removed);
  }
}
