// Entry point: wires the client, the views, the inline review and the commands.
import * as vscode from 'vscode';
import { CANDIDATE_SCHEME } from './candidateModel.js';
import { CandidateDocuments } from './candidates.js';
import { MimoClient } from './client.js';
import { CheckpointsView, DIFF_SCHEME, DiffDocuments } from './checkpointsView.js';
import { MimoCommands } from './commands.js';
import { InlineReview } from './inlineReview.js';
import { PlanView } from './planView.js';
import { Commands, type TrustResult } from './protocol.js';
import { TRUST_ACTION, trustPrompt } from './trust.js';

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
    vscode.workspace.registerTextDocumentContentProvider(CANDIDATE_SCHEME, new CandidateDocuments(client)),
    vscode.languages.registerCodeLensProvider({ scheme: 'file' }, inline),
    vscode.window.registerTreeDataProvider('mimo.plan', plan),
    vscode.window.registerTreeDataProvider('mimo.checkpoints', checkpoints),
    client.onNotification((method, params) => commands.dispatch(method, params, false)),
    client.onDidStart((c, restarted) => {
      void commands.onServerStart(c, restarted).catch((e) => output.appendLine(`catch-up failed: ${String(e)}`));
      if (!restarted) void offerTrust(context, output).catch((e) => output.appendLine(`trust check failed: ${String(e)}`));
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

/** In a window the user trusts, offer once per config version to trust the folder's loosening MiMo settings. */
async function offerTrust(context: vscode.ExtensionContext, output: vscode.OutputChannel): Promise<void> {
  if (!client || !vscode.workspace.isTrusted || !vscode.workspace.workspaceFolders?.length) return;
  const result = await client.execute<TrustResult>(Commands.trustGet, {});
  const asked = context.workspaceState.get<string[]>('mimo.trustAsked', []);
  const message = trustPrompt(result, vscode.workspace.isTrusted, asked);
  if (!message) return;
  await context.workspaceState.update('mimo.trustAsked', [...asked, result.digest]);
  const picked = await vscode.window.showWarningMessage(message, TRUST_ACTION, 'Not Now');
  output.appendLine(`workspace trust: ${result.ignored.map((i) => i.key).join(', ')} -> ${picked ?? '(dismissed)'}`);
  if (picked === TRUST_ACTION && vscode.workspace.isTrusted) {
    await client.execute<TrustResult>(Commands.trustSet, { trust: true });
  }
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
