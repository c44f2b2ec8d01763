"""Benchmark harnesses that ship with the CLI (`mimo bench ...`). Framework benchmarks, not model evals."""
