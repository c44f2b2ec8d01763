// Review Changes: QuickPick of the task's hunks with Accept / Reject per hunk; Accept All / Reject All.
import * as vscode from 'vscode';
import type { MimoClient } from './client.js';
import type { DiffDocuments } from './checkpointsView.js';
import { Commands, type ReviewDecisionResult, type ReviewGetResult } from './protocol.js';
import { hunkChoices, hunkPreview } from './reviewModel.js';

function report(verb: string, r: ReviewDecisionResult): void {
  const msg = `MiMo: ${verb} ${r.decided.length} hunk(s)`;
  if (r.conflicts.length) {
    void vscode.window.showWarningMessage(`${msg}; ${r.conflicts.length} conflict(s): ${r.conflicts.map((c) => `${c.path}: ${c.reason}`).join('; ')}`);
  } else {
    void vscode.window.showInformationMessage(msg);
  }
}

export async function decideAll(client: MimoClient, taskId: string, verdict: 'accept' | 'reject'): Promise<void> {
  const method = verdict === 'accept' ? Commands.reviewAccept : Commands.reviewReject;
  const r = await client.execute<ReviewDecisionResult>(method, { taskId });
  report(verdict === 'accept' ? 'accepted' : 'rejected', r);
}

export async function reviewChanges(client: MimoClient, taskId: string, docs: DiffDocuments): Promise<void> {
  for (;;) {
    const review = await client.execute<ReviewGetResult>(Commands.reviewGet, { taskId });
    const choices = hunkChoices(review);
    if (!choices.length) {
      void vscode.window.showInformationMessage('MiMo: no pending hunks to review.');
      return;
    }
    const picked = await vscode.window.showQuickPick(
      choices.map((c) => ({ label: c.label, description: c.description, detail: c.detail, choice: c })),
      { title: `MiMo: review ${choices.length} pending hunk(s)`, placeHolder: 'Pick a hunk to accept or reject', matchOnDescription: true, matchOnDetail: true },
    );
    if (!picked) return;
    const c = picked.choice;
    const hunk = review.files.find((f) => f.path === c.path)?.hunks.find((h) => h.id === c.hunkId);
    if (hunk) await docs.open(`${c.path}-${c.hunkId}`, hunkPreview(c.path, hunk));
    const action = await vscode.window.showQuickPick(['Accept', 'Reject', 'Skip'], { title: c.label, placeHolder: 'Accept or reject this hunk' });
    if (action === 'Accept' || action === 'Reject') {
      const method = action === 'Accept' ? Commands.reviewAccept : Commands.reviewReject;
      const r = await client.execute<ReviewDecisionResult>(method, { taskId, hunkIds: [c.hunkId] });
      report(action === 'Accept' ? 'accepted' : 'rejected', r);
    } else if (!action) {
      return;
    }
  }
}
