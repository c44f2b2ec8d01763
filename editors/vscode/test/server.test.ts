// Integration tests against the REAL mimo-lsp server over stdio (no VS Code): initialize, scripted tasks,
// notifications, the review protocol the inline review is built on, and catching up from a new server.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { applyCandidate, candidateChoices, candidateQuery, candidateText, fileChoices, parseCandidateQuery } from '../src/candidateModel.js';
import { CheckpointModel } from '../src/checkpointModel.js';
import { PlanModel } from '../src/planModel.js';
import { Commands, Notifications, type CandidatesResult, type DoneEvent, type ReviewDecisionResult, type ReviewGetResult, type TaskStartResult } from '../src/protocol.js';
import { hunkChoices, inlineFiles, lensSpecs, pendingCount } from '../src/reviewModel.js';
import { initializationOptions, launchCommand } from '../src/settings.js';
import { applyEvent, emptyState, statusText } from '../src/taskState.js';

const REPO = resolve(__dirname, '..', '..', '..', '..'); // out/test -> editors/vscode -> editors -> repo
const PYTHON = process.env.MIMO_PYTHON ?? join(REPO, '.venv', 'bin', 'python');

const FIX_ADD = [
  { nodes: [{ id: 'fix', title: 'Fix add in calc.py', depends_on: [], expected_output: 'add returns a + b' }] },
  { thought: 'look at the file', action: { tool: 'read_file', path: 'calc.py' } },
  { thought: 'fix the operator', action: { tool: 'edit_file', path: 'calc.py', search: 'return a - b', replace: 'return a + b' } },
  { thought: 'done', action: { tool: 'finish', summary: 'add fixed' } },
];

// Three hunks; the first turns one line into three, so every later hunk moves when it is rejected.
const THREE_HUNKS = [
  { nodes: [{ id: 'edit', title: 'Edit calc.py', depends_on: [], expected_output: 'edited' }] },
  { thought: 'docstring', action: { tool: 'edit_file', path: 'calc.py', search: '"""A tiny calculator used by the README\'s main job."""', replace: '"""A tiny calculator.\n\nUsed by the README\'s main job."""' } },
  { thought: 'fix add', action: { tool: 'edit_file', path: 'calc.py', search: 'return a - b', replace: 'return a + b' } },
  { thought: 'swap', action: { tool: 'edit_file', path: 'calc.py', search: 'return a * b', replace: 'return b * a' } },
  { thought: 'done', action: { tool: 'finish', summary: 'edited' } },
];

interface Server {
  proc: ChildProcess;
  conn: MessageConnection;
  events: { method: string; params: any }[];
  init: any;
  stderr: () => string;
  exec<R>(command: string, params: object): Promise<R>;
  waitFor(pred: () => boolean, what: string, ms?: number): Promise<void>;
  stop(): Promise<void>;
}

async function startServer(ws: string, configHome: string): Promise<Server> {
  const cmd = launchCommand({ pythonPath: PYTHON });
  const proc = spawn(cmd.command, cmd.args, { cwd: ws, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, MIMO_CONFIG_HOME: configHome } });
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += String(d)));
  const conn = createMessageConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
  const events: { method: string; params: any }[] = [];
  const waiters: (() => void)[] = [];
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
  await conn.sendNotification('initialized', {});
  return {
    proc, conn, events, init,
    stderr: () => stderr,
    exec: <R>(command: string, params: object) => conn.sendRequest('workspace/executeCommand', { command, arguments: [params] }) as Promise<R>,
    waitFor(pred, what, ms = 60_000) {
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
    },
    async stop() {
      try {
        await Promise.race([conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 5000))]);
        conn.sendNotification('exit');
      } catch {
        /* server gone */
      }
      await new Promise((r) => setTimeout(r, 300));
      if (proc.exitCode === null) proc.kill();
      conn.dispose();
    },
  };
}

let dir: string;
let ws: string;
let server: Server;

before(async () => {
  assert.ok(existsSync(PYTHON), `no python at ${PYTHON} (set MIMO_PYTHON)`);
  dir = mkdtempSync(join(tmpdir(), 'mimo-vscode-test-'));
  ws = join(dir, 'calculator');
  cpSync(join(REPO, 'examples', 'calculator'), ws, { recursive: true });
  server = await startServer(ws, join(dir, 'config'));
  assert.ok(server.init.capabilities, 'initialize returned capabilities');
});

after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function runScripted(replies: unknown[], goal: string): Promise<string> {
  const script = join(dir, `replies-${Date.now()}.json`);
  writeFileSync(script, JSON.stringify(replies));
  const started = await server.exec<TaskStartResult>(Commands.taskStart, { goal, model: `scripted:${script}`, workspace: ws });
  assert.ok(started.taskId);
  await server.waitFor(() => server.events.some((e) => e.params.taskId === started.taskId && e.method === Notifications.done), 'mimo/task/done');
  return started.taskId;
}

test('invalid params come back as -32602 naming the field', async () => {
  await assert.rejects(server.exec(Commands.taskStart, {}), (e: any) => e.code === -32602 && /goal/.test(e.message));
});

