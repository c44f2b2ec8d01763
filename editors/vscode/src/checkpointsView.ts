// "Checkpoints" tree: one item per mimo/task/checkpoint; click opens the step diff, context menu restores.
import * as vscode from 'vscode';
import { CheckpointModel, type CheckpointItem } from './checkpointModel.js';

export const DIFF_SCHEME = 'mimo-diff';

/** Read-only documents holding diffs: mimo-diff:/<name>.diff?<key>. */
export class DiffDocuments implements vscode.TextDocumentContentProvider {
  private texts = new Map<string, string>();
  private counter = 0;

  open(name: string, text: string): Thenable<vscode.TextEditor> {
    const key = String(++this.counter);
    this.texts.set(key, text);
    const uri = vscode.Uri.from({ scheme: DIFF_SCHEME, path: `/${name.replace(/[^\w.-]+/g, '_')}.diff`, query: key });
    return vscode.workspace.openTextDocument(uri).then((doc) => vscode.window.showTextDocument(doc, { preview: true }));
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.query) ?? '';
  }
}

export class CheckpointsView implements vscode.TreeDataProvider<CheckpointItem> {
  readonly model = new CheckpointModel();
  private changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  handle(method: string, params: unknown): void {
    if (this.model.apply(method, params)) this.changed.fire();
  }

  getTreeItem(item: CheckpointItem): vscode.TreeItem {
    const t = new vscode.TreeItem(item.label, vscode.TreeItemCollapsibleState.None);
    t.description = item.description;
    t.contextValue = 'checkpoint';
    t.iconPath = new vscode.ThemeIcon('git-commit');
    t.tooltip = item.diff || 'no diff';
    t.command = { command: 'mimo.checkpoints.open', title: 'Open Step Diff', arguments: [item] };
    return t;
  }

  getChildren(element?: CheckpointItem): CheckpointItem[] {
    return element ? [] : this.model.items();
  }
}
