#!/usr/bin/env bash
# Compiles the JetBrains client's core (editors/jetbrains/core, Java 17 + gson) and its JUnit 4 tests with
# plain javac, and runs them; the server tests start the REAL mimo-lsp server with scripted models.
#   MIMO_PYTHON            the Python that runs the server (default <repo>/.venv/bin/python); the server code
#                          comes from this repository (PYTHONPATH=<repo>)
#   MIMO_PROTOCOL_SCHEMA   the protocol's JSON Schema (default <repo>/mimo_lsp/protocol/schema.json)
#   MIMO_TESTS             test classes to run (default: all)
# Exit status: non-zero on any compile error or failed test.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"   # editors/jetbrains
REPO="$(cd "$HERE/../.." && pwd)"
JAVA_DIR="${MIMO_JAVA_DIR:-/usr/share/java}"   # where Debian puts gson.jar, junit4.jar, hamcrest-core.jar
GSON="$JAVA_DIR/gson.jar"
JUNIT="$JAVA_DIR/junit4.jar"
HAMCREST="$JAVA_DIR/hamcrest-core.jar"

missing=()
command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
[ -f "$GSON" ] || missing+=(libgoogle-gson-java)
{ [ -f "$JUNIT" ] && [ -f "$HAMCREST" ]; } || missing+=(junit4)
if [ ${#missing[@]} -gt 0 ]; then
  echo "editors/jetbrains/scripts/test.sh: missing Debian packages: ${missing[*]}" >&2
  echo "install them with: apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 2
fi
if ! javac --release 17 -version >/dev/null 2>&1; then
  echo "editors/jetbrains/scripts/test.sh: javac cannot target Java 17 ($(javac -version 2>&1)); install openjdk-17-jdk-headless" >&2
  exit 2
fi

export MIMO_PYTHON="${MIMO_PYTHON:-$REPO/.venv/bin/python}"
export MIMO_REPO="$REPO"
export MIMO_PROTOCOL_SCHEMA="${MIMO_PROTOCOL_SCHEMA:-$REPO/mimo_lsp/protocol/schema.json}"
if [ ! -x "$MIMO_PYTHON" ]; then
  echo "editors/jetbrains/scripts/test.sh: no Python at $MIMO_PYTHON (set MIMO_PYTHON to the interpreter with mimo_lsp's dependencies)" >&2
  exit 2
fi

OUT="$(mktemp -d "${TMPDIR:-/tmp}/mimo-jb-test.XXXXXX")"
trap 'rm -rf "$OUT"' EXIT
CP="$OUT/classes:$GSON:$JUNIT:$HAMCREST"

echo "== javac (core + tests) -> $OUT/classes"
mkdir -p "$OUT/classes"
find "$HERE/core/src/main/java" "$HERE/core/src/test/java" -name '*.java' > "$OUT/sources.txt"
javac --release 17 -Xlint:all -Werror -encoding UTF-8 -d "$OUT/classes" -cp "$GSON:$JUNIT:$HAMCREST" @"$OUT/sources.txt"

if [ -n "${MIMO_TESTS:-}" ]; then
  read -r -a TESTS <<< "$MIMO_TESTS"
else
  TESTS=()
  while IFS= read -r f; do
    rel="${f#"$HERE/core/src/test/java/"}"
    TESTS+=("$(echo "${rel%.java}" | tr / .)")
  done < <(find "$HERE/core/src/test/java" -name '*Test.java' | sort)
fi

echo "== JUnit: ${TESTS[*]}"
echo "   server: $MIMO_PYTHON -m mimo_lsp.server (PYTHONPATH=$REPO)"
cd "$OUT"
PYTHONPATH="$REPO" java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp "$CP" org.junit.runner.JUnitCore "${TESTS[@]}"
