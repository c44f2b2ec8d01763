// Loads the bundled dist/extension.js with a stub `vscode` module and checks that activate() registers
// every command that package.json contributes, plus the two views, the diff document provider and the
// inline-review CodeLens provider.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import Module from 'node:module';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const ROOT = resolve(__dirname, '..', '..');

type Log = { commands: string[]; views: string[]; schemes: string[]; codeLens: unknown[] };

function stubVscode(log: Log): unknown {
  const handler: ProxyHandler<any> = {
    get(target, prop) {
      if (prop === 'then') return undefined;
      if (prop === Symbol.toPrimitive) return () => 'stub';
      if (!(prop in target)) target[prop] = deep();
      return target[prop];
    },
    apply() {
      return deep();
    },
    construct() {
      return deep();
    },
  };
  const deep = (): any => new Proxy(function () {}, handler);
  const vs = deep();
  // esbuild's ESM interop copies only the module's own keys: create the ones the extension imports
  for (const k of ['EventEmitter', 'Disposable', 'TreeItem', 'TreeItemCollapsibleState', 'ThemeIcon', 'Uri', 'Range',
    'StatusBarAlignment', 'ProgressLocation', 'window', 'workspace', 'commands', 'languages', 'OverviewRulerLane', 'ThemeColor',
    'CodeLens', 'TextEditorRevealType', 'MarkdownString']) void vs[k];
  vs.commands.registerCommand = (name: string) => {
    log.commands.push(name);
    return { dispose() {} };
  };
  vs.window.registerTreeDataProvider = (id: string) => {
    log.views.push(id);
    return { dispose() {} };
  };
  vs.window.createStatusBarItem = () => ({ show() {}, hide() {}, dispose() {} });
  vs.languages.registerCodeLensProvider = (selector: unknown) => {
    log.codeLens.push(selector);
    return { dispose() {} };
  };
  vs.workspace.registerTextDocumentContentProvider = (scheme: string) => {
    log.schemes.push(scheme);
    return { dispose() {} };
  };
  return vs;
}

test('activate registers every contributed command, both views and the inline-review CodeLens provider', () => {
  const log: Log = { commands: [], views: [], schemes: [], codeLens: [] };
  const vs = stubVscode(log);
  const M = Module as any;
  const orig = M._load;
  M._load = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? vs : orig.call(this, request, ...rest);
  };
  try {
    const ext = require(join(ROOT, 'dist', 'extension.js'));
    const memento = { get: () => undefined, update: async () => {} };
    ext.activate({ subscriptions: [], workspaceState: memento });
  } finally {
    M._load = orig;
  }
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const contributed: string[] = pkg.contributes.commands.map((c: { command: string }) => c.command).sort();
  assert.deepEqual([...log.commands].sort(), contributed);
  assert.deepEqual(log.views.sort(), pkg.contributes.views.mimo.map((v: { id: string }) => v.id).sort());
  assert.deepEqual(log.schemes, ['mimo-diff', 'mimo-candidate']);
  assert.deepEqual(log.codeLens, [{ scheme: 'file' }]);
  // Palette commands activate the extension; the ones only views and CodeLenses call are hidden there.
  const hidden = new Set(pkg.contributes.menus.commandPalette.filter((m: { when: string }) => m.when === 'false').map((m: { command: string }) => m.command));
  const activation: string[] = pkg.activationEvents;
  for (const c of contributed.filter((c) => !hidden.has(c))) assert.ok(activation.includes(`onCommand:${c}`), c);
  for (const c of pkg.contributes.commands) assert.equal(c.category, 'MiMo');
  // Max Mode is offered only when the server advertises it.
  assert.deepEqual(pkg.contributes.menus.commandPalette.find((m: { command: string }) => m.command === 'mimo.startTaskMaxMode'), {
    command: 'mimo.startTaskMaxMode',
    when: 'mimo.maxModeSupported',
  });
});
