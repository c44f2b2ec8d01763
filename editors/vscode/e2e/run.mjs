// End-to-end test of the MiMo extension in a real VS Code (code-server in headless Chromium, driven by
// playwright-core). Run through scripts/e2e.sh, which installs code-server and builds the .vsix first.
//
//   node e2e/run.mjs   (env: CODE_SERVER, VSIX, MIMO_PYTHON, CHROMIUM, E2E_ARTIFACTS, E2E_KEEP=1 keeps the temp dir)
//
// Steps: temp workspace with examples/calculator, a scripted model (plan, read, two edits, finish), user
// settings pointing the extension at that model; F1 -> "MiMo: Start Task" -> goal -> Enter -> Enter;
// wait until calc.py on disk says "return a + b" and "return b * a"; F1 -> "MiMo: Review Changes" ->
// first hunk -> Accept; F1 -> "MiMo: Review Changes" -> remaining hunk -> Reject; calc.py must say
// "return a + b" and "return a * b"; Checkpoints view: right-click the first checkpoint (#1, the read,
// before any edit) -> Restore -> files; calc.py must be the original again. Screenshots of each stage
// go to e2e/artifacts/.
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

// --- temp workspace, scripted model, VS Code user settings --------------------------------------
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mimo-e2e-'));
const ws = path.join(tmp, 'calculator');
const userData = path.join(tmp, 'user-data');
const extensions = path.join(tmp, 'extensions');
fs.cpSync(path.join(repo, 'examples', 'calculator'), ws, { recursive: true });
const calc = path.join(ws, 'calc.py');
const script = path.join(tmp, 'model.json');
fs.writeFileSync(
  script,
  JSON.stringify([
    { nodes: [{ id: 'fix', title: 'Fix add in calc.py', depends_on: [], expected_output: 'add returns a + b' }] },
    { thought: 'look at the file', action: { tool: 'read_file', path: 'calc.py' } },
    { thought: 'fix the operator', action: { tool: 'edit_file', path: 'calc.py', search: 'return a - b', replace: 'return a + b' } },
    { thought: 'swap the factors', action: { tool: 'edit_file', path: 'calc.py', search: 'return a * b', replace: 'return b * a' } },
    { thought: 'done', action: { tool: 'finish', summary: 'add fixed' } },
  ]),
);
fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
fs.writeFileSync(
  path.join(userData, 'User', 'settings.json'),
  JSON.stringify(
    {
      'mimo.pythonPath': python,
      'mimo.model': `scripted:${script}`,
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
    },
    null,
    2,
  ),
);
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
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    await quickInput.waitFor({ state: 'visible', timeout: 15_000 });
    await quickInputBox.fill(`>${title}`);
    const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    await page.keyboard.press('Enter');
  };
  const waitForInputTitled = async (title) => {
    await page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ state: 'visible', timeout: 30_000 });
  };

  // --- Start Task --------------------------------------------------------------------------------
  log('F1 -> MiMo: Start Task');
  await runCommand('MiMo: Start Task');
  await waitForInputTitled('MiMo: Start Task');
  await quickInputBox.fill('Fix add in calc.py so that it returns the sum');
  await screenshot('start-task-goal');
  await page.keyboard.press('Enter');
  await waitForInputTitled('acceptance command');
  await screenshot('start-task-check');
  await page.keyboard.press('Enter'); // no acceptance command

  const statusItem = page.locator('.statusbar-item', { hasText: 'MiMo' }).first();
  await waitFor('calc.py to say "return a + b" and "return b * a"', () => {
    const t = fs.readFileSync(calc, 'utf8');
    return t.includes('return a + b') && t.includes('return b * a');
  }, 90_000);
  log('calc.py fixed on disk');
  const doneToast = page.locator('.notifications-toasts .notification-toast', { hasText: 'MiMo task' }).first();
  await doneToast.waitFor({ state: 'visible', timeout: 60_000 });
  const outcome = (await doneToast.locator('.notification-list-item-message').first().innerText()).trim();
  const status = (await statusItem.innerText().catch(() => '')).trim();
  log(`notification: "${outcome}"; status bar: "${status}"`);
  // The Plan view (MiMo activity bar container) shows the node as done; let the toast finish fading in.
  await page.locator('.part.sidebar .monaco-list-row', { hasText: 'Fix add in calc.py' }).filter({ hasText: 'done' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  await sleep(600);
  await screenshot('task-done');
  if (!/MiMo task (verified|unverified)/.test(outcome)) throw new Error(`unexpected task outcome: ${outcome}`);
  if (!/MiMo: (verified|unverified)/.test(status)) throw new Error(`unexpected status bar text: ${status}`);

  const original = fs.readFileSync(path.join(repo, 'examples', 'calculator', 'calc.py'), 'utf8');
  const calcText = () => fs.readFileSync(calc, 'utf8');
  // The server may change an open document in the buffer (workspace/applyEdit): save, then look again.
  const waitOnDisk = async (what, fn) => {
    try {
      await waitFor(what, fn, 15_000);
    } catch {
      log(`${what}: not on disk yet; saving the editors (Ctrl+S)`);
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+S');
      await waitFor(`${what} (after save)`, fn, 15_000);
    }
  };
  const toastText = async (text) => {
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: text }).last();
    await toast.waitFor({ state: 'visible', timeout: 15_000 });
    return (await toast.locator('.notification-list-item-message').first().innerText()).trim();
  };
  const clearToasts = async () => {
    await runCommand('Notifications: Clear All Notifications');
    await sleep(300);
  };
  // One pass of "MiMo: Review Changes": pick the first pending hunk, then Accept / Reject it.
  const reviewFirstHunk = async (pending, action) => {
    log(`F1 -> MiMo: Review Changes (${pending} pending) -> first hunk -> ${action}`);
    await runCommand('MiMo: Review Changes');
    await waitForInputTitled(`MiMo: review ${pending} pending hunk(s)`);
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'calc.py' }).first().waitFor({ state: 'visible', timeout: 15_000 });
    await screenshot(`review-${pending}-pending`);
    await page.keyboard.press('Enter'); // the first (active) hunk
    await page.locator('.quick-input-widget .quick-input-box input[placeholder="Accept or reject this hunk"]').waitFor({ state: 'visible', timeout: 15_000 });
    await quickInputBox.fill(action);
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: action }).first().waitFor({ state: 'visible', timeout: 15_000 });
    await screenshot(`review-${action.toLowerCase()}`);
    await page.keyboard.press('Enter');
  };

  await clearToasts();

  // --- Review Changes: accept the first hunk ----------------------------------------------------
  await reviewFirstHunk(2, 'Accept');
  const accepted = await toastText('MiMo: accepted');
  log(`notification: "${accepted}"`);
  if (accepted !== 'MiMo: accepted 1 hunk(s)') throw new Error(`unexpected accept result: ${accepted}`);
  await waitForInputTitled('MiMo: review 1 pending hunk(s)'); // the review loop goes on with what is left
  await page.keyboard.press('Escape');
  if (!calcText().includes('return a + b') || !calcText().includes('return b * a')) throw new Error(`accept changed calc.py:\n${calcText()}`);
  await clearToasts();

  // --- Review Changes: reject the remaining hunk ------------------------------------------------
  await reviewFirstHunk(1, 'Reject');
  const rejected = await toastText('MiMo: rejected');
  log(`notification: "${rejected}"`);
  if (rejected !== 'MiMo: rejected 1 hunk(s)') throw new Error(`unexpected reject result: ${rejected}`);
  await waitOnDisk('calc.py to say "return a + b" and "return a * b"', () => {
    const t = calcText();
    return t.includes('return a + b') && t.includes('return a * b') && !t.includes('return b * a');
  });
  log('calc.py: first change kept, second reverted');
  await toastText('no pending hunks'); // the loop ends: nothing left to review
  await sleep(600);
  await screenshot('reviewed');
  await clearToasts();

  // --- Checkpoints view: context menu -> Restore the first checkpoint (before any edit) ---------
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
  await screenshot('restore-mode');
  await page.keyboard.press('Enter');
  const restored = await toastText('MiMo: restored');
  log(`notification: "${restored}"`);
  if (restored !== 'MiMo: restored 1 file(s)') throw new Error(`unexpected restore result: ${restored}`);
  await waitOnDisk('calc.py to be the original again', () => calcText() === original);
  log('calc.py restored to the original on disk');
  await sleep(600);
  await screenshot('restored');
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
