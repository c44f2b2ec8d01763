"""Tool actions as pydantic models (their JSON schema constrains the model), their context and result.

No tool code here: `registry` dispatches to `files` and `shell`, which import only this module."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Callable, Literal, Optional, Union

from pydantic import BaseModel, Field


class ReadFile(BaseModel):
    tool: Literal["read_file"]
    path: str
    start_line: int = Field(1, ge=1)
    end_line: int = Field(0, ge=0, description="0 = to the end")


class ListFiles(BaseModel):
    tool: Literal["list_files"]
    path: str = "."


class SearchCode(BaseModel):
    tool: Literal["search_code"]
    query: str
    k: int = Field(5, ge=1, le=20)


class WriteFile(BaseModel):
    tool: Literal["write_file"]
    path: str
    content: str


class EditFile(BaseModel):
    tool: Literal["edit_file"]
    path: str
    search: str = Field(description="exact text to find; must occur exactly once")
    replace: str


class RunCommand(BaseModel):
    tool: Literal["run_command"]
    command: str
    timeout_s: float = Field(60.0, gt=0, le=3600)


class Finish(BaseModel):
    tool: Literal["finish"]
    summary: str


class ApplyFiles(BaseModel):
    """Max Mode's pick applied to the real tree: new contents (None: delete). Never offered to the model."""

    tool: Literal["apply_files"]
    files: dict[str, Optional[str]]
    # sha256 of each file when the candidates were made (None: it did not exist): a file changed since
    # (the user's edit) is never overwritten.
    base: dict[str, Optional[str]] = {}
    candidate: int = 0


AgentAction = Annotated[
    Union[ReadFile, ListFiles, SearchCode, WriteFile, EditFile, RunCommand, Finish], Field(discriminator="tool")
]
TOOL_NAMES = ("read_file", "list_files", "search_code", "write_file", "edit_file", "run_command", "finish")


class AgentStep(BaseModel):
    """One ReAct step as the model must emit it."""

    thought: str = Field(description="one or two sentences: why this action")
    action: AgentAction


class ToolResult(BaseModel):
    ok: bool
    output: str  # what the model sees: long output cut in the middle
    full_output: str | None = None  # the whole output when `output` was cut (journaled as a blob)
    exit_code: int | None = None  # run_command: the command's exit status (None: killed, or not a command)


class ToolError(Exception):
    """An action that cannot be carried out; the message becomes the observation."""


SearchFn = Callable[[str, int], list[dict[str, Any]]]
# Returns a reason when the path must not be written now (e.g. an unsaved editor buffer), else None.
BufferGuard = Callable[[Path], "str | None"]


@dataclass
class ToolContext:
    workspace: Path
    command_timeout_s: float = 120.0
    observation_chars: int = 4000
    output_cap_chars: int = 2_000_000  # a command's whole output kept for the journal, at most
    group_file: Path | None = None  # where a running command's process group is recorded (crash cleanup)
    sandbox: Any = None  # mimo_lsp.safety.sandbox.Sandbox; None = unconfined (tests of the tools alone)
    # Content hash of each file when the model last read it: a write is refused if it changed since.
    read_hashes: dict[str, str] = field(default_factory=dict)
    search: SearchFn | None = None
    buffer_guard: BufferGuard | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    last_exit_code: int | None = None  # set by run_command, read into its ToolResult
    # The open editor buffer's text (None: not open), and the versions of each file this task read or wrote:
    # a buffer holding one of them is stale, not the user's edit (files._stale_copy_of_ours).
    buffer_text: Callable[[Path], "str | None"] | None = None
    seen_versions: dict[str, set[str]] = field(default_factory=dict)


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = text[: limit * 2 // 3]
    tail = text[-(limit // 3) :]
    return f"{head}\n... [{len(text) - len(head) - len(tail)} chars cut] ...\n{tail}"
