// Launches mimo-lsp over stdio with vscode-languageclient and forwards its notifications.
import * as vscode from 'vscode';
import { LanguageClient, type LanguageClientOptions, type ServerOptions, TransportKind } from 'vscode-languageclient/node';
import { Notifications } from './protocol.js';
import { initializationOptions, launchCommand, type MimoSettings, startFailureMessage } from './settings.js';

export type NotificationListener = (method: string, params: unknown) => void;

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

  constructor(readonly output: vscode.LogOutputChannel) {}

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
    return client;
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