test('the server advertises Max Mode, so the palette shows Start Task (Max Mode); its params are accepted', async () => {
  assert.equal(server.init.capabilities?.experimental?.mimo?.maxMode, true);
  await assert.rejects(server.exec(Commands.taskStart, { goal: 'x', maxMode: { n: 0 } }), (e: any) => e.code === -32602 && /maxMode/.test(e.message));
});

test('scripted task fixes calc.add; review.get shows one hunk; reject reverts it', async () => {
  const taskId = await runScripted(FIX_ADD, 'fix calc.add');
  const evs = server.events.filter((e) => e.params.taskId === taskId);
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
  let state = emptyState();
  for (const e of evs) {
    plan.apply(e.method, e.params);
    cps.apply(e.method, e.params);
    state = applyEvent(state, e.method, e.params);
  }
  assert.deepEqual(plan.items().map((i) => [i.id, i.status, i.icon]), [['fix', 'done', 'pass']]);
  const edit = cps.items().find((c) => c.files.includes('calc.py'));
  assert.ok(edit, `a checkpoint touching calc.py: ${JSON.stringify(cps.items())}`);
  assert.match(edit!.diff, /\+    return a \+ b/);
  assert.equal(state.steps, 3);
  assert.equal(statusText(state), '$(question) MiMo: unverified');

  const review = await server.exec<ReviewGetResult>(Commands.reviewGet, { taskId });
  const choices = hunkChoices(review);
  assert.equal(choices.length, 1, JSON.stringify(review));
  assert.equal(choices[0].path, 'calc.py');
  assert.match(choices[0].label, /^calc\.py @@/);

  const rejected = await server.exec<ReviewDecisionResult>(Commands.reviewReject, { taskId, hunkIds: [choices[0].hunkId] });
  assert.deepEqual(rejected.decided, [choices[0].hunkId]);
  assert.deepEqual(rejected.conflicts, []);
  assert.match(readFileSync(join(ws, 'calc.py'), 'utf8'), /return a - b/);

  const after = await server.exec<ReviewGetResult>(Commands.reviewGet, { taskId });
  assert.equal(hunkChoices(after).length, 0);
  assert.equal(hunkChoices(after, false)[0].state, 'rejected');
});

test('inline review: lenses sit on the hunk lines; reject one, accept one, reject the file', async () => {
  const original = readFileSync(join(REPO, 'examples', 'calculator', 'calc.py'), 'utf8');
  writeFileSync(join(ws, 'calc.py'), original);
  const taskId = await runScripted(THREE_HUNKS, 'edit calc.py');
  const lines = () => readFileSync(join(ws, 'calc.py'), 'utf8').split('\n');
  const placed = async () => {
    const review = await server.exec<ReviewGetResult>(Commands.reviewGet, { taskId });
    const files = inlineFiles(review);
    assert.equal(files.length, 1);
    // every lens line shows the hunk's proposed text in the file as it is now
    for (const h of files[0].hunks) assert.deepEqual(lines().slice(h.line, h.line + h.newLines), h.new.map((l) => l.replace(/\n$/, '')));
    return { file: files[0], pending: pendingCount(review) };
  };
  let { file, pending } = await placed();
  assert.equal(pending, 3);
  const [doc, add, mul] = file.hunks;
  assert.deepEqual([doc.line, add.line, mul.line], [0, 7, 12]);
  const lenses = lensSpecs(file, pending, lines().length);
  const reject = lenses.find((l) => l.command === 'mimo.review.rejectHunk' && l.args[1] === doc.hunkId)!;
  assert.equal(reject.line, 0);

  const r1 = await server.exec<ReviewDecisionResult>(Commands.reviewReject, { taskId, path: reject.args[0], hunkIds: [reject.args[1]] });
  assert.deepEqual([r1.decided, r1.conflicts], [[doc.hunkId], []]);
  ({ file, pending } = await placed());
  assert.deepEqual(file.hunks.map((h) => [h.hunkId, h.line]), [[add.hunkId, 5], [mul.hunkId, 10]]); // moved up by 2
  const r2 = await server.exec<ReviewDecisionResult>(Commands.reviewAccept, { taskId, hunkIds: [add.hunkId] });
  assert.deepEqual(r2.decided, [add.hunkId]);
  ({ file, pending } = await placed());
  assert.equal(pending, 1);
  const r3 = await server.exec<ReviewDecisionResult>(Commands.reviewReject, { taskId, path: 'calc.py' });
  assert.deepEqual([r3.decided, r3.conflicts], [[mul.hunkId], []]);
  assert.equal(readFileSync(join(ws, 'calc.py'), 'utf8'), original.replace('return a - b', 'return a + b'));
  assert.deepEqual(inlineFiles(await server.exec<ReviewGetResult>(Commands.reviewGet, { taskId })), []);
});

