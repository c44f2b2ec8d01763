// Unit tests of the pure modules (no VS Code, no server).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CheckpointModel } from '../src/checkpointModel.js';
import { PlanModel } from '../src/planModel.js';
import { TASK_INTERRUPTED, type ReviewGetResult } from '../src/protocol.js';
import { hunkChoices, hunkPreview, inlineFiles, lensSpecs, pendingCount, removedNote } from '../src/reviewModel.js';
import { initializationOptions, launchCommand, startFailureMessage } from '../src/settings.js';
import { applyEvent, emptyState, indexSummary, startedState, statusText, statusTooltip } from '../src/taskState.js';

const plan = {
  taskId: 't1', seq: 1, kind: 'plan', attempt: 1,
  nodes: [
    { id: 'a', title: 'Read', dependsOn: [], expectedOutput: 'known' },
    { id: 'b', title: 'Fix', dependsOn: ['a'], expectedOutput: 'fixed' },
  ],
};

test('plan model: plan then node statuses give icons in topological order', () => {
  const m = new PlanModel();
  assert.equal(m.apply('mimo/task/plan', plan), true);
  assert.deepEqual(m.items().map((i) => [i.id, i.status, i.icon]), [['a', 'pending', 'circle-outline'], ['b', 'pending', 'circle-outline']]);
  m.apply('mimo/task/node', { taskId: 't1', seq: 2, kind: 'node', nodeId: 'a', status: 'running', detail: 'Read' });
  m.apply('mimo/task/node', { taskId: 't1', seq: 3, kind: 'node', nodeId: 'a', status: 'done', detail: 'read it' });
  m.apply('mimo/task/node', { taskId: 't1', seq: 4, kind: 'node', nodeId: 'b', status: 'failed', detail: 'boom' });
  const items = m.items();
  assert.deepEqual(items.map((i) => [i.status, i.icon]), [['done', 'pass'], ['failed', 'error']]);
  assert.equal(items[1].description, 'failed (after a)');
  assert.equal(items[1].detail, 'boom');
  // another task's node events are ignored; a new plan replaces the tree
  assert.equal(m.apply('mimo/task/node', { taskId: 'other', nodeId: 'a', status: 'failed' }), false);
  m.apply('mimo/task/plan', { ...plan, taskId: 't2', nodes: [plan.nodes[0]] });
  assert.equal(m.items().length, 1);
  assert.equal(m.items()[0].status, 'pending');
});

test('plan model: a dead server leaves its running node interrupted, not spinning', () => {
  const m = new PlanModel();
  m.apply('mimo/task/plan', plan);
  m.apply('mimo/task/node', { taskId: 't1', seq: 2, kind: 'node', nodeId: 'a', status: 'running', detail: 'Read' });
  assert.equal(m.apply(TASK_INTERRUPTED, { taskId: 'other' }), false);
  assert.equal(m.apply(TASK_INTERRUPTED, { taskId: 't1' }), true);
  assert.deepEqual(m.items().map((i) => [i.status, i.icon]), [['interrupted', 'debug-pause'], ['pending', 'circle-outline']]);
  // the resumed task's events take over again
  m.apply('mimo/task/node', { taskId: 't1', seq: 1, kind: 'node', nodeId: 'a', status: 'done', detail: 'read it' });
  assert.equal(m.items()[0].status, 'done');
});

test('plan model: a revised plan (attempt 2) keeps done nodes done and adds the new ones', () => {
  const m = new PlanModel();
  m.apply('mimo/task/plan', plan);
  m.apply('mimo/task/node', { taskId: 't1', seq: 2, kind: 'node', nodeId: 'a', status: 'done', detail: 'read it' });
  m.apply('mimo/task/node', { taskId: 't1', seq: 3, kind: 'node', nodeId: 'b', status: 'failed', detail: 'loop' });
  m.apply('mimo/task/plan', {
    taskId: 't1', seq: 4, kind: 'plan', attempt: 2,
    nodes: [{ ...plan.nodes[0], status: 'done' }, { id: 'b2', title: 'Fix differently', dependsOn: ['a'], status: 'pending' }],
  });
  assert.equal(m.attempt, 2);
  assert.deepEqual(m.items().map((i) => [i.id, i.status]), [['a', 'done'], ['b2', 'pending']]);
});

