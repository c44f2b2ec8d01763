// Review Hunk List: a QuickPick of the task's pending hunks, each with a preview and Accept / Reject / Skip.
// (The inline review in the editor is in inlineReview.ts; both send the same mimo.review.* requests.)
import * as vscode from 'vscode';
import type { DiffDocuments } from './checkpointsView.js';
import type { InlineReview } from './inlineReview.js';
import { Commands, type ReviewGetResult } from './protocol.js';
import { hunkChoices, hunkPreview } from './reviewModel.js';
import type { MimoClient } from './client.js';

export async function reviewHunkList(client: MimoClient, inline: InlineReview, taskId: string, docs: DiffDocuments): Promise<void> {
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
      await inline.refresh(taskId);
      await inline.decide(action === 'Accept' ? 'accept' : 'reject', c.path, [c.hunkId]);
    } else if (!action) {
      return;
    }
  }
}