test('a new server replays the task events: the views refill as they were', async () => {
  const taskId = [...server.events].reverse().find((e) => e.method === Notifications.done)!.params.taskId as string;
  const live = server.events.filter((e) => e.params.taskId === taskId);
  const second = await startServer(ws, join(dir, 'config'));
  try {
    const { events } = await second.exec<{ events: any[] }>(Commands.taskEvents, { taskId, workspace: ws });
    const build = (evs: { method: string; params: any }[]) => {
      const plan = new PlanModel();
      const cps = new CheckpointModel();
      let state = emptyState();
      for (const e of evs) {
        plan.apply(e.method, e.params);
        cps.apply(e.method, e.params);
        state = applyEvent(state, e.method, e.params);
      }
      return { plan: plan.items(), cps: cps.items().map((c) => c.label), status: statusText(state), lastSeq: state.lastSeq };
    };
    const replayed = build(events.map((e) => ({ method: `mimo/task/${e.kind}`, params: e })));
    assert.deepEqual(replayed, build(live));
    assert.equal(replayed.lastSeq, live.length);
    assert.ok(replayed.cps.length >= 3, JSON.stringify(replayed));
    await assert.rejects(second.exec(Commands.taskEvents, { taskId: 'no-such-task', workspace: ws }), /unknown task id/);
  } finally {
    await second.stop();
  }
});

// Max Mode, function format: candidate 1 passes (a + b), 2 passes (b + a: the judge's pick), 3 fails (a * b).
const fn = (body: string) => '```python\ndef add(a, b):\n    """Return the sum of a and b."""\n    ' + body + '\n```';
const MAX_REPLIES = [fn('return a + b'), fn('return b + a'), fn('return a * b'), { pick: 2, reason: 'argument order' }];

test('Max Mode candidates: listed for the quick pick, served to the content provider, another applied and restored', async () => {
  assert.equal(server.init.capabilities?.experimental?.mimo?.candidates, true);
  const ws2 = join(dir, 'calc-max');
  cpSync(join(REPO, 'examples', 'calculator'), ws2, { recursive: true });
  const script = join(dir, 'max-replies.json');
  writeFileSync(script, JSON.stringify(MAX_REPLIES));
  const started = await server.exec<TaskStartResult>(Commands.taskStart, {
    goal: 'Fix the add function in calc.py so that the tests pass', model: `scripted:${script}`, workspace: ws2,
    check: `${PYTHON} -m pytest -q -p no:cacheprovider`, maxMode: { n: 3, selection: 'judge_all', format: 'function' },
  });
  await server.waitFor(() => server.events.some((e) => e.params.taskId === started.taskId && e.method === Notifications.done), 'done', 120_000);
  const done = server.events.find((e) => e.params.taskId === started.taskId && e.method === Notifications.done)!.params as DoneEvent;
  assert.equal(done.outcome, 'verified', done.reason);
  const taskId = started.taskId;

  const listed = await server.exec<CandidatesResult>(Commands.taskCandidates, { taskId, workspace: ws2 });
  assert.equal(listed.picked, 2);
  const choices = candidateChoices(listed);
  assert.deepEqual(choices.map((c) => c.candidateId), [1, 2, 3]);
  assert.match(choices[1].label, /Candidate 2 .*picked/);
  assert.match(choices[0].label, /\$\(pass\)/);
  assert.match(choices[2].label, /\$\(error\)/);
  assert.match(choices[0].detail, /calc\.py \(modified\)/);
  const files = fileChoices(listed.candidates[0]);
  assert.equal(files[0].path, undefined, 'the apply entry comes first');
  assert.equal(files[1].path, 'calc.py');

  // the content provider's text for mimo-candidate:/calc.py?task=..&candidate=1&path=calc.py
  const exec = server.exec.bind(server) as <R>(c: string, p: object) => Promise<R>;
  const ref = parseCandidateQuery(candidateQuery({ taskId, candidateId: 1, path: 'calc.py', workspace: ws2 }));
  const text = await candidateText(exec, ref);
  assert.match(text, /return a \+ b/);
  assert.match(readFileSync(join(ws2, 'calc.py'), 'utf8'), /return b \+ a/, 'the pick is applied');

  const { result, message } = await applyCandidate(exec, taskId, 1, ws2);
  assert.equal(readFileSync(join(ws2, 'calc.py'), 'utf8'), text);
  assert.deepEqual(result.files, ['calc.py']);
  assert.match(message, new RegExp(`applied candidate 1 .*checkpoint #${result.checkpointId}`));
  const { checkpoints } = await server.exec<{ checkpoints: { id: number; tool: string; args: any }[] }>(Commands.checkpointList, { taskId, workspace: ws2 });
  const pick = checkpoints.find((c) => c.tool === 'apply_files' && c.args.candidate === 2)!;
  await server.exec(Commands.checkpointRestore, { taskId, checkpointId: pick.id, mode: 'files', workspace: ws2 });
  assert.match(readFileSync(join(ws2, 'calc.py'), 'utf8'), /return b \+ a/, 'restoring the pick brings it back');
  await assert.rejects(applyCandidate(exec, taskId, 9, ws2), /has no candidate 9/);
});
