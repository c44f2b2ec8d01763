#!/usr/bin/env bash
# End-to-end test of the extension in a real VS Code: code-server 4.100.3 in headless Chromium, driven by
# playwright-core (e2e/run.mjs). Builds the .vsix if missing, installs code-server into .e2e-cache/ if
# missing (../../shared/tools/install-code-server.sh; needs root for apt-get the first time), then runs the
# test (stages in e2e/run.mjs, the last on the shipped GGUF model). Screenshots and code-server.log land in
# e2e/artifacts/. Exits non-zero on failure.
# Env: MIMO_PYTHON (default <repo>/.venv/bin/python), E2E_REBUILD=1 rebuilds the .vsix, E2E_KEEP=1 keeps the temp dir,
# E2E_REAL_MODEL=0 skips the shipped-model stage.
set -euo pipefail
cd "$(dirname "$0")/.."
EXT=$(pwd)
REPO=$(cd ../.. && pwd)
CACHE="$EXT/.e2e-cache"
export CODE_SERVER="$CACHE/code-server/node_modules/.bin/code-server"
export MIMO_PYTHON=${MIMO_PYTHON:-$REPO/.venv/bin/python}

if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/esbuild ]; then
  echo "== npm ci"
  npm ci --no-audit --no-fund
fi
if [ ! -s mimo-lsp.vsix ] || [ -n "${E2E_REBUILD:-}" ]; then
  echo "== build + package"
  npm run build
  rm -f mimo-lsp.vsix
  npm run package
fi
echo "== code-server (cache: $CACHE/code-server)"
INSTALLER=${INSTALL_CODE_SERVER:-$REPO/../shared/tools/install-code-server.sh}
[ -f "$INSTALLER" ] || INSTALLER=/work/shared/tools/install-code-server.sh
bash "$INSTALLER" "$CACHE/code-server"
"$CODE_SERVER" --version | head -1
echo "== e2e (e2e/run.mjs)"
node e2e/run.mjs
