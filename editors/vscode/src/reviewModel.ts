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

/** A pending hunk placed in the current text of its file (the server's currentLine). */
export interface InlineHunk {
  path: string;
  hunkId: string;
  /** 0-based first line of the proposed (new) lines; for a pure deletion, the line the removed lines go back before */
  line: number;
  newLines: number;
  old: string[];
  new: string[];
}

export interface InlineFile {
  path: string;
  hunks: InlineHunk[];
  /** pending hunks the server could not place (the user changed their lines): listed, not actionable inline */
  unplaced: number;
}

/** Pending hunks per file, in file order, from mimo.review.get. */
export function inlineFiles(review: ReviewGetResult): InlineFile[] {
  const out: InlineFile[] = [];
  for (const f of review.files) {
    const pending = f.hunks.filter((h) => h.state === 'pending');
    if (!pending.length) continue;
    const placed = pending.filter((h) => typeof h.currentLine === 'number');
    out.push({
      path: f.path,
      unplaced: pending.length - placed.length,
      hunks: placed
        .map((h) => ({ path: f.path, hunkId: h.id, line: h.currentLine as number, newLines: h.new.length, old: h.old, new: h.new }))
        .sort((a, b) => a.line - b.line),
    });
  }
  return out;
}

export interface LensSpec {
  line: number;
  title: string;
  command: string;
  args: unknown[];
  tooltip: string;
}

/** CodeLenses of one file: file- and task-level actions on line 0, Accept | Reject above each hunk. */
export function lensSpecs(file: InlineFile, taskPending: number, lineCount: number): LensSpec[] {
  const n = file.hunks.length + file.unplaced;
  const out: LensSpec[] = [
    { line: 0, title: `MiMo: ${n} pending change(s) in this file`, command: 'mimo.reviewHunkList', args: [], tooltip: 'List every pending hunk of the task' },
    { line: 0, title: 'Accept File', command: 'mimo.review.acceptFile', args: [file.path], tooltip: `Keep every pending change in ${file.path}` },
    { line: 0, title: 'Reject File', command: 'mimo.review.rejectFile', args: [file.path], tooltip: `Revert every pending change in ${file.path}` },
  ];
  if (taskPending > n) {
    out.push(
      { line: 0, title: `Accept All (${taskPending})`, command: 'mimo.acceptAll', args: [], tooltip: 'Keep every pending change of the task' },
      { line: 0, title: `Reject All (${taskPending})`, command: 'mimo.rejectAll', args: [], tooltip: 'Revert every pending change of the task' },
    );
  }
  for (const h of file.hunks) {
    const line = Math.min(h.line, Math.max(0, lineCount - 1));
    const what = h.newLines ? `${h.newLines} proposed line(s)` : `removal of ${h.old.length} line(s)`;
    out.push(
      { line, title: '$(check) Accept', command: 'mimo.review.acceptHunk', args: [h.path, h.hunkId], tooltip: `Keep this change (${what})` },
      { line, title: '$(discard) Reject', command: 'mimo.review.rejectHunk', args: [h.path, h.hunkId], tooltip: `Revert this change (${what})` },
    );
  }
  return out;
}

/** The text shown after a changed line: what it replaced. */
export function removedNote(h: InlineHunk): string {
  if (!h.old.length) return '';
  const first = h.old.find((l) => l.trim()) ?? h.old[0];
  const more = h.old.length > 1 ? ` (+${h.old.length - 1} more line(s))` : '';
  return `was: ${first.replace(/\r?\n$/, '').trim()}${more}`;
}