test('checkpoint model: labels, dedup, reset on a new task', () => {
  const m = new CheckpointModel();
  const cp = { taskId: 't1', seq: 5, kind: 'checkpoint', checkpointId: 7, nodeId: 'b', step: 2, files: ['calc.py'], diff: '--- a\n+++ b\n' };
  assert.equal(m.apply('mimo/task/checkpoint', cp), true);
  assert.equal(m.apply('mimo/task/checkpoint', cp), false);
  assert.equal(m.items()[0].label, '#7 step 2: calc.py');
  m.apply('mimo/task/checkpoint', { ...cp, checkpointId: 8, files: [], replayed: true });
  assert.equal(m.items()[1].label, '#8 step 2: no file changes');
  assert.equal(m.items()[1].description, 'b (replayed)');
  m.apply('mimo/task/plan', { ...plan, taskId: 't2' });
  assert.equal(m.items().length, 0);
});

test('review model: hunk choices and preview', () => {
  const review: ReviewGetResult = {
    files: [{
      path: 'calc.py', status: 'modified', modifiedSince: false,
      hunks: [
        { id: 'h1', header: '@@ -6 +6 @@', oldStart: 6, oldLines: 1, newStart: 6, newLines: 1, old: ['    return a - b\n'], new: ['    return a + b\n'], state: 'pending' },
        { id: 'h2', header: '@@ -9 +9 @@', oldStart: 9, oldLines: 1, newStart: 9, newLines: 1, old: ['x'], new: ['y'], state: 'accepted' },
      ],
    }],
  };
  const c = hunkChoices(review);
  assert.equal(c.length, 1);
  assert.equal(c[0].label, 'calc.py @@ -6 +6 @@');
  assert.equal(c[0].description, 'modified, -1 +1');
  assert.equal(c[0].detail, '+ return a + b');
  assert.equal(hunkChoices(review, false).length, 2);
  assert.equal(pendingCount(review), 1);
  assert.equal(hunkPreview('calc.py', review.files[0].hunks[0]), '--- a/calc.py\n+++ b/calc.py\n@@ -6 +6 @@\n-    return a - b\n+    return a + b\n');
});

test('settings: launch command, initializationOptions, how-to-fix message', () => {
  assert.deepEqual(launchCommand({}), { command: 'python3', args: ['-m', 'mimo_lsp.server'] });
  assert.deepEqual(launchCommand({ pythonPath: '/v/bin/python' }), { command: '/v/bin/python', args: ['-m', 'mimo_lsp.server'] });
  assert.deepEqual(launchCommand({ pythonPath: 'x', serverCommand: ['mimo-lsp', '--stdio'] }), { command: 'mimo-lsp', args: ['--stdio'] });
  assert.deepEqual(initializationOptions({}), { editor: { ownReview: true } });
  assert.deepEqual(initializationOptions({ model: 'scripted:/r.json', gpuLayers: 0, policyMode: 'readOnly' }), {
    editor: { ownReview: true },
    model: { spec: 'scripted:/r.json', n_gpu_layers: 0 },
    safety: { rules: ['write_file', 'edit_file', 'run_command'].map((tool) => ({ tool, action: 'deny', reason: 'mimo.policyMode readOnly' })) },
  });
  const msg = startFailureMessage({ command: 'nopython', args: ['-m', 'mimo_lsp.server'] }, new Error('spawn nopython ENOENT'));
  assert.match(msg, /ENOENT/);
  assert.match(msg, /How to fix: set "mimo\.pythonPath"/);
});

