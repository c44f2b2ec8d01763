"""What every `mimo` command shares: user errors and how they are reported."""

from __future__ import annotations

import sys

from mimo_lsp.app.errors import USER_ERRORS  # noqa: F401 (the commands catch these)


def fail(error: BaseException | str) -> int:
    if isinstance(error, KeyError) and error.args:
        error = str(error.args[0])
    print(f"error: {error}", file=sys.stderr)
    return 2
