"""Custom LSP commands and notifications of mimo-lsp: names and payloads, the single source.

docs/protocol.md documents each of them; editor clients follow these names. Wire format: camelCase
keys (pydantic aliases); tool-call arguments inside events are passed through as the model wrote them.

Commands (client -> server, `workspace/executeCommand`, `arguments: [PARAMS]`):
  mimo.task.start   TaskStartParams  -> TaskStartResult   start a task; progress streams as notifications
  mimo.task.cancel  TaskRefParams    -> TaskCancelResult  stop a running task (its recorded steps stay)
  mimo.task.status  TaskStatusParams -> TaskStatusResult  one task (taskId) or all tasks of this server
  mimo.task.events  TaskEventsParams -> TaskEventsResult  replay a task's notifications after `afterSeq`
  mimo.index.search IndexSearchParams -> IndexSearchResult semantic search over the workspace index

Notifications (server -> client), params always {taskId, seq, kind, ...}; seq increases by 1 per task:
  mimo/task/plan        {nodes: [{id, title, dependsOn, expectedOutput}], attempt}
  mimo/task/node        {nodeId, status: running|done|failed|skipped, detail}
  mimo/task/step        {nodeId, step, thought, tool, args, observation, ok}
  mimo/task/checkpoint  {checkpointId, nodeId, step, files, diff}   (unified diff of that step)
  mimo/task/token       {text, purpose}                              (model output as it streams)
  mimo/task/done        {outcome: verified|failed|unverified|cancelled, reason, diff, check, steps, checkpoints}
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

CMD_TASK_START = "mimo.task.start"
CMD_TASK_CANCEL = "mimo.task.cancel"
CMD_TASK_STATUS = "mimo.task.status"
CMD_TASK_EVENTS = "mimo.task.events"
CMD_INDEX_SEARCH = "mimo.index.search"
COMMANDS = (CMD_TASK_START, CMD_TASK_CANCEL, CMD_TASK_STATUS, CMD_TASK_EVENTS, CMD_INDEX_SEARCH)

NOTIFY_PREFIX = "mimo/task/"  # + event kind: plan, node, step, checkpoint, token, done


class Wire(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    def wire(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json")


class TaskStartParams(Wire):
    goal: str = Field(min_length=1, max_length=20000)
    workspace: str | None = Field(None, description="absolute path; default: the first workspace folder")
    check: str | None = Field(None, description="acceptance command that must exit 0, e.g. 'pytest -q'")
    model: str | None = Field(None, description="GGUF path, manifest name or scripted:FILE.json")


class TaskStartResult(Wire):
    task_id: str
    model: str


class TaskRefParams(Wire):
    task_id: str


class TaskCancelResult(Wire):
    task_id: str
    cancelled: bool
    status: str


class TaskStatusParams(Wire):
    task_id: str | None = None


class TaskInfo(Wire):
    task_id: str
    goal: str
    workspace: str
    status: str
    outcome: str | None = None
    reason: str | None = None
    steps: int = 0
    last_seq: int = 0


class TaskStatusResult(Wire):
    tasks: list[TaskInfo]


class TaskEventsParams(Wire):
    task_id: str
    after_seq: int = Field(0, ge=0)


class TaskEventsResult(Wire):
    events: list[dict[str, Any]]


class IndexSearchParams(Wire):
    query: str = Field(min_length=1, max_length=2000)
    k: int = Field(10, ge=1, le=100)
    workspace: str | None = None


class IndexSearchHit(Wire):
    path: str
    start_line: int
    end_line: int
    symbol: str | None
    kind: str
    score: float
    snippet: str


class IndexSearchResult(Wire):
    hits: list[IndexSearchHit]


def camelize(value: Any, keep: frozenset[str] = frozenset({"args"})) -> Any:
    """snake_case keys -> camelCase, recursively; values under `keep` keys are data and stay as they are."""
    if isinstance(value, dict):
        return {to_camel(k): (v if k in keep else camelize(v, keep)) for k, v in value.items()}
    if isinstance(value, list):
        return [camelize(v, keep) for v in value]
    return value