test('task state: status bar text follows plan, nodes, steps, tokens and done', () => {
  let s = emptyState();
  assert.equal(statusText(s), '$(hubot) MiMo');
  assert.match(statusTooltip(s, 'scripted:/x.json'), /model: scripted:\/x\.json\nindex: unknown/);
  s = startedState(s, 't1', 'fix it', 'SmolLM2-135M-Instruct');
  s = applyEvent(s, 'mimo/task/token', { taskId: 't1', seq: 1, text: '{"nodes": [' });
  s = applyEvent(s, 'mimo/task/plan', { ...plan, seq: 2 });
  assert.equal(s.goal, 'fix it'); // the plan of the same task keeps what the start said
  assert.equal(statusText(s), '$(sync~spin) MiMo 0/2 · 0 step(s) · 11 chars');
  s = applyEvent(s, 'mimo/task/node', { taskId: 't1', seq: 3, nodeId: 'a', status: 'running' });
  s = applyEvent(s, 'mimo/task/step', { taskId: 't1', seq: 4, nodeId: 'a', step: 1, tool: 'read_file', args: {}, ok: true });
  s = applyEvent(s, 'mimo/task/token', { taskId: 'other', seq: 9, text: 'xxxxxxxxxxxxxxxxxxxxxxxx' });
  s = applyEvent(s, 'mimo/task/node', { taskId: 't1', seq: 5, nodeId: 'a', status: 'done' });
  assert.equal(statusText(s), '$(sync~spin) MiMo 1/2 · 1 step(s) · 11 chars');
  assert.match(statusTooltip(s), /model: SmolLM2-135M-Instruct/);
  s = applyEvent(s, 'mimo/task/done', { taskId: 't1', seq: 6, outcome: 'unverified', reason: '', steps: 3 });
  assert.equal(statusText(s), '$(question) MiMo: unverified');
  assert.equal(s.running, false);
  assert.equal(s.steps, 3);
  assert.equal(s.lastSeq, 6); // what a reconnecting client asks mimo.task.events for
  s = { ...s, running: false, interrupted: true };
  assert.equal(statusText(s), '$(debug-pause) MiMo: interrupted');
  assert.match(statusTooltip(s), /Resume Task/);
});

test('index state: mimo.index.status summarised for the status bar tooltip', () => {
  const base = { files: 22, chunks: 317, pending: 0, embedded: 317, errors: 0, indexing: false };
  assert.equal(indexSummary(base), 'ready: 22 files, 317 chunks');
  assert.equal(indexSummary({ ...base, pending: 40, embedded: 277, indexing: true }), 'indexing: 22 files, 317 chunks, 40 awaiting embeddings');
  const broken = indexSummary({ ...base, errors: 2, errorList: ['bad.py: syntax error at line 3'], embedFailures: 1, lastEmbedError: 'OSError: no model' });
  assert.equal(broken, 'ready: 22 files, 317 chunks, 2 error(s) (first: bad.py: syntax error at line 3), embedding failed 1x: OSError: no model');
  const s = { ...emptyState(), index: broken };
  assert.match(statusTooltip(s), /index: ready: 22 files.*embedding failed/);
});

