// Max Mode candidates side by side: a quick pick of the candidates (checks, picked marker), each file opens
// `vscode.diff` between the current file and the candidate's version (a `mimo-candidate:` document served by
// mimo.task.candidateFile), and "Apply candidate N" asks, then sends mimo.task.applyCandidate.
import * as vscode from 'vscode';
import type { MimoClient } from './client.js';
import {
  CANDIDATE_SCHEME,
  applyCandidate,
  applyQuestion,
  candidateChoices,
  candidateQuery,
  candidateText,
  fileChoices,
  parseCandidateQuery,
  type CandidateRef,
  type Exec,
} from './candidateModel.js';
import { Commands, type CandidateInfo, type CandidatesResult } from './protocol.js';

function execOf(client: MimoClient): Exec {
  return <R>(command: string, params: object) => client.execute<R>(command, params);
}

export function candidateUri(ref: CandidateRef): vscode.Uri {
  return vscode.Uri.from({ scheme: CANDIDATE_SCHEME, path: `/${ref.path}`, query: candidateQuery(ref) });
}

/** Read-only documents `mimo-candidate:/<path>?task=..&candidate=..&path=..`: a candidate's version of a file. */
export class CandidateDocuments implements vscode.TextDocumentContentProvider {
  constructor(private readonly client: MimoClient) {}

  provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    return candidateText(execOf(this.client), parseCandidateQuery(uri.query));
  }
}

export class CandidatesUi {
  constructor(
    private readonly client: MimoClient,
    private readonly onApplied: (taskId: string) => Promise<void>,
  ) {}

  private async list(taskId: string, workspace?: string): Promise<CandidatesResult> {
    return this.client.execute<CandidatesResult>(Commands.taskCandidates, { taskId, ...(workspace ? { workspace } : {}) });
  }

  private async choose(r: CandidatesResult): Promise<CandidateInfo | undefined> {
    const picked = await vscode.window.showQuickPick(candidateChoices(r), {
      title: `MiMo: candidates of task ${r.taskId} (picked: ${r.picked ?? 'none'}, convergence ${Math.round(r.convergence * 100)}%)`,
      matchOnDescription: true,
      matchOnDetail: true,
    });
    return picked && r.candidates.find((c) => c.id === picked.candidateId);
  }

  /** Candidates -> one candidate's files (a diff each) or "Apply candidate N". */
  async show(taskId: string, workspace?: string): Promise<void> {
    const cand = await this.choose(await this.list(taskId, workspace));
    if (!cand) return;
    const choice = await vscode.window.showQuickPick(fileChoices(cand), { title: `MiMo: candidate ${cand.id} of task ${taskId}` });
    if (!choice) return;
    if (choice.path === undefined) await this.confirmAndApply(taskId, cand, workspace);
    else await this.openDiff(taskId, cand.id, choice.path, choice.status ?? 'modified', workspace);
  }

  async openDiff(taskId: string, candidateId: number, path: string, status: string, workspace?: string): Promise<void> {
    const right = candidateUri({ taskId, candidateId, path, workspace });
    const root = workspace ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
    if (status === 'added') {  // nothing to compare with: the candidate's new file alone
      await vscode.window.showTextDocument(right, { preview: true });
      return;
    }
    const left = vscode.Uri.joinPath(vscode.Uri.file(root), path);
    await vscode.commands.executeCommand('vscode.diff', left, right, `${path}: now ↔ candidate ${candidateId}`, { preview: true });
  }

  /** Apply a candidate (asked for when not given) after a modal confirmation. */
  async apply(taskId: string, candidateId?: number, workspace?: string): Promise<void> {
    const r = await this.list(taskId, workspace);
    const cand = candidateId === undefined ? await this.choose(r) : r.candidates.find((c) => c.id === candidateId);
    if (!cand) {
      if (candidateId !== undefined) throw new Error(`MiMo: task ${taskId} has no candidate ${candidateId}`);
      return;
    }
    await this.confirmAndApply(taskId, cand, workspace);
  }

  private async confirmAndApply(taskId: string, cand: CandidateInfo, workspace?: string): Promise<void> {
    const ok = await vscode.window.showWarningMessage(applyQuestion(taskId, cand), { modal: true }, 'Apply');
    if (ok !== 'Apply') return;
    const { message } = await applyCandidate(execOf(this.client), taskId, cand.id, workspace);
    this.client.output.appendLine(message);
    void vscode.window.showInformationMessage(message);
    await this.onApplied(taskId);
  }
}
