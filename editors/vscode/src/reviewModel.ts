// Turns a mimo.review.get result into pickable hunks and labels. No `vscode` import.
import type { Hunk, ReviewGetResult } from './protocol.js';

export interface HunkChoice {
  hunkId: string;
  path: string;
  label: string;
  description: string;
  detail: string;
  state: Hunk['state'];
}

function firstChanged(h: Hunk): string {
  const line = h.new.find((l) => l.trim()) ?? h.old.find((l) => l.trim()) ?? '';
  const sign = h.new.some((l) => l.trim()) ? '+' : '-';
  return line ? `${sign} ${line.trim()}` : '';
}

export function hunkLabel(path: string, h: Hunk): string {
  return `${path} ${h.header}`;
}

export function hunkChoices(review: ReviewGetResult, onlyPending = true): HunkChoice[] {
  const out: HunkChoice[] = [];
  for (const f of review.files) {
    for (const h of f.hunks) {
      if (onlyPending && h.state !== 'pending') continue;
      out.push({
        hunkId: h.id,
        path: f.path,
        label: hunkLabel(f.path, h),
        description: `${f.status}, -${h.old.length} +${h.new.length}${f.modifiedSince ? ', changed since' : ''}`,
        detail: firstChanged(h),
        state: h.state,
      });
    }
  }
  return out;
}

/** The hunk as a small unified diff, for a preview document. */
export function hunkPreview(path: string, h: Hunk): string {
  // The server's lines keep their own line endings; drop them so each diff line ends once.
  const bare = (l: string) => l.replace(/\r?\n$/, '');
  return [`--- a/${path}`, `+++ b/${path}`, h.header, ...h.old.map((l) => `-${bare(l)}`),
    ...h.new.map((l) => `+${bare(l)}`)].join('\n') + '\n';
}

export function pendingCount(review: ReviewGetResult): number {
  return review.files.reduce((n, f) => n + f.hunks.filter((h) => h.state === 'pending').length, 0);
}
