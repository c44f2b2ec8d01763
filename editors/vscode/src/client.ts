// Launches mimo-lsp over stdio with vscode-languageclient and forwards its notifications.
import * as vscode from 'vscode';
import {
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  ShowMessageRequest,
  type ShowMessageRequestParams,
  State,
  TransportKind,
  WorkDoneProgress,
  WorkDoneProgressCreateRequest,
  type WorkDoneProgressBegin,
  type WorkDoneProgressEnd,
  type WorkDoneProgressReport,
} from 'vscode-languageclient/node';
import { Notifications } from './protocol.js';
import { initializationOptions, launchCommand, type MimoSettings, startFailureMessage } from './settings.js';

export type NotificationListener = (method: string, params: unknown) => void;
/** Called each time the server is up: the first start and every restart after a crash. */
export type StartListener = (client: LanguageClient, restarted: boolean) => void;

export function readSettings(): MimoSettings {
  const c = vscode.workspace.getConfiguration('mimo');
  return {
    pythonPath: c.get<string>('pythonPath', 'python3'),
    serverCommand: c.get<string[]>('serverCommand', []),
    model: c.get<string>('model', ''),
    gpuLayers: c.get<number | null>('gpuLayers', null),
    policyMode: c.get<string>('policyMode', 'default'),
  };
}

export class MimoClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<LanguageClient> | undefined;
  private listeners: NotificationListener[] = [];
  private startListeners: StartListener[] = [];
  private starts = 0;
  /** Cancel of a $/progress notification: the token (mimo-task-<taskId>#<run>) is handed here. */
  onProgressCancel: (token: string) => void = () => {};
  /** Closers of the progress notifications shown now (all are closed when the server restarts). */
  private readonly openProgress = new Set<() => void>();

  constructor(readonly output: vscode.LogOutputChannel) {}

  onDidStart(listener: StartListener): vscode.Disposable {
    this.startListeners.push(listener);
    return new vscode.Disposable(() => {
      this.startListeners = this.startListeners.filter((l) => l !== listener);
    });
  }

  /** Server features from its initialize result that the UI adapts to. */
  serverFeatures(): { maxMode: boolean; candidates: boolean } {
    const exp = this.client?.initializeResult?.capabilities.experimental as { mimo?: { maxMode?: boolean; candidates?: boolean } } | undefined;
    return { maxMode: exp?.mimo?.maxMode === true, candidates: exp?.mimo?.candidates === true };
  }

  onNotification(listener: NotificationListener): vscode.Disposable {
    this.listeners.push(listener);
    return new vscode.Disposable(() => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    });
  }

  /** The running client, started on first use. Rejects with a how-to-fix message when the server cannot start. */
  ensureStarted(): Promise<LanguageClient> {
    if (this.client) return Promise.resolve(this.client);
    if (!this.starting) {
      this.starting = this.start().finally(() => {
        this.starting = undefined;
      });
    }
    return this.starting;
  }

  private async start(): Promise<LanguageClient> {
    const settings = readSettings();
    const cmd = launchCommand(settings);
    const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    this.output.appendLine(`starting: ${[cmd.command, ...cmd.args].join(' ')}`);
    const serverOptions: ServerOptions = { command: cmd.command, args: cmd.args, transport: TransportKind.stdio, options: { cwd } };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file' }],
      outputChannel: this.output,
      initializationOptions: initializationOptions(settings),
      initializationFailedHandler: (e) => {
        this.output.appendLine(`initialize failed: ${String(e)}`);
        return false;
      },
    };
    const client = new LanguageClient('mimo', 'MiMo', serverOptions, clientOptions);
    for (const method of Object.values(Notifications)) {
      client.onNotification(method, (params: unknown) => {
        for (const l of this.listeners) {
          try {
            l(method, params);
          } catch (e) {
            this.output.appendLine(`listener error on ${method}: ${String(e)}`);
          }
        }
      });
    }
    // The server's confirmations (window/showMessageRequest) as modal dialogs: closing one is "no".
    client.onRequest(ShowMessageRequest.type, async (p: ShowMessageRequestParams) => {
      const titles = (p.actions ?? []).map((a) => a.title);
      const show = p.type === 1 ? vscode.window.showErrorMessage : p.type === 2 ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
      const picked = await show(p.message, { modal: true }, ...titles);
      this.output.appendLine(`confirmation: ${p.message.split('\n')[0]} -> ${picked ?? '(no answer)'}`);
      return picked === undefined ? null : { title: picked };
    });
    client.onDidChangeState((e) => {
      if (e.newState === State.Running) this.serverUp(client);
      if (e.newState === State.Stopped && this.client === client) this.output.appendLine('server stopped');
    });
    try {
      await client.start();
    } catch (e) {
      const msg = startFailureMessage(cmd, e);
      this.output.appendLine(msg);
      try {
        await client.dispose();
      } catch {
        /* already gone */
      }
      throw new Error(msg);
    }
    this.client = client;
    this.serverUp(client);
    return client;
  }


  /** After every (re)start: $/progress as notifications, then the start listeners (views catch up). */
  private serverUp(client: LanguageClient): void {
    if (this.client !== client) return; // still starting: start() calls again once it is the client
    // languageclient re-registers its own progress handler on every start; ours replaces it after.
    client.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
      this.showProgress(client, String(token));
    });
    const restarted = this.starts++ > 0;
    if (restarted) {
      // The old process's progress notifications can never end now: close them.
      for (const close of [...this.openProgress]) close();
      this.output.appendLine('server restarted: catching up on task events');
    }
    for (const l of this.startListeners) {
      try {
        l(client, restarted);
      } catch (e) {
        this.output.appendLine(`start listener error: ${String(e)}`);
      }
    }
  }

  /** A server progress (one per task) as a cancellable VS Code notification. */
  private showProgress(client: LanguageClient, token: string): void {
    let report: ((m: string) => void) | undefined;
    let finish: (() => void) | undefined;
    const close = () => {
      finish?.();
      this.openProgress.delete(close);
      sub.dispose();
    };
    this.openProgress.add(close);
    const sub = client.onProgress(WorkDoneProgress.type, token, (v: WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd) => {
      if (v.kind === 'begin') {
        void vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: v.title === 'mimo' ? 'MiMo' : v.title, cancellable: true },
          (progress, cancel) =>
            new Promise<void>((resolve) => {
              report = (m) => progress.report({ message: m });
              finish = resolve;
              if (v.message) report(v.message);
              cancel.onCancellationRequested(() => this.onProgressCancel(token));
            }),
        );
      } else if (v.kind === 'report' && v.message) {
        report?.(v.message);
      } else if (v.kind === 'end') {
        close();
      }
    });
  }

  /** workspace/executeCommand with ONE argument object, as the server expects. */
  async execute<R>(command: string, params: object): Promise<R> {
    const client = await this.ensureStarted();
    this.output.appendLine(`-> ${command} ${JSON.stringify(params)}`);
    return client.sendRequest<R>('workspace/executeCommand', { command, arguments: [params] });
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await c.stop();
  }

  dispose(): void {
    void this.stop();
  }
}
