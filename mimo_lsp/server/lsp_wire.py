"""lsprotocol objects -> JSON-ready values, written out by hand for the `initialize` result.

pygls serialises every message with lsprotocol's cattrs converter, which generates and compiles one
unstructure function per class the first time it meets it. For the initialize result that is every
capability class the server advertises: ~20 ms of a cold start spent writing code that runs once
(benchmarks/initialize_latency.py). This walker follows the converter's rules instead of compiling them:
field names in camelCase (a trailing `_` dropped), a field equal to its default left out unless lsprotocol
marks it special (then even None is sent), enums by value. tests/unit/test_lsp_wire.py checks that it
gives exactly what the converter gives.
"""

from __future__ import annotations

import enum
from typing import Any

import attrs
from lsprotocol import types

def _camel(name: str) -> str:
    parts = name.removesuffix("_").split("_")
    return parts[0] + "".join(p.title() for p in parts[1:])


def _default(field: attrs.Attribute) -> Any:
    d: Any = field.default
    return d.factory() if isinstance(d, attrs.Factory) else d  # type: ignore[arg-type]  # no takes_self in lsprotocol


def to_wire(value: Any) -> Any:
    """What lsprotocol's converter would unstructure `value` to, for the types the initialize result uses."""
    cls = type(value)
    if attrs.has(cls):
        out: dict[str, Any] = {}
        for field in attrs.fields(cls):
            v = getattr(value, field.name)
            if field.default is not attrs.NOTHING and v == _default(field) \
                    and not types.is_special_property(cls, field.name):
                continue
            out[_camel(field.name)] = to_wire(v)
        return out
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [to_wire(v) for v in value]
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    return value


def converter() -> Any:
    """pygls' default converter, writing InitializeResult values with `to_wire` (cattrs' hook API)."""
    from pygls.protocol import default_converter

    conv = default_converter()
    # ServerCapabilities: pygls dumps it for a debug log line at every initialize, log level or not; the
    # option classes: pygls unstructures each feature's options once at registration, to type-check them.
    for cls in (types.InitializeResult, types.ServerCapabilities, types.CodeLensOptions, types.CodeActionOptions,
                types.InlayHintOptions):
        conv.register_unstructure_hook(cls, to_wire)
    return conv
