# The two commands of the README. Both run scripts/setup.sh first (idempotent: a second run
# reuses .venv and pip's wheel cache, so llama-cpp-python compiles only once per machine).
VENV ?= .venv
PY := $(VENV)/bin/python
DEMO_GOAL ?= Fix the add function in calc.py so that the tests pass

.PHONY: setup demo test test-fast lint bench

setup:
	@bash scripts/setup.sh

# Main job: a real agent task on the shipped GGUF model, on a scratch copy of examples/calculator.
demo: setup
	@bash scripts/demo.sh "$(DEMO_GOAL)"

# Every test: lint + types, unit, LSP end to end, real model, real index, Neovim client, security suite,
# the Visual Studio and JetBrains clients' cores (mono + NUnit, javac + JUnit, against the real server),
# then the VS Code extension (build, package, Node tests against the real server, then end to end in a real
# VS Code: code-server in headless Chromium driven by playwright-core).
test: setup lint
	@$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)
	@MIMO_PYTHON=$(abspath $(PY)) bash editors/visualstudio/scripts/test.sh
	@MIMO_PYTHON=$(abspath $(PY)) bash editors/jetbrains/scripts/test.sh
	@MIMO_PYTHON=$(abspath $(PY)) bash editors/vscode/scripts/test.sh
	@MIMO_PYTHON=$(abspath $(PY)) bash editors/vscode/scripts/e2e.sh

bench: setup
	@$(PY) benchmarks/initialize_latency.py

# Linter and type checker (part of `make test`).
lint: setup
	@$(PY) -m ruff check mimo_lsp tests benchmarks
	@$(PY) -m mypy

# The fast loop while editing: scripted models only, no shipped GGUF, no sentence-transformers index.
test-fast: setup
	@$(PY) -m pytest -q -p no:cacheprovider -m "not real_model and not real_index" tests/unit tests/lsp tests/security $(PYTEST_ARGS)

