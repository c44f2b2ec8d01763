// End-to-end test of the MiMo extension in a real VS Code (code-server in headless Chromium, driven by
// playwright-core). Run through scripts/e2e.sh, which installs code-server and builds the .vsix first.
//
//   node e2e/run.mjs   (env: CODE_SERVER, VSIX, MIMO_PYTHON, CHROMIUM, E2E_ARTIFACTS, E2E_KEEP=1 keeps the
//                       temp dir, E2E_REAL_MODEL=0 skips the run on the shipped model)
//
// Stages (a screenshot of each goes to e2e/artifacts/):
//  1. scripted model (plan, read, three edits of calc.py, a new notes.md, a curl the policy asks about:
//     answered No in the modal dialog and recorded so in the audit trail, finish): F1 -> "MiMo: Start Task";
//     the Plan view shows the node done, the status bar and a notification the outcome;
//  2. inline review: F1 -> "MiMo: Review Changes" opens calc.py with CodeLenses over each hunk and the
//     proposed lines highlighted; the "Reject" lens of the first hunk (one line made three) reverts it on
//     disk, the "Accept" lens of the next keeps it, the file-level "Reject File" lens reverts the rest;
//  3. the hunk list (F1 -> "MiMo: Review Changes (Hunk List)") accepts notes.md;
//  4. "MiMo: Show Audit Trail" shows the verified chain; "Start Task (Max Mode)" is in the palette
//     (the server advertises it in capabilities.experimental.mimo.maxMode); "MiMo: Search Codebase" lists hits, opens the picked one, and
//     the status bar's tooltip shows the index state from mimo.index.status;
//  5. Checkpoints view: right-click checkpoint #1 (the read, before any edit) -> Restore -> files: calc.py
//     is the original again and notes.md is gone;
//  6. "Developer: Reload Window": the extension starts the server again and refills the Plan and
//     Checkpoints views from mimo.task.events (the new server reads the event log);
//  6b. a scripted task runs a 15 s test; the server is killed (SIGKILL) meanwhile: the extension starts a new
//     one, the status bar says interrupted, "MiMo: Resume Task" finishes the task, the work before the kill
//     is still there;
//  6c. Max Mode (function format, scripted): the done notification's "Show Candidates" lists the candidates,
//     one opens calc.py in vscode.diff against the candidate's version (a mimo-candidate: document), then
//     "MiMo: Show Max Mode Candidates" -> "Apply candidate 1" -> modal Apply: calc.py holds candidate 1;
//  7. the shipped model (SmolLM2-135M GGUF, the server's default): mimo.model cleared in the user settings,
//     steps and tokens capped in the workspace's .mimo/config.toml; F1 -> "MiMo: Start Task": the progress
//     notification shows, the Plan view fills, the task ends with an outcome the UI reports (not asserted
//     to succeed: the model is tiny), and the journal says the default GGUF model ran.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const extDir = path.resolve(here, '..');
const repo = path.resolve(extDir, '..', '..');
const codeServer = process.env.CODE_SERVER ?? path.join(extDir, '.e2e-cache', 'code-server', 'node_modules', '.bin', 'code-server');
const vsix = process.env.VSIX ?? path.join(extDir, 'mimo-lsp.vsix');
const python = process.env.MIMO_PYTHON ?? path.join(repo, '.venv', 'bin', 'python');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const artifacts = process.env.E2E_ARTIFACTS ?? path.join(here, 'artifacts');

const t0 = Date.now();
const log = (msg) => console.log(`[e2e ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, fn, timeoutMs, everyMs = 250) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Tasks in the workspace's journal, oldest first (read with the server's Python: no sqlite in Node 20).
function journalTasks() {
  const code = 'import json,sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.row_factory=sqlite3.Row; ' +
    'print(json.dumps([dict(r) for r in c.execute("SELECT id, model, status, outcome FROM tasks ORDER BY created")]))';
  const r = spawnSync(python, ['-c', code, path.join(ws, '.mimo', 'journal.sqlite')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot read the journal: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// The mimo language servers running under our code-server (descendants of its process, from /proc).
function mimoServerPids() {
  const parent = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // the process ended meanwhile
    }
  }
  const under = (pid) => {
    for (let p = parent.get(pid); p; p = parent.get(p)) if (p === server.pid) return true;
    return false;
  };
  return [...parent.keys()].filter((pid) => {
    try {
      return under(pid) && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('mimo_lsp.server');
    } catch {
      return false;
    }
  });
}

const SLOW_TEST = 'import time\n\n\ndef test_slow():\n    time.sleep(15)\n';

// The task's audit records (mimo audit export).
function auditRecords(taskId) {
  const out = path.join(tmp, `audit-${taskId}.json`);
  const r = spawnSync(python, ['-m', 'mimo_lsp.cli', 'audit', 'export', taskId, '-w', ws, '--out', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot export the audit trail: ${r.stderr}`);
  const data = JSON.parse(fs.readFileSync(out, 'utf8'));
  return Array.isArray(data) ? data : data.records;
}

