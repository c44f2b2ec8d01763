"""A pytest-lsp client against the real `mimo-lsp` process, collecting mimo/task/* notifications."""

from __future__ import annotations

import asyncio
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig
from pytest_lsp.client import LanguageClient, make_test_lsp_client

KINDS = ("plan", "node", "step", "checkpoint", "token", "done", "candidate", "pick")
SERVER_CMD = [sys.executable, "-m", "mimo_lsp.server"]


def _as_dict(value: Any) -> Any:
    """pygls hands unknown notifications over as nested namedtuples; tests compare plain JSON."""
    if hasattr(value, "_fields"):
        return {k: _as_dict(getattr(value, k)) for k in value._fields}
    if isinstance(value, dict):
        return {k: _as_dict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_dict(v) for v in value]
    return value


class MimoTestClient:
    def __init__(self, client: LanguageClient) -> None:
        self.client = client
        self.init_result: types.InitializeResult | None = None
        self.events: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._done: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        for kind in KINDS:
            client.feature(f"mimo/task/{kind}")(self._collector(kind))
        # Confirmations (window/showMessageRequest): answered with `self.answer` ("Yes", "No", "Always",
        # "Never", or None for no answer), each request recorded.
        self.answer: str | None = "Yes"
        self.confirmations: list[str] = []
        def on_confirm(_client: LanguageClient, params: types.ShowMessageRequestParams):
            return self._on_confirm(_client, params)

        client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)(on_confirm)
        self.applied_edits: list[types.ApplyWorkspaceEditParams] = []

        def on_apply_edit(_client: LanguageClient, params: types.ApplyWorkspaceEditParams):
            self.applied_edits.append(params)
            return types.ApplyWorkspaceEditResult(applied=True)

        client.feature(types.WORKSPACE_APPLY_EDIT)(on_apply_edit)

    def _collector(self, kind: str):
        def on_event(_client: LanguageClient, params: Any) -> None:
            event = _as_dict(params)
            event["_method"] = kind
            self.events[event["taskId"]].append(event)
            if kind == "done":
                self._done[event["taskId"]].set()

        return on_event

    def _on_confirm(self, _client: LanguageClient, params: types.ShowMessageRequestParams):
        self.confirmations.append(params.message)
        return None if self.answer is None else types.MessageActionItem(title=self.answer)

    async def command(self, name: str, *args: Any) -> Any:
        return await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=list(args))
        )

    async def wait_done(self, task_id: str, timeout: float = 120) -> dict[str, Any]:
        await asyncio.wait_for(self._done[task_id].wait(), timeout)
        return self.events[task_id][-1]


async def start_client(workspace: Path | None, init_options: dict | None = None, env: dict | None = None,
                       caps: types.ClientCapabilities | None = None) -> MimoTestClient:
    config = ClientServerConfig(server_command=SERVER_CMD, client_factory=make_test_lsp_client, server_env=env)
    client = await config.start()
    wrapper = MimoTestClient(client)
    caps = caps or types.ClientCapabilities(window=types.WindowClientCapabilities(work_done_progress=True))
    folders = [types.WorkspaceFolder(uri=workspace.as_uri(), name="ws")] if workspace else None
    wrapper.init_result = await client.initialize_session(types.InitializeParams(
        capabilities=caps, workspace_folders=folders, initialization_options=init_options,
    ))
    return wrapper


async def stop_client(wrapper: MimoTestClient) -> None:
    await wrapper.client.shutdown_session()
    await wrapper.client.stop()
