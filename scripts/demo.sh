#!/usr/bin/env bash
# Runs the README's main job: `mimo run` on a scratch copy of examples/calculator, shipped model.
set -euo pipefail
cd "$(dirname "$0")/.."
GOAL="${1:-Fix the add function in calc.py so that the tests pass}"
WS="$(mktemp -d "${TMPDIR:-/tmp}/mimo-demo-XXXXXX")/calculator"
cp -r examples/calculator "$WS"
# Max Mode (--max 5): five candidate fixes, each made in its own scratch copy of the tree and checked there
# with the test; checks, then a judge, pick one; it is applied as one checkpoint and the test runs again on
# the real tree. A 135M model cannot drive the JSON tool-call agent, but it can rewrite one function in a
# code block (the small-model format, chosen from the GGUF's parameter count). judge_all: all five are made,
# so the convergence (how many made the same fix) means something. The budgets below apply to the
# long-horizon agent (without --max).
mkdir -p "$WS/.mimo"
cat > "$WS/.mimo/config.toml" <<'TOML'
[agent]
max_plan_nodes = 4
max_steps_per_node = 6
max_task_steps = 24
node_retries = 1
max_replans = 1
goal_rounds = 1
TOML
echo "workspace: $WS"
set +e
# --yes: commands the policy would ask about run (inside the bubblewrap sandbox); denied ones stay denied.
.venv/bin/mimo run --yes --workspace "$WS" --max 5 --max-select judge_all \
  --check "$PWD/.venv/bin/python -m pytest -q -p no:cacheprovider -p no:asyncio" "$GOAL"
rc=$?
set -e
echo "exit code $rc (0 = verified; 1 = the goal was not verified, reported honestly)"
# The demo succeeds when every stage ran and an outcome was reported; a failed goal is a valid result.
[ "$rc" -le 1 ]
