"""Validate task family files: `python3 benchmarks/long_horizon/validate_family.py [--strict] FILE...`.

The validator lives in mimo_lsp/bench/family.py (stdlib only, so this runs with any python3); this file
is its command-line entry next to the families.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from mimo_lsp.bench.family import apply_step, check_passes, load_family, main, topo_nodes, validate_family  # noqa: E402,F401

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
