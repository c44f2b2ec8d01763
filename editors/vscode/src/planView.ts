// "Plan" tree: DAG nodes of the current task with status icons.
import * as vscode from 'vscode';
import { PlanModel, type PlanItem } from './planModel.js';

export class PlanView implements vscode.TreeDataProvider<PlanItem> {
  readonly model = new PlanModel();
  private changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  handle(method: string, params: unknown): void {
    if (this.model.apply(method, params)) this.changed.fire();
  }

  getTreeItem(item: PlanItem): vscode.TreeItem {
    const t = new vscode.TreeItem(item.title, vscode.TreeItemCollapsibleState.None);
    t.id = `${this.model.taskId}:${item.id}`;
    t.description = item.description;
    t.tooltip = `${item.id}: ${item.title}\n${item.status}${item.detail ? `\n${item.detail}` : ''}`;
    t.iconPath = new vscode.ThemeIcon(item.icon);
    return t;
  }

  getChildren(element?: PlanItem): PlanItem[] {
    return element ? [] : this.model.items();
  }
}
