"""The initialize result written by hand (server/lsp_wire.py) must be exactly what lsprotocol's converter
writes: same keys, same omissions, same nulls, same enum values."""

from __future__ import annotations

import json

import pytest
from lsprotocol import types
from pygls.protocol import default_converter

from mimo_lsp.server.app import create_server
from mimo_lsp.server.lsp_wire import to_wire

FULL_CLIENT = {
    "general": {"positionEncodings": ["utf-8", "utf-16"]},
    "textDocument": {"inlayHint": {"dynamicRegistration": False}, "codeLens": {}, "codeAction": {}},
    "workspace": {"workspaceFolders": True, "codeLens": {"refreshSupport": True}},
}


def initialize(client_capabilities: dict) -> tuple[dict, types.InitializeResult]:
    """The bytes our server sends for `initialize`, parsed, and the result object they were made from."""
    server = create_server()
    sent: list[bytes] = []

    class Writer:
        def write(self, data: bytes) -> None:
            sent.append(data)

        def close(self) -> None:
            pass

    server.protocol.set_writer(Writer())
    message = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
               "params": {"processId": None, "rootUri": "file:///tmp", "capabilities": client_capabilities}}
    server.protocol.handle_message(server.protocol.structure_message(message))
    body = b"".join(sent).split(b"\r\n\r\n", 1)[1]
    response = json.loads(body)
    result = types.InitializeResult(capabilities=server.server_capabilities, server_info=server.protocol.server_info)
    return response, result


@pytest.mark.parametrize("client", [{}, FULL_CLIENT], ids=["bare client", "full client"])
def test_initialize_response_is_what_the_converter_writes(client: dict) -> None:
    response, result = initialize(client)
    assert response["id"] == 1 and "error" not in response
    assert response["result"] == default_converter().unstructure(result)
    caps = response["result"]["capabilities"]
    assert caps["experimental"]["mimo"]["review"] is True
    assert "mimo.task.start" in caps["executeCommandProvider"]["commands"]
    assert caps["codeLensProvider"] == default_converter().unstructure(result.capabilities.code_lens_provider)


def test_walker_follows_the_converters_rules() -> None:
    conv = default_converter()
    samples = [
        # special property: a None document selector is sent as null, not left out
        types.DocumentFormattingRegistrationOptions(document_selector=None),
        # enums by value, camelCase names, trailing underscore dropped, defaults left out
        types.TextDocumentSyncOptions(open_close=True, change=types.TextDocumentSyncKind.Incremental,
                                      save=types.SaveOptions(include_text=False)),
        types.CompletionOptions(trigger_characters=[".", ":"], resolve_provider=False),
        types.Diagnostic(range=types.Range(start=types.Position(line=1, character=2),
                                           end=types.Position(line=1, character=5)),
                         message="m", severity=types.DiagnosticSeverity.Hint, tags=[types.DiagnosticTag.Unnecessary]),
        types.FileOperationFilter(pattern=types.FileOperationPattern(glob="**/*.py"), scheme="file"),
    ]
    for sample in samples:
        assert to_wire(sample) == conv.unstructure(sample), type(sample).__name__
