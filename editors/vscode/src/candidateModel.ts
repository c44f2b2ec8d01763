// Max Mode candidates after the task: quick-pick entries, the `mimo-candidate:` URIs whose documents hold a
// candidate's version of a file, and the apply request. No `vscode` import; all logic is the server's.
import {
  Commands,
  type ApplyCandidateResult,
  type CandidateFileResult,
  type CandidateInfo,
  type CandidatesResult,
} from './protocol.js';

export const CANDIDATE_SCHEME = 'mimo-candidate';

/** Sends one workspace/executeCommand (MimoClient.execute, or a test's connection). */
export type Exec = <R>(command: string, params: object) => Promise<R>;

/** What a `mimo-candidate:` document shows: one candidate's version of one workspace-relative file. */
export interface CandidateRef {
  taskId: string;
  candidateId: number;
  path: string;
  workspace?: string;
}

/** The URI query of a candidate document (its path is `/<file path>`, so the editor picks the language). */
export function candidateQuery(ref: CandidateRef): string {
  const q = new URLSearchParams({ task: ref.taskId, candidate: String(ref.candidateId), path: ref.path });
  if (ref.workspace) q.set('workspace', ref.workspace);
  return q.toString();
}

export function parseCandidateQuery(query: string): CandidateRef {
  const q = new URLSearchParams(query);
  const taskId = q.get('task');
  const candidateId = Number(q.get('candidate'));
  const path = q.get('path');
  if (!taskId || !Number.isInteger(candidateId) || !path) throw new Error(`not a MiMo candidate document: ?${query}`);
  return { taskId, candidateId, path, workspace: q.get('workspace') ?? undefined };
}

/** The text a `mimo-candidate:` document holds: the candidate's file ('' when the candidate deletes it). */
export async function candidateText(exec: Exec, ref: CandidateRef): Promise<string> {
  const params = { taskId: ref.taskId, candidateId: ref.candidateId, path: ref.path, ...(ref.workspace ? { workspace: ref.workspace } : {}) };
  const r = await exec<CandidateFileResult>(Commands.taskCandidateFile, params);
  return r.content ?? '';
}

export interface CandidateChoice {
  label: string;
  description: string;
  detail: string;
  candidateId: number;
}

const ROLE: Record<string, string> = { picked: 'the pick', same: 'same change as the pick', different: 'a different change', none: 'no change' };

/** One quick-pick entry per candidate: id, picked marker, checks, tokens, how it relates to the pick. */
export function candidateChoices(r: CandidatesResult): CandidateChoice[] {
  return r.candidates.map((c) => ({
    label: `${c.checksPassed ? '$(pass)' : '$(error)'} Candidate ${c.id}${c.picked ? ' $(star-full) picked' : ''}`,
    description: `${c.outcome}, checks ${c.checksPassed ? 'passed' : 'not passed'}, ${c.tokens} tokens, ${ROLE[c.convergence] ?? c.convergence}`,
    detail: `${c.files.map((f) => `${f.path} (${f.status})`).join(', ') || 'no files'}${c.kept ? '' : ' [not kept: too large]'}${c.summary ? ` - ${c.summary}` : ''}`,
    candidateId: c.id,
  }));
}

export interface FileChoice {
  label: string;
  description: string;
  /** undefined: the "apply this candidate" entry */
  path?: string;
  status?: string;
}

/** A candidate's files (each opens a diff against the current file) and, first, the apply entry. */
export function fileChoices(c: CandidateInfo): FileChoice[] {
  const apply: FileChoice[] = c.kept && c.files.length ? [{ label: `$(check) Apply candidate ${c.id}`, description: c.picked ? 'the pick (again)' : 'replace the current files with this candidate' }] : [];
  return [...apply, ...c.files.map((f) => ({ label: f.path, description: f.status, path: f.path, status: f.status }))];
}

/** The modal question before applying (the server refuses if a file changed since, or a buffer is unsaved). */
export function applyQuestion(taskId: string, c: CandidateInfo): string {
  const files = c.files.map((f) => f.path).join(', ');
  return `Apply candidate ${c.id} of task ${taskId}? Its version of ${files} replaces what is there now, as one checkpoint (MiMo: Restore Checkpoint undoes it).`;
}

/** mimo.task.applyCandidate, and the message to show. */
export async function applyCandidate(exec: Exec, taskId: string, candidateId: number, workspace?: string): Promise<{ result: ApplyCandidateResult; message: string }> {
  const result = await exec<ApplyCandidateResult>(Commands.taskApplyCandidate, { taskId, candidateId, ...(workspace ? { workspace } : {}) });
  return { result, message: `MiMo: applied candidate ${candidateId} (${result.files.join(', ')}), checkpoint #${result.checkpointId}` };
}
