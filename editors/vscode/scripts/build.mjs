// Bundles the extension into dist/extension.js and each test into out/test/*.test.js.
import { build } from 'esbuild';
import { readdirSync } from 'node:fs';

await build({
  entryPoints: ['src/extension.ts'],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  outfile: 'dist/extension.js',
  sourcemap: false,
  minify: true,
  logLevel: 'warning',
});

const tests = readdirSync('test').filter((f) => f.endsWith('.test.ts')).map((f) => `test/${f}`);
await build({
  entryPoints: tests,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outdir: 'out/test',
  logLevel: 'warning',
});
console.log(`built dist/extension.js and ${tests.length} test file(s)`);
