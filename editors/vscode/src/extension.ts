// Entry point: wires the client, the views, the inline review and the commands.
import * as vscode from 'vscode';
import { MimoClient } from './client.js';
import { CheckpointsView, DIFF_SCHEME, DiffDocuments } from './checkpointsView.js';
import { MimoCommands } from './commands.js';
import { InlineReview } from './inlineReview.js';
import { PlanView } from './planView.js';

let client: MimoClient | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('MiMo', { log: true });
  client = new MimoClient(output);
  const docs = new DiffDocuments();
  const plan = new PlanView();
  const checkpoints = new CheckpointsView();
  const inline = new InlineReview(client);
  const commands = new MimoCommands(client, docs, inline, context.workspaceState);
  commands.dispatch = (method, params, replayed) => {
    plan.handle(method, params);
    checkpoints.handle(method, params);
    commands.handle(method, params, replayed);
  };
  context.subscriptions.push(
    output,
    client,
    inline,
    vscode.workspace.registerTextDocumentContentProvider(DIFF_SCHEME, docs),
    vscode.languages.registerCodeLensProvider({ scheme: 'file' }, inline),
    vscode.window.registerTreeDataProvider('mimo.plan', plan),
    vscode.window.registerTreeDataProvider('mimo.checkpoints', checkpoints),
    client.onNotification((method, params) => commands.dispatch(method, params, false)),
    client.onDidStart((c, restarted) => {
      void commands.onServerStart(c, restarted).catch((e) => output.appendLine(`catch-up failed: ${String(e)}`));
    }),
    ...commands.register(),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('mimo') && client) {
        output.appendLine('settings changed: the server restarts on next use');
        void client.stop();
        commands.render();
      }
    }),
  );
  // A window that showed a task before (reload, new session): start the server and refill the views.
  if (commands.rememberedTask) {
    void client.ensureStarted().catch((e) => output.appendLine(`could not start the server: ${String(e)}`));
  }
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
