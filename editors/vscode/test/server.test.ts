// Integration test against the REAL mimo-lsp server over stdio (no VS Code):
// initialize, scripted task fixing calc.add, notifications, review.get, review.reject.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { CheckpointModel } from '../src/checkpointModel.js';
import { PlanModel } from '../src/planModel.js';
import { Commands, Notifications, type DoneEvent, type ReviewDecisionResult, type ReviewGetResult, type TaskStartResult } from '../src/protocol.js';
import { hunkChoices } from '../src/reviewModel.js';
import { initializationOptions, launchCommand } from '../src/settings.js';

const REPO = resolve(__dirname, '..', '..', '..', '..'); // out/test -> editors/vscode -> editors -> repo
const PYTHON = process.env.MIMO_PYTHON ?? join(REPO, '.venv', 'bin', 'python');

const FIX_ADD = [
  { nodes: [{ id: 'fix', title: 'Fix add in calc.py', depends_on: [], expected_output: 'add returns a + b' }] },
  { thought: 'look at the file', action: { tool: 'read_file', path: 'calc.py' } },
  { thought: 'fix the operator', action: { tool: 'edit_file', path: 'calc.py', search: 'return a - b', replace: 'return a + b' } },
  { thought: 'done', action: { tool: 'finish', summary: 'add fixed' } },
];

let dir: string;
let ws: string;
let proc: ChildProcess;
let conn: MessageConnection;
let stderr = '';
const events: { method: string; params: any }[] = [];
const waiters: (() => void)[] = [];

function waitFor(pred: () => boolean, what: string, ms = 60_000): Promise<void> {
  if (pred()) return Promise.resolve();
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`timed out waiting for ${what}; events: ${JSON.stringify(events.map((e) => e.method))}; stderr: ${stderr.slice(-2000)}`)), ms);
    const check = () => {
      if (pred()) {
        clearTimeout(timer);
        res();
      } else waiters.push(check);
    };
    waiters.push(check);
  });
}

function exec<R>(command: string, params: object): Promise<R> {
  return conn.sendRequest('workspace/executeCommand', { command, arguments: [params] }) as Promise<R>;
}

before(async () => {
  assert.ok(existsSync(PYTHON), `no python at ${PYTHON} (set MIMO_PYTHON)`);
  dir = mkdtempSync(join(tmpdir(), 'mimo-vscode-test-'));
  ws = join(dir, 'calculator');
  cpSync(join(REPO, 'examples', 'calculator'), ws, { recursive: true });
  const cmd = launchCommand({ pythonPath: PYTHON });
  proc = spawn(cmd.command, cmd.args, { cwd: ws, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, MIMO_CONFIG_HOME: join(dir, 'config') } });
  proc.stderr!.on('data', (d) => (stderr += String(d)));
  conn = createMessageConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
  for (const method of Object.values(Notifications)) {
    conn.onNotification(method, (params: any) => {
      events.push({ method, params });
      for (const w of waiters.splice(0)) w();
    });
  }
  // server -> client requests the client must answer
  conn.onRequest('window/workDoneProgress/create', () => null);
  conn.onRequest('window/showMessageRequest', () => null);
  conn.onRequest('workspace/applyEdit', () => ({ applied: false }));
  conn.onRequest('workspace/configuration', (p: any) => (p.items ?? []).map(() => null));
  conn.onRequest('client/registerCapability', () => null);
  conn.listen();
  const init: any = await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(ws).href,
    workspaceFolders: [{ uri: pathToFileURL(ws).href, name: 'calculator' }],
    capabilities: {},
    initializationOptions: initializationOptions({ gpuLayers: 0 }),
  });
  assert.ok(init.capabilities, 'initialize returned capabilities');
  await conn.sendNotification('initialized', {});
});

after(async () => {
  try {
    await Promise.race([conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 5000))]);
    conn.sendNotification('exit');
  } catch {
    /* server gone */
  }
  await new Promise((r) => setTimeout(r, 300));
  if (proc.exitCode === null) proc.kill();
  conn.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('invalid params come back as -32602 naming the field', async () => {
  await assert.rejects(exec(Commands.taskStart, {}), (e: any) => e.code === -32602 && /goal/.test(e.message));
});

test('scripted task fixes calc.add; review.get shows one hunk; reject reverts it', async () => {
  const script = join(dir, 'replies.json');
  writeFileSync(script, JSON.stringify(FIX_ADD));
  const started = await exec<TaskStartResult>(Commands.taskStart, { goal: 'fix calc.add', model: `scripted:${script}`, workspace: ws });
  assert.ok(started.taskId);
  const taskId = started.taskId;
  const mine = () => events.filter((e) => e.params.taskId === taskId);
  await waitFor(() => mine().some((e) => e.method === Notifications.done), 'mimo/task/done');

  const evs = mine();
  // seq increases by exactly 1 across kinds
  assert.deepEqual(evs.map((e) => e.params.seq), evs.map((_, i) => i + 1));
  const methods = evs.map((e) => e.method).filter((m) => m !== Notifications.token);
  assert.equal(methods[0], Notifications.plan);
  assert.equal(methods.at(-1), Notifications.done);
  assert.ok(methods.includes(Notifications.checkpoint), 'a checkpoint notification');

  const done = evs.at(-1)!.params as DoneEvent;
  assert.equal(done.outcome, 'unverified', `done: ${JSON.stringify(done)}`);
  assert.equal(done.check ?? null, null);
  assert.match(readFileSync(join(ws, 'calc.py'), 'utf8'), /return a \+ b/);

  // the extension's pure models built from the same notifications
  const plan = new PlanModel();
  const cps = new CheckpointModel();
  for (const e of evs) {
    plan.apply(e.method, e.params);
    cps.apply(e.method, e.params);
  }
  assert.deepEqual(plan.items().map((i) => [i.id, i.status, i.icon]), [['fix', 'done', 'pass']]);
  const edit = cps.items().find((c) => c.files.includes('calc.py'));
  assert.ok(edit, `a checkpoint touching calc.py: ${JSON.stringify(cps.items())}`);
  assert.match(edit!.diff, /\+    return a \+ b/);

  const review = await exec<ReviewGetResult>(Commands.reviewGet, { taskId });
  const choices = hunkChoices(review);
  assert.equal(choices.length, 1, JSON.stringify(review));
  assert.equal(choices[0].path, 'calc.py');
  assert.match(choices[0].label, /^calc\.py @@/);

  const rejected = await exec<ReviewDecisionResult>(Commands.reviewReject, { taskId, hunkIds: [choices[0].hunkId] });
  assert.deepEqual(rejected.decided, [choices[0].hunkId]);
  assert.deepEqual(rejected.conflicts, []);
  assert.match(readFileSync(join(ws, 'calc.py'), 'utf8'), /return a - b/);

  const after = await exec<ReviewGetResult>(Commands.reviewGet, { taskId });
  assert.equal(hunkChoices(after).length, 0);
  assert.equal(hunkChoices(after, false)[0].state, 'rejected');
});