// --- temp workspace, scripted model, VS Code user settings --------------------------------------
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mimo-e2e-'));
const ws = path.join(tmp, 'calculator');
const userData = path.join(tmp, 'user-data');
const extensions = path.join(tmp, 'extensions');
fs.cpSync(path.join(repo, 'examples', 'calculator'), ws, { recursive: true });
const calc = path.join(ws, 'calc.py');
const script = path.join(tmp, 'model.json');
const DOC_OLD = '"""A tiny calculator used by the README\'s main job."""';
const DOC_NEW = '"""A tiny calculator.\n\nUsed by the README\'s main job."""';
fs.writeFileSync(
  script,
  JSON.stringify([
    { nodes: [{ id: 'fix', title: 'Fix add in calc.py', depends_on: [], expected_output: 'add returns a + b' }] },
    { thought: 'look at the file', action: { tool: 'read_file', path: 'calc.py' } },
    { thought: 'a longer docstring', action: { tool: 'edit_file', path: 'calc.py', search: DOC_OLD, replace: DOC_NEW } },
    { thought: 'fix the operator', action: { tool: 'edit_file', path: 'calc.py', search: 'return a - b', replace: 'return a + b' } },
    { thought: 'swap the factors', action: { tool: 'edit_file', path: 'calc.py', search: 'return a * b', replace: 'return b * a' } },
    { thought: 'take notes', action: { tool: 'write_file', path: 'notes.md', content: '# notes\n\nadd fixed\n' } },
    { thought: 'fetch the docs', action: { tool: 'run_command', command: 'curl -s https://example.invalid/calc' } },
    { thought: 'done', action: { tool: 'finish', summary: 'add fixed' } },
  ]),
);
const settingsFile = path.join(userData, 'User', 'settings.json');
const userSettings = (model) =>
  JSON.stringify(
    {
      'mimo.pythonPath': python,
      'mimo.model': model,
      'mimo.gpuLayers': 0,
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.enableExperiments': false,
      'security.workspace.trust.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'extensions.ignoreRecommendations': true,
      'chat.commandCenter.enabled': false,
      'editor.codeLens': true,
    },
    null,
    2,
  );
fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
fs.writeFileSync(settingsFile, userSettings(`scripted:${script}`));
fs.rmSync(artifacts, { recursive: true, force: true });
fs.mkdirSync(artifacts, { recursive: true });
const csLog = fs.createWriteStream(path.join(artifacts, 'code-server.log'));

