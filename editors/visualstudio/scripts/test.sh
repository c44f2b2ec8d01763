#!/usr/bin/env bash
# Builds the Visual Studio client's core (no Visual Studio types) and its NUnit tests with mono's mcs, then
# runs them with nunit-console against the REAL mimo-lsp server (scripted models). Exits non-zero on any
# failure. The VSIX glue (src/Mimo.VisualStudio) needs Visual Studio 2022 + its SDK: not built here.
#
# Environment:
#   MIMO_PYTHON            the Python that runs the server (default: <repo>/.venv/bin/python)
#   MIMO_PROTOCOL_SCHEMA   the protocol schema for the drift test (default: <repo>/mimo_lsp/protocol/schema.json)
#   NUNIT_ARGS             extra nunit-console arguments (e.g. -run=Mimo.Core.Tests.RestartTests)
# The server runs as `$MIMO_PYTHON -m mimo_lsp.server` with PYTHONPATH = the repository this script is in.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"   # editors/visualstudio
repo="$(cd "$here/../.." && pwd)"
out="$here/build"

packages="mono-mcs libmono-system-runtime-serialization4.0-cil nunit-console libnunit-cil-dev pkgconf"
missing=()
command -v mcs >/dev/null 2>&1 || missing+=("mcs (mono-mcs)")
command -v mono >/dev/null 2>&1 || missing+=("mono (mono-mcs)")
command -v nunit-console >/dev/null 2>&1 || missing+=("nunit-console")
if command -v pkg-config >/dev/null 2>&1; then
  pkg-config --exists nunit 2>/dev/null || missing+=("nunit.pc (libnunit-cil-dev)")
else
  missing+=("pkg-config (pkgconf; mcs -pkg:nunit uses it)")
fi
[ -f /usr/lib/mono/4.5/System.Runtime.Serialization.dll ] || missing+=("System.Runtime.Serialization.dll (libmono-system-runtime-serialization4.0-cil)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "editors/visualstudio/scripts/test.sh: missing: ${missing[*]}" >&2
  echo "install them with: apt-get install -y --no-install-recommends $packages" >&2
  exit 2
fi

export MIMO_PYTHON="${MIMO_PYTHON:-$repo/.venv/bin/python}"
if ! PYTHONPATH="$repo" "$MIMO_PYTHON" -c 'import mimo_lsp.server' >/dev/null 2>&1; then
  echo "editors/visualstudio/scripts/test.sh: $MIMO_PYTHON cannot import mimo_lsp.server (PYTHONPATH=$repo); set MIMO_PYTHON or run scripts/setup.sh" >&2
  exit 2
fi
export PYTHONPATH="$repo${PYTHONPATH:+:$PYTHONPATH}"
export MIMO_REPO="$repo"

mkdir -p "$out"
echo "== build: Mimo.Core.dll"
mcs -langversion:7.2 -target:library -warnaserror -debug -nologo \
  -r:System.Runtime.Serialization -r:System.Core \
  -out:"$out/Mimo.Core.dll" "$here"/src/Mimo.Core/*.cs
echo "== syntax: the VSIX glue (parsed only: it needs the Visual Studio SDK to compile, which is not here)"
mcs --parse -nologo "$here"/src/Mimo.VisualStudio/*.cs "$here"/src/Mimo.VisualStudio/Properties/*.cs
echo "== build: Mimo.Core.Tests.dll"
mcs -langversion:7.2 -target:library -warnaserror -debug -nologo \
  -r:System.Runtime.Serialization -r:System.Core -r:System.Xml -r:"$out/Mimo.Core.dll" -pkg:nunit \
  -out:"$out/Mimo.Core.Tests.dll" "$here"/tests/Mimo.Core.Tests/*.cs

echo "== test: nunit-console (server: $MIMO_PYTHON -m mimo_lsp.server)"
cd "$out"
rc=0
# shellcheck disable=SC2086
nunit-console -nologo -labels -xml="$out/TestResult.xml" ${NUNIT_ARGS:-} "$out/Mimo.Core.Tests.dll" || rc=$?
if [ $rc -ne 0 ]; then
  echo "editors/visualstudio/scripts/test.sh: FAILED (nunit-console exit $rc); results in $out/TestResult.xml" >&2
  exit 1
fi
grep -o 'total="[0-9]*" errors="[0-9]*" failures="[0-9]*" not-run="[0-9]*" inconclusive="[0-9]*" ignored="[0-9]*"' "$out/TestResult.xml" || true
echo "editors/visualstudio/scripts/test.sh: OK"
