#!/usr/bin/env bash
# Installs (npm ci from package-lock.json), type-checks, builds, packages the .vsix and runs the Node tests.
# Exits non-zero on the first failure. MIMO_PYTHON overrides the server's Python (default: <repo>/.venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== npm ci"
npm ci --no-audit --no-fund
echo "== typecheck (tsc --noEmit)"
npx tsc -p . --noEmit
echo "== build (esbuild)"
npm run build
echo "== package (vsce)"
rm -f mimo-lsp.vsix
npm run package
test -s mimo-lsp.vsix
unzip -l mimo-lsp.vsix | grep 'extension/dist/extension.js' >/dev/null  # no -q: an early exit would SIGPIPE unzip under pipefail
ls -l mimo-lsp.vsix
echo "== tests (node --test)"
node --test out/test/
echo "== all passed"