test('inline review: pending hunks placed by currentLine, lenses per hunk, file and task', () => {
  const review: ReviewGetResult = {
    files: [
      {
        path: 'calc.py', status: 'modified', modifiedSince: false,
        hunks: [
          { id: 'h3', header: '@@ -11 +12 @@', oldStart: 11, oldLines: 1, newStart: 12, newLines: 1, old: ['    return a * b\n'], new: ['    return b * a\n'], state: 'pending', currentLine: 11 },
          { id: 'h1', header: '@@ -1 +1,2 @@', oldStart: 1, oldLines: 1, newStart: 1, newLines: 2, old: ['"""Doc."""\n'], new: ['"""Doc.\n', '"""\n'], state: 'pending', currentLine: 0 },
          { id: 'h2', header: '@@ -6,2 +7,0 @@', oldStart: 6, oldLines: 2, newStart: 7, newLines: 0, old: ['    x = 1\n', '    y = 2\n'], new: [], state: 'pending', currentLine: 6 },
          { id: 'h4', header: '@@ -9 +9 @@', oldStart: 9, oldLines: 1, newStart: 9, newLines: 1, old: ['a\n'], new: ['b\n'], state: 'pending', currentLine: null },
          { id: 'h5', header: '@@ -20 +20 @@', oldStart: 20, oldLines: 1, newStart: 20, newLines: 1, old: ['c\n'], new: ['d\n'], state: 'accepted', currentLine: null },
        ],
      },
      { path: 'notes.md', status: 'added', modifiedSince: false, hunks: [{ id: 'n1', header: '@@ -0,0 +1 @@', oldStart: 0, oldLines: 0, newStart: 1, newLines: 1, old: [], new: ['# n\n'], state: 'pending', currentLine: 0 }] },
      { path: 'done.py', status: 'modified', modifiedSince: false, hunks: [{ id: 'd1', header: '@@', oldStart: 1, oldLines: 1, newStart: 1, newLines: 1, old: ['x\n'], new: ['y\n'], state: 'rejected', currentLine: null }] },
    ],
  };
  const files = inlineFiles(review);
  assert.deepEqual(files.map((f) => [f.path, f.hunks.map((h) => [h.hunkId, h.line]), f.unplaced]), [
    ['calc.py', [['h1', 0], ['h2', 6], ['h3', 11]], 1],
    ['notes.md', [['n1', 0]], 0],
  ]);
  const lenses = lensSpecs(files[0], pendingCount(review), 12);
  assert.deepEqual(lenses.filter((l) => l.line === 0).map((l) => l.title), [
    'MiMo: 4 pending change(s) in this file', 'Accept File', 'Reject File', 'Accept All (5)', 'Reject All (5)',
    '$(check) Accept', '$(discard) Reject',
  ]);
  const h3 = lenses.filter((l) => l.args[1] === 'h3');
  assert.deepEqual(h3.map((l) => [l.line, l.command]), [[11, 'mimo.review.acceptHunk'], [11, 'mimo.review.rejectHunk']]);
  assert.deepEqual(lenses.find((l) => l.title === 'Reject File')!.args, ['calc.py']);
  assert.match(lenses.find((l) => l.args[1] === 'h2')!.tooltip, /removal of 2 line/);
  // a file holding every pending hunk of the task has no task-level lenses
  assert.equal(lensSpecs(files[1], 1, 1).some((l) => l.command === 'mimo.acceptAll'), false);
  assert.equal(removedNote(files[0].hunks[2]), 'was: return a * b');
  assert.equal(removedNote(files[0].hunks[1]), 'was: x = 1 (+1 more line(s))');
  assert.equal(removedNote(files[1].hunks[0]), '');
});

import { trustPrompt } from '../src/trust.js';

test('trust: offered only in a trusted window, once per config version, naming every ignored key', () => {
  const result = {
    workspace: '/w', config: '/w/.mimo/config.toml', trusted: false, digest: 'd1',
    loosening: [{ key: 'safety.sandbox.network', value: true, why: 'turns on what is off by default' }],
    ignored: [{ key: 'safety.sandbox.network', value: true, why: 'turns on what is off by default' }],
  };
  assert.equal(trustPrompt(result, false, []), undefined, 'an untrusted window never offers trust');
  const msg = trustPrompt(result, true, []);
  assert.ok(msg?.includes('safety.sandbox.network = true (turns on what is off by default)'));
  assert.equal(trustPrompt(result, true, ['d1']), undefined, 'asked once per config version');
  assert.ok(trustPrompt({ ...result, digest: 'd2' }, true, ['d1']), 'a changed config is asked again');
  assert.equal(trustPrompt({ ...result, trusted: true, ignored: [] }, true, []), undefined);
});
