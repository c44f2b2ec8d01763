"""Exports the protocol catalog as one JSON Schema document, checked in as `schema.json` next to this
file; the VS Code, JetBrains and Visual Studio clients are tested against it (no protocol drift).

    python -m mimo_lsp.protocol.schema           # print
    python -m mimo_lsp.protocol.schema --write   # rewrite mimo_lsp/protocol/schema.json

Shape: {"version", "commands": {name: {"params": Def, "result": Def}}, "notifications": {method: Def},
"definitions": {Def: JSON Schema with camelCase properties; refs "#/definitions/X"}}.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic.json_schema import models_json_schema

from mimo_lsp.protocol.catalog import COMMAND_TYPES, NOTIFICATION_TYPES

SCHEMA_PATH = Path(__file__).with_name("schema.json")
VERSION = 1


def export() -> dict[str, Any]:
    models = {m for pair in COMMAND_TYPES.values() for m in pair} | set(NOTIFICATION_TYPES.values())
    ordered = sorted(models, key=lambda m: m.__name__)
    _, top = models_json_schema([(m, "serialization") for m in ordered], by_alias=True,
                                ref_template="#/definitions/{model}")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "mimo-lsp custom protocol",
        "version": VERSION,
        "commands": {name: {"params": p.__name__, "result": r.__name__} for name, (p, r) in
                     sorted(COMMAND_TYPES.items())},
        "notifications": {method: m.__name__ for method, m in sorted(NOTIFICATION_TYPES.items())},
        "definitions": dict(sorted(top.get("$defs", {}).items())),
    }


def render() -> str:
    return json.dumps(export(), indent=1, sort_keys=False) + "\n"


if __name__ == "__main__":
    if "--write" in sys.argv[1:]:
        SCHEMA_PATH.write_text(render(), encoding="utf-8")
        print(f"wrote {SCHEMA_PATH}")
    else:
        sys.stdout.write(render())