let server;
let browser;
let failed = false;
try {
  if (!fs.existsSync(codeServer)) throw new Error(`no code-server at ${codeServer} (run scripts/e2e.sh)`);
  if (!fs.existsSync(vsix)) throw new Error(`no .vsix at ${vsix}`);
  if (!fs.existsSync(python)) throw new Error(`no Python at ${python} (set MIMO_PYTHON)`);
  const base = ['--user-data-dir', userData, '--extensions-dir', extensions];

  log(`installing ${vsix}`);
  const inst = spawnSync(codeServer, [...base, '--install-extension', vsix], { encoding: 'utf8', timeout: 120_000 });
  csLog.write(`${inst.stdout}\n${inst.stderr}\n`);
  if (inst.status !== 0) throw new Error(`--install-extension failed (${inst.status}): ${inst.stderr || inst.stdout}`);

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  log(`starting code-server on ${url} for ${ws}`);
  server = spawn(
    codeServer,
    ['--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, ...base, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override', ws],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  server.stdout.pipe(csLog);
  server.stderr.pipe(csLog);
  await waitFor('code-server to answer', async () => {
    try {
      const r = await fetch(`${url}/healthz`);
      return r.ok;
    } catch {
      return false;
    }
  }, 60_000);

  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('console', (m) => {
    if (m.type() === 'error') csLog.write(`[browser console] ${m.text()}\n`);
  });
  let shot = 0;
  const screenshot = async (name) => {
    const f = path.join(artifacts, `${String(++shot).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: f });
    log(`screenshot ${path.relative(extDir, f)}`);
  };

  await page.goto(`${url}/?folder=${encodeURIComponent(ws)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await page.locator('.explorer-folders-view, .part.sidebar').first().waitFor({ timeout: 30_000 });
  await sleep(2000); // let the workbench settle (extensions host, welcome editors)
  await screenshot('workbench');

  const quickInput = page.locator('.quick-input-widget');
  const quickInputBox = page.locator('.quick-input-widget .quick-input-box input');
  const runCommand = async (title) => {
    // The palette can open before the extension's commands are registered (startup, reload): retry.
    for (let attempt = 1; ; attempt++) {
      await page.keyboard.press('Escape');
      await page.keyboard.press('F1');
      await quickInput.waitFor({ state: 'visible', timeout: 15_000 });
      await quickInputBox.fill(`>${title}`);
      const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
      try {
        await row.waitFor({ state: 'visible', timeout: 10_000 });
      } catch (e) {
        if (attempt >= 3) throw e;
        log(`palette: "${title}" not listed yet (attempt ${attempt}); again`);
        continue;
      }
      // The row labelled exactly `title`: a recently used "MiMo: Start Task (Max Mode)" is listed above
      // "MiMo: Start Task" and would be the first match.
      const rows = page.locator('.quick-input-widget .monaco-list-row');
      const n = await rows.count();
      for (let i = 0; i < n; i++) {
        const label = (await rows.nth(i).locator('.label-name').first().innerText().catch(() => '')).replace(/\s+/g, ' ').trim();
        if (label === title) {
          for (let k = 0; k < i; k++) await page.keyboard.press('ArrowDown');
          break;
        }
      }
      await page.keyboard.press('Enter');
      return;
    }
  };
  const waitForInputTitled = async (title) => {
    await page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ state: 'visible', timeout: 30_000 });
  };
  // F1 -> MiMo: Start Task, the goal, no acceptance command; `shots` saves the two input stages.
  const startTask = async (goal, shots = false) => {
    await runCommand('MiMo: Start Task');
    await waitForInputTitled('MiMo: Start Task');
    await quickInputBox.fill(goal);
    if (shots) await screenshot('start-task-goal');
    await page.keyboard.press('Enter');
    await waitForInputTitled('acceptance command');
    if (shots) await screenshot('start-task-check');
    await page.keyboard.press('Enter');
  };

  // --- 1. Start Task on the scripted model ----------------------------------------------------------
  log('F1 -> MiMo: Start Task');
  await startTask('Fix add in calc.py so that it returns the sum', true);

  const original = fs.readFileSync(path.join(repo, 'examples', 'calculator', 'calc.py'), 'utf8');
  const calcText = () => fs.readFileSync(calc, 'utf8');
  const notes = path.join(ws, 'notes.md');
  const statusItem = page.locator('.statusbar-item', { hasText: 'MiMo' }).first();
  await waitFor('the agent\'s edits on disk', () => {
    const t = calcText();
    return t.includes(DOC_NEW) && t.includes('return a + b') && t.includes('return b * a') && fs.existsSync(notes);
  }, 90_000);
  log('calc.py and notes.md written by the agent');
  // The policy asks before `curl` (network): the server's window/showMessageRequest is a modal dialog.
  const dialog = page.locator('.monaco-dialog-box', { hasText: 'mimo wants to run run_command: curl' }).first();
  await dialog.waitFor({ state: 'visible', timeout: 60_000 });
  log(`modal confirmation: "${(await dialog.innerText()).replace(/\s+/g, ' ').trim()}"`);
  await screenshot('confirm-modal');
  await dialog.getByRole('button', { name: 'No', exact: true }).click();
  await dialog.waitFor({ state: 'hidden', timeout: 15_000 });
  const doneToast = page.locator('.notifications-toasts .notification-toast', { hasText: 'MiMo task' }).first();
  await doneToast.waitFor({ state: 'visible', timeout: 60_000 });
  const outcome = (await doneToast.locator('.notification-list-item-message').first().innerText()).trim();
  const status = (await statusItem.innerText().catch(() => '')).trim();
  log(`notification: "${outcome}"; status bar: "${status}"`);
  await page.locator('.part.sidebar .monaco-list-row', { hasText: 'Fix add in calc.py' }).filter({ hasText: 'done' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  await sleep(600);
  await screenshot('task-done');
  if (!/^MiMo task unverified\b/.test(outcome)) throw new Error(`unexpected task outcome: ${outcome}`);
  if (!/MiMo: unverified/.test(status)) throw new Error(`unexpected status bar text: ${status}`);
  const auth = auditRecords(journalTasks().at(-1).id).filter((r) => r.layer === 'authorization' && r.data?.asked);
  log(`audit: asked authorizations ${JSON.stringify(auth.map((r) => [r.event, r.data.answer, r.data.allowed]))}`);
  if (auth.length !== 1 || auth[0].data.answer !== 'no' || auth[0].data.allowed !== false) throw new Error('the "No" answer is not in the audit trail');

  const toastText = async (text) => {
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: text }).last();
    await toast.waitFor({ state: 'visible', timeout: 15_000 });
    return (await toast.locator('.notification-list-item-message').first().innerText()).trim();
  };
  const clearToasts = async () => {
    await runCommand('Notifications: Clear All Notifications');
    await sleep(300);
  };
  await clearToasts();

  // --- 2. Inline review: CodeLens per hunk in calc.py -------------------------------------------------
  log('F1 -> MiMo: Review Changes (inline)');
  await runCommand('MiMo: Review Changes');
  await page.locator('.tabs-container .tab', { hasText: 'calc.py' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  const lens = (title) => page.locator('.monaco-editor .codelens-decoration a', { hasText: new RegExp(`^\\W*${title}$`) });
  // The lenses of the hunk nearest the top (CodeLens rows are absolutely positioned: sort by y).
  const topmost = async (title) => {
    const all = lens(title);
    await all.first().waitFor({ state: 'visible', timeout: 15_000 });
    let best;
    let bestY = Infinity;
    for (let i = 0; i < (await all.count()); i++) {
      const box = await all.nth(i).boundingBox();
      if (box && box.y < bestY) [best, bestY] = [all.nth(i), box.y];
    }
    return best;
  };
  await lens('Reject File').first().waitFor({ state: 'visible', timeout: 30_000 });
  const lensCount = async (title) => lens(title).count();
  const hunkLenses = await lensCount('Reject');
  log(`CodeLenses: ${hunkLenses} hunk Reject lens(es), file-level lens present`);
  if (hunkLenses !== 3) throw new Error(`expected 3 hunk lenses in calc.py, saw ${hunkLenses}`);
  const highlighted = await page.locator('.monaco-editor .view-overlays > div > div[class*="ced-"]').count();
  log(`decorated line overlays: ${highlighted}`);
  await sleep(400);
  await screenshot('inline-review');

  log('CodeLens "Reject" on the first hunk (the docstring, one line made three)');
  await (await topmost('Reject')).click();
  log(`notification: "${await toastText('MiMo: rejected')}"`);
  await waitFor('the docstring reverted on disk, the other hunks kept', () => {
    const t = calcText();
    return t.includes(DOC_OLD) && !t.includes(DOC_NEW) && t.includes('return a + b') && t.includes('return b * a');
  }, 15_000);
  await waitFor('two hunk lenses left', async () => (await lensCount('Reject')) === 2, 15_000);
  await sleep(300);
  await screenshot('inline-rejected-first');

  log('CodeLens "Accept" on the next hunk (add fixed), now two lines higher');
  await (await topmost('Accept')).click();
  log(`notification: "${await toastText('MiMo: accepted')}"`);
  await waitFor('one hunk lens left', async () => (await lensCount('Reject')) === 1, 15_000);
  if (!calcText().includes('return a + b')) throw new Error(`accept changed calc.py:\n${calcText()}`);
  await clearToasts();

  log('CodeLens "Reject File": the remaining hunk of calc.py');
  await lens('Reject File').first().click();
  await waitFor('calc.py: docstring and multiply original, add fixed', () => calcText() === original.replace('return a - b', 'return a + b'), 15_000);
  await waitFor('no lenses left in calc.py', async () => (await lensCount('Reject File')) === 0, 15_000);
  log('calc.py: first hunk rejected, second accepted, third rejected by file; on disk');
  await sleep(300);
  await screenshot('inline-reviewed');
  await clearToasts();

  // --- 3. The hunk list (QuickPick) for what is left: notes.md ----------------------------------------
  log('F1 -> MiMo: Review Changes (Hunk List) -> notes.md -> Accept');
  await runCommand('MiMo: Review Changes (Hunk List)');
  await waitForInputTitled('MiMo: review 1 pending hunk(s)');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'notes.md' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  await screenshot('hunk-list');
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget .quick-input-box input[placeholder="Accept or reject this hunk"]').waitFor({ state: 'visible', timeout: 15_000 });
  await quickInputBox.fill('Accept');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Accept' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  await page.keyboard.press('Enter');
  const accepted = await toastText('MiMo: accepted');
  if (accepted !== 'MiMo: accepted 1 hunk(s)') throw new Error(`unexpected accept result: ${accepted}`);
  await toastText('no pending hunks');
  if (!fs.existsSync(notes)) throw new Error('notes.md was accepted but is gone');
  await clearToasts();

  // --- 4. Audit trail; Max Mode offered (advertised by the server) -------------------------------------
  log('F1 -> MiMo: Show Audit Trail');
  await runCommand('MiMo: Show Audit Trail');
  await page.locator('.monaco-editor .view-lines', { hasText: 'chain verified' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  await screenshot('audit-trail');
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  await quickInputBox.fill('>MiMo: Start Task');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'MiMo: Start Task' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  const maxRows = await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Max Mode' }).count();
  log(`palette rows for "Start Task (Max Mode)": ${maxRows}`);
  if (maxRows !== 1) throw new Error('Start Task (Max Mode) is not offered although the server advertises it');
  await page.keyboard.press('Escape');

  // --- 4b. Search Codebase: the hits quick pick opens the file; the status bar shows the index state ----
  log('F1 -> MiMo: Search Codebase');
  await runCommand('MiMo: Search Codebase');
  await waitForInputTitled('MiMo: Search Codebase');
  await quickInputBox.fill('multiply two numbers');
  await page.keyboard.press('Enter');
  await waitForInputTitled('hit(s) for "multiply two numbers"');
  const hitRow = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'calc.py' }).first();
  await hitRow.waitFor({ state: 'visible', timeout: 15_000 });
  const firstHit = (await page.locator('.quick-input-widget .monaco-list-row').first().innerText()).replace(/\s+/g, ' ').trim();
  log(`first search hit: "${firstHit}"`);
  await screenshot('search-hits');
  await hitRow.click();
  await page.locator('.tab.active', { hasText: 'calc.py' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  await clearToasts();
  await statusItem.hover();
  const hover = page.locator('.monaco-hover, .workbench-hover', { hasText: /index: (ready|indexing): \d+ files, \d+ chunks/ }).first();
  await hover.waitFor({ state: 'visible', timeout: 30_000 });
  log(`status bar tooltip: "${(await hover.innerText()).replace(/\s+/g, ' ').trim()}"`);
  await screenshot('search-index-state');
  await page.mouse.move(0, 0);

  // --- 5. Checkpoints view: context menu -> Restore the first checkpoint (before any edit) ----------
  log('Checkpoints view: right-click the first checkpoint -> Restore -> files');
  const checkpointsPane = page.locator('.part.sidebar .pane', { has: page.locator('.pane-header', { hasText: 'Checkpoints' }) }).first();
  const cpHeader = checkpointsPane.locator('.pane-header').first();
  await cpHeader.waitFor({ state: 'visible', timeout: 15_000 });
  if ((await cpHeader.getAttribute('aria-expanded')) === 'false') await cpHeader.click();
  const firstCheckpoint = checkpointsPane.locator('.monaco-list-row').first();
  await firstCheckpoint.waitFor({ state: 'visible', timeout: 15_000 });
  const cpLabel = (await firstCheckpoint.innerText()).replace(/\s+/g, ' ').trim();
  log(`first checkpoint: "${cpLabel}"`);
  if (!/^#1 step \d+: no file changes/.test(cpLabel)) throw new Error(`unexpected first checkpoint: ${cpLabel}`);
  await firstCheckpoint.click({ button: 'right' });
  const restoreItem = page.locator('.context-view .monaco-menu .action-item', { hasText: /^\s*Restore\s*$/ }).first();
  await restoreItem.waitFor({ state: 'visible', timeout: 15_000 });
  await screenshot('checkpoint-context-menu');
  await restoreItem.click();
  await waitForInputTitled('MiMo: restore checkpoint #1');
  await quickInputBox.fill('files');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'working tree' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  await page.keyboard.press('Enter');
  const restored = await toastText('MiMo: restored');
  log(`notification: "${restored}"`);
  if (restored !== 'MiMo: restored 2 file(s)') throw new Error(`unexpected restore result: ${restored}`);
  await waitFor('calc.py original and notes.md gone', () => calcText() === original && !fs.existsSync(notes), 15_000);
  log('calc.py restored to the original on disk, notes.md removed');
  await sleep(600);
  await screenshot('restored');
  await clearToasts();

  // --- 6. Reload the window: the views refill from mimo.task.events ---------------------------------
  log('F1 -> Developer: Reload Window');
  await runCommand('Developer: Reload Window');
  await sleep(1500);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  const planRow = page.locator('.part.sidebar .monaco-list-row', { hasText: 'Fix add in calc.py' }).filter({ hasText: 'done' }).first();
  await planRow.waitFor({ state: 'visible', timeout: 60_000 });
  const cpAfter = page.locator('.part.sidebar .pane', { has: page.locator('.pane-header', { hasText: 'Checkpoints' }) }).first().locator('.monaco-list-row');
  await waitFor('the Checkpoints view refilled', async () => (await cpAfter.count()) >= 5, 30_000);
  log(`after reload: Plan view shows the node done, Checkpoints view ${await cpAfter.count()} rows`);
  await sleep(600);
  await screenshot('reloaded-views-refilled');

  // --- 6b. The server is killed mid-task: restarted by the extension, the task resumed from the palette ---
  // A new script (the server reads the scripted model's file at each task start and resume): write a
  // slow test, run it (15 s), finish. The server is SIGKILLed while the test runs.
  fs.writeFileSync(script, JSON.stringify([
    { nodes: [{ id: 'slow', title: 'Run the slow check', depends_on: [], expected_output: 'the slow test passes' }] },
    { thought: 'a slow test', action: { tool: 'write_file', path: 'test_slow.py', content: SLOW_TEST } },
    { thought: 'run it', action: { tool: 'run_command', command: `${python} -m pytest -q -p no:cacheprovider test_slow.py` } },
    { thought: 'done', action: { tool: 'finish', summary: 'the slow test passes' } },
  ]));
  const slowTest = path.join(ws, 'test_slow.py');
  log('F1 -> MiMo: Start Task (slow check), then kill -9 the server while the test runs');
  await startTask('Run the slow check');
  await waitFor('test_slow.py written by the agent', () => fs.existsSync(slowTest), 60_000);
  await sleep(3000); // the test runs now
  const before = mimoServerPids();
  if (before.length !== 1) throw new Error(`expected one mimo server process, found ${JSON.stringify(before)}`);
  process.kill(before[0], 'SIGKILL');
  log(`killed the server (pid ${before[0]})`);
  await waitFor('the extension to start a new server', () => {
    const now = mimoServerPids();
    return now.length === 1 && now[0] !== before[0];
  }, 60_000);
  log(`new server pid ${mimoServerPids()[0]}`);
  await waitFor('status bar: interrupted', async () => /MiMo: interrupted/.test(await statusItem.innerText().catch(() => '')), 60_000);
  await page.locator('.part.sidebar .monaco-list-row', { hasText: 'Run the slow check' }).filter({ hasText: 'interrupted' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  await waitFor('the dead server\'s progress notification closed', async () =>
    (await page.locator('.notifications-toasts .notification-toast', { hasText: 'slow: running' }).count()) === 0, 15_000);
  log('Plan view: the node is interrupted; no progress notification left from the dead server');
  await screenshot('server-killed-interrupted');
  const slowId = journalTasks().at(-1).id;
  log(`task ${slowId} is ${journalTasks().at(-1).status} in the journal; F1 -> MiMo: Resume Task`);
  await clearToasts();
  await runCommand('MiMo: Resume Task');
  await waitForInputTitled('Resume which task?');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Run the slow check' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  await page.keyboard.press('Enter');
  const resumedDone = page.locator('.notifications-toasts .notification-toast', { hasText: 'MiMo task' }).first();
  await resumedDone.waitFor({ state: 'visible', timeout: 120_000 });
  const resumedOutcome = (await resumedDone.locator('.notification-list-item-message').first().innerText()).trim();
  const resumed = journalTasks().find((t) => t.id === slowId);
  log(`resumed: notification "${resumedOutcome}"; journal: ${JSON.stringify(resumed)}`);
  if (!/^MiMo task unverified\b/.test(resumedOutcome) || resumed.status !== 'finished') throw new Error('the resumed task did not finish');
  if (!fs.existsSync(slowTest)) throw new Error('the work done before the kill is gone');
  await sleep(600);
  await screenshot('resumed-done');
  await clearToasts();

  // --- 6c. Max Mode candidates side by side, another one applied ------------------------------------
  // Function format (the workspace config; a scripted model has no parameter count): candidate 1 fails
  // (a * b), candidate 2 passes (a + b) and is picked (first_pass). Show Candidates -> candidate 1 ->
  // calc.py opens vscode.diff against the candidate's version; then Apply candidate 1 (modal) -> a * b.
  const fnReply = (body) => '```python\ndef add(a, b):\n    """Return the sum of a and b."""\n    ' + body + '\n```';
  fs.mkdirSync(path.join(ws, '.mimo'), { recursive: true });
  fs.writeFileSync(path.join(ws, '.mimo', 'config.toml'), '[max]\nformat = "function"\n');
  fs.writeFileSync(script, JSON.stringify([fnReply('return a * b'), fnReply('return a + b')]));
  log('F1 -> MiMo: Start Task (Max Mode), check: pytest test_calc.py');
  await runCommand('MiMo: Start Task (Max Mode)');
  await waitForInputTitled('MiMo: Start Task (Max Mode)');
  await quickInputBox.fill('Fix the add function in calc.py so that the tests pass');
  await page.keyboard.press('Enter');
  await waitForInputTitled('acceptance command');
  await quickInputBox.fill(`${python} -m pytest -q -p no:cacheprovider test_calc.py`);
  await page.keyboard.press('Enter');
  const maxDone = page.locator('.notifications-toasts .notification-toast', { hasText: 'MiMo task' }).first();
  await maxDone.waitFor({ state: 'visible', timeout: 120_000 });
  const maxOutcome = (await maxDone.locator('.notification-list-item-message').first().innerText()).trim();
  log(`Max Mode: "${maxOutcome}"`);
  if (!/^MiMo task verified\b/.test(maxOutcome)) throw new Error(`unexpected Max Mode outcome: ${maxOutcome}`);
  if (!calcText().includes('return a + b')) throw new Error('the pick (candidate 2) is not applied');
  await maxDone.getByRole('button', { name: 'Show Candidates' }).click();
  await waitForInputTitled('MiMo: candidates of task');
  const candRows = page.locator('.quick-input-widget .monaco-list-row');
  await candRows.filter({ hasText: 'Candidate 2' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  const rowTexts = [];
  for (let i = 0; i < (await candRows.count()); i++) rowTexts.push((await candRows.nth(i).innerText()).replace(/\s+/g, ' ').trim());
  log(`candidates: ${JSON.stringify(rowTexts)}`);
  if (rowTexts.length !== 2 || !/Candidate 2 picked/.test(rowTexts[1]) || !/checks not passed/.test(rowTexts[0])) throw new Error('unexpected candidate rows');
  await screenshot('max-candidates');
  await quickInputBox.fill('Candidate 1');
  await waitFor('only the Candidate 1 row', async () => (await candRows.count()) === 1, 15_000);
  await page.keyboard.press('Enter');
  await waitForInputTitled('MiMo: candidate 1 of task');
  // the candidate's own list (apply entry first, then its files), not the candidates' rows still fading out
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Apply candidate 1' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  await quickInputBox.fill('calc.py');
  await waitFor('only the calc.py row', async () => (await candRows.count()) === 1 && /calc\.py/.test(await candRows.first().innerText()), 15_000);
  await page.keyboard.press('Enter');
  await page.locator('.tab', { hasText: 'candidate 1' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  const diffEditor = page.locator('.monaco-diff-editor').first();
  await diffEditor.waitFor({ state: 'visible', timeout: 15_000 });
  await diffEditor.locator('.editor.modified .view-lines', { hasText: 'return a * b' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  await diffEditor.locator('.editor.original .view-lines', { hasText: 'return a + b' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  log('vscode.diff: calc.py now (a + b) | candidate 1 (a * b)');
  await sleep(500);
  await screenshot('candidate-diff');
  await clearToasts();
  log('F1 -> MiMo: Show Max Mode Candidates -> Candidate 1 -> Apply candidate 1 -> modal: Apply');
  await runCommand('MiMo: Show Max Mode Candidates');
  await waitForInputTitled('MiMo: candidates of task');
  await candRows.filter({ hasText: 'Candidate 2' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  await quickInputBox.fill('Candidate 1');
  await waitFor('only the Candidate 1 row', async () => (await candRows.count()) === 1, 15_000);
  await page.keyboard.press('Enter');
  await waitForInputTitled('MiMo: candidate 1 of task');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Apply candidate 1' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  await quickInputBox.fill('Apply candidate 1');
  await waitFor('only the apply row', async () => (await candRows.count()) === 1, 15_000);
  await page.keyboard.press('Enter');
  const applyDialog = page.locator('.monaco-dialog-box', { hasText: 'Apply candidate 1 of task' }).first();
  await applyDialog.waitFor({ state: 'visible', timeout: 15_000 });
  await screenshot('apply-candidate-modal');
  await applyDialog.getByRole('button', { name: 'Apply', exact: true }).click();
  log(`notification: "${await toastText('MiMo: applied candidate 1')}"`);
  await waitFor('calc.py holds candidate 1 (a * b)', () => calcText().includes('return a * b'), 15_000);
  await sleep(500);
  await screenshot('candidate-applied');
  await clearToasts();  // calc.py's own tab stays open (the next stage types into it), the diff next to it

  // --- 7. The shipped model (SmolLM2-135M GGUF, the server's default) ---------------------------------
  if (process.env.E2E_REAL_MODEL !== '0') {
    log('real model: mimo.model cleared (server default), caps in .mimo/config.toml');
    fs.writeFileSync(
      path.join(ws, '.mimo', 'config.toml'),
      '[model]\nmax_tokens = 160\nn_ctx = 2048\nn_threads = 1\n\n[agent]\nmax_plan_attempts = 2\nmax_plan_nodes = 4\nmax_steps_per_node = 2\nmax_structured_retries = 0\nnode_retries = 0\nmax_replans = 0\ngoal_rounds = 0\n',
    );
    // Clear "mimo.model" in the Settings editor, as a user would; the extension stops the server, which
    // starts again with the new settings on the next command.
    await runCommand('Preferences: Open User Settings');
    await page.locator('.settings-editor').first().waitFor({ state: 'visible', timeout: 15_000 });
    await sleep(800);
    await page.keyboard.type('@id:mimo.model');
    const modelInput = page.locator('.settings-editor .setting-item-text input').first();
    await modelInput.waitFor({ state: 'visible', timeout: 15_000 });
    await page.locator('.settings-editor .setting-item-contents', { hasText: 'Model spec passed' }).first().waitFor({ state: 'visible', timeout: 15_000 });
    await modelInput.fill('');
    await waitFor('mimo.model cleared in the user settings', () => {
      const t = fs.readFileSync(settingsFile, 'utf8');
      return !t.includes('scripted:');
    }, 15_000);
    await screenshot('settings-model-cleared');
    await page.locator('.tabs-container .tab', { hasText: 'calc.py' }).first().click();
    await sleep(500);
    const tasksBefore = journalTasks().length;
    await startTask('Fix the add function in calc.py so that it returns a + b');
    const progressToast = page.locator('.notifications-toasts .notification-toast', { hasText: 'Fix the add function' }).first();
    await progressToast.waitFor({ state: 'visible', timeout: 60_000 }).then(
      () => log('progress notification shown'),
      () => log('progress notification not seen (the task may have ended first)'),
    );
    await screenshot('real-model-running');
    // The outcome is in the status bar once the task ends; its notification is a toast, or, when VS Code did
    // not show the toast (it sometimes keeps toasts back after the modal and quick picks of the stage
    // before), a row in the notification center: either way the extension must have issued it.
    await waitFor('the real task ends (status bar)', async () =>
      /MiMo: (verified|unverified|failed|cancelled)/.test((await statusItem.innerText().catch(() => '')).trim()), 240_000);
    let realDone = page.locator('.notifications-toasts .notification-toast', { hasText: 'MiMo task' }).first();
    const toast = await realDone.waitFor({ state: 'visible', timeout: 15_000 }).then(() => true, () => false);
    if (!toast) {
      log('real model: no toast; looking in the notification center');
      await runCommand('Notifications: Show Notifications');
      realDone = page.locator('.notifications-center .monaco-list-row', { hasText: 'MiMo task' }).first();
      await realDone.waitFor({ state: 'visible', timeout: 15_000 });
    }
    const realOutcome = (await realDone.locator('.notification-list-item-message').first().innerText()).trim();
    const realStatus = (await statusItem.innerText().catch(() => '')).trim();
    log(`real model: notification "${realOutcome}"; status bar "${realStatus}"`);
    if (!/^MiMo task (verified|unverified|failed|cancelled)/.test(realOutcome)) throw new Error(`no outcome reported: ${realOutcome}`);
    if (!/MiMo: (verified|unverified|failed|cancelled)/.test(realStatus)) throw new Error(`status bar: ${realStatus}`);
    const planRows = await page.locator('.part.sidebar .pane', { has: page.locator('.pane-header', { hasText: 'Plan' }) }).first().locator('.monaco-list-row').allInnerTexts();
    log(`real model: Plan view rows: ${JSON.stringify(planRows.map((r) => r.replace(/\s+/g, ' ').trim()))}`);
    // The scripted task's plan was exactly one row "Fix add in calc.py" (done). The new plan is the model's
    // own (its titles may quote the earlier task: lessons and outcomes of this workspace reach the planner).
    const oldPlan = (rows) => rows.length === 1 && rows[0].replace(/\s+/g, '') === 'Fixaddincalc.pydone';
    if (!planRows.length || oldPlan(planRows)) throw new Error('the Plan view did not fill with the new task\'s plan');
    const tasks = journalTasks();
    const last = tasks.at(-1);
    log(`real model: journal has ${tasks.length} task(s); the new one ran ${last?.model} (${last?.outcome})`);
    if (/Max Mode/.test(realOutcome)) throw new Error('the real-model task ran in Max Mode: the palette picked the wrong command');
    if (tasks.length !== tasksBefore + 1 || !/SmolLM2-135M/i.test(last?.model ?? '')) throw new Error(`not the shipped model: ${JSON.stringify(last)}`);
    await sleep(600);
    await screenshot('real-model-done');
  }
  log('PASS');
} catch (e) {
  failed = true;
  console.error(`[e2e] FAIL: ${e instanceof Error ? e.stack : e}`);
  try {
    const pages = browser ? browser.contexts().flatMap((c) => c.pages()) : [];
    if (pages[0]) await pages[0].screenshot({ path: path.join(artifacts, 'failure.png') });
  } catch {}
} finally {
  if (browser) await browser.close().catch(() => {});
  if (server && server.exitCode === null) {
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {}
  }
  csLog.end();
  if (!process.env.E2E_KEEP) fs.rmSync(tmp, { recursive: true, force: true });
  else log(`kept ${tmp}`);
  log(failed ? 'FAILED' : 'done');
  process.exit(failed ? 1 : 0);
}
