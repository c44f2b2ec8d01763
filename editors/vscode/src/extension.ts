// Entry point: wires the client, the views and the commands.
import * as vscode from 'vscode';
import { MimoClient } from './client.js';
import { CheckpointsView, DIFF_SCHEME, DiffDocuments } from './checkpointsView.js';
import { MimoCommands } from './commands.js';
import { PlanView } from './planView.js';

let client: MimoClient | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('MiMo', { log: true });
  client = new MimoClient(output);
  const docs = new DiffDocuments();
  const plan = new PlanView();
  const checkpoints = new CheckpointsView();
  const commands = new MimoCommands(client, docs);
  context.subscriptions.push(
    output,
    client,
    vscode.workspace.registerTextDocumentContentProvider(DIFF_SCHEME, docs),
    vscode.window.registerTreeDataProvider('mimo.plan', plan),
    vscode.window.registerTreeDataProvider('mimo.checkpoints', checkpoints),
    client.onNotification((method, params) => {
      plan.handle(method, params);
      checkpoints.handle(method, params);
      commands.handle(method, params);
    }),
    ...commands.register(),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('mimo') && client) {
        output.appendLine('settings changed: the server restarts on next use');
        void client.stop();
      }
    }),
  );
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
