"""Pydantic payloads of the custom commands (camelCase on the wire). Names: mimo_lsp.protocol."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class Wire(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    def wire(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json")


class FileCriterion(Wire):
    path: str = Field(min_length=1)
    exists: bool | None = None
    contains: str | None = None
    not_contains: str | None = None
    matches: str | None = None


class CriteriaParams(Wire):
    """Completion criteria, checked independently before the task may claim success."""

    commands: list[str] = Field(default_factory=list, description="each must exit 0")
    files: list[FileCriterion] = Field(default_factory=list, description="file predicates")
    criterion: str | None = Field(None, description="natural-language criterion for the judge model")


class MaxModeParams(Wire):
    n: int = Field(5, ge=1, le=16, description="candidates per round")
    selection: Literal["first_pass", "judge_all"] | None = None
    format: Literal["auto", "function", "agent"] | None = None


class TaskStartParams(Wire):
    goal: str = Field(min_length=1, max_length=20000)
    workspace: str | None = Field(None, description="absolute path; default: the first workspace folder")
    check: str | None = Field(None, description="acceptance command that must exit 0, e.g. 'pytest -q'")
    criteria: CriteriaParams | None = Field(None, description="completion criteria (in addition to `check`)")
    model: str | None = Field(None, description="GGUF path, manifest name or scripted:FILE.json")
    max_mode: MaxModeParams | None = Field(None, description="run as Max Mode: N checked candidates, one picked")


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
    workspace: str | None = Field(None, description="also list this workspace's journaled tasks (default: first folder)")


class TaskResumeParams(Wire):
    task_id: str
    workspace: str | None = None
    model: str | None = Field(None, description="override the model the task started with")


class WorkspaceParams(Wire):
    workspace: str | None = None


class CheckpointListParams(Wire):
    task_id: str
    workspace: str | None = None


class CheckpointDiffParams(Wire):
    task_id: str
    from_checkpoint: int = Field(0, ge=0, description="0 = task start")
    to_checkpoint: int | None = Field(None, ge=1, description="None = the working tree")
    workspace: str | None = None


class CheckpointDiffResult(Wire):
    diff: str


class CheckpointRestoreParams(Wire):
    task_id: str
    checkpoint_id: int = Field(ge=0, description="0 = task start")
    mode: Literal["files", "task", "both"] = "both"
    workspace: str | None = None


class ReviewDecideParams(Wire):
    task_id: str
    path: str | None = Field(None, description="only this file's hunks")
    hunk_ids: list[str] | None = Field(None, description="only these hunks")
    workspace: str | None = None


class TrustSetParams(Wire):
    workspace: str | None = None
    trust: bool = Field(description="true: trust exactly the current loosening settings; false: revoke")


class CheckpointGcParams(Wire):
    workspace: str | None = None
    keep_days: float | None = Field(None, ge=0)


class TaskCandidatesParams(Wire):
    task_id: str
    workspace: str | None = None


class CandidateFileParams(Wire):
    task_id: str
    candidate_id: int = Field(ge=1)
    path: str = Field(min_length=1, description="workspace-relative, as listed in the candidate's files")
    workspace: str | None = None


class ApplyCandidateParams(Wire):
    task_id: str
    candidate_id: int = Field(ge=1)
    workspace: str | None = None


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
    workspace: str | None = None  # where to look for an earlier server's event log


class TaskEventsResult(Wire):
    events: list[dict[str, Any]] = Field(description="notification params (see the notifications), in seq order")


class IndexSearchFilters(Wire):
    language: list[str] | str | None = Field(None, description="python, typescript, go, ... (any of)")
    path: str | None = Field(None, description="glob on the workspace-relative path; * crosses /")
    kind: list[str] | str | None = Field(None, description="function, method, class, module, text, ... (any of)")


class IndexSearchParams(Wire):
    query: str = Field(min_length=1, max_length=2000)
    k: int = Field(10, ge=1, le=100)
    workspace: str | None = None
    filters: IndexSearchFilters | None = None
    mode: Literal["hybrid", "vector", "lexical"] = "hybrid"
    fusion: Literal["combsum", "rrf"] = "combsum"


class IndexSearchHit(Wire):
    path: str
    start_line: int
    end_line: int
    symbol: str | None
    kind: str
    language: str
    score: float
    snippet: str


class IndexSearchResult(Wire):
    hits: list[IndexSearchHit]


class IndexStatusParams(Wire):
    workspace: str | None = None


class IndexStatusResult(Wire):
    files: int
    chunks: int
    pending: int  # chunks not embedded yet (+ files queued for re-indexing)
    embedded: int
    errors: int
    error_list: list[str]
    embed_failures: int
    last_embed_error: str | None
    unsaved_buffers: int
    last_update: str | None
    indexing: bool  # the background indexer is running and not idle
    data_dir: str
    embedder: str


def camelize(value: Any, keep: frozenset[str] = frozenset({"args"})) -> Any:
    """snake_case keys -> camelCase, recursively; values under `keep` keys are data and stay as they are."""
    if isinstance(value, dict):
        return {to_camel(k): (v if k in keep else camelize(v, keep)) for k, v in value.items()}
    if isinstance(value, list):
        return [camelize(v, keep) for v in value]
    return value
