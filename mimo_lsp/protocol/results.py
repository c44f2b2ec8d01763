"""The wire shape of command results that carry core data (checkpoints, review, audit, lessons),
declared here once. Built with `from_core`, which fails loudly when a core model drifts from them."""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import Field

from mimo_lsp.protocol.payloads import Wire

W = TypeVar("W", bound=Wire)


def from_core(model: type[W], value: Any) -> W:
    data = value.model_dump(mode="json") if hasattr(value, "model_dump") else value
    return model.model_validate(data)


class CheckpointInfo(Wire):
    id: int
    step: int
    node_id: str
    tool: str
    args: dict[str, Any]
    state: str
    ok: bool | None
    abandoned: bool
    files: list[str]
    created: float


class CheckpointListResult(Wire):
    checkpoints: list[CheckpointInfo]


class Conflict(Wire):
    path: str
    reason: str


class RestoreReport(Wire):
    task_id: str
    checkpoint_id: int
    mode: Literal["files", "task", "both"]
    restored: list[str] = Field(default_factory=list)
    conflicts: list[Conflict] = Field(default_factory=list)
    not_captured: list[str] = Field(default_factory=list)
    action_id: int | None = None


class CheckpointStats(Wire):
    data_dir: str
    tasks: int
    checkpoints: int
    blobs: int
    blob_bytes: int
    journal_bytes: int
    total_bytes: int
    cap_bytes: int


class GcReport(Wire):
    deleted_tasks: list[str]
    deleted_blobs: int
    freed_bytes: int
    stats: CheckpointStats


class Verification(Wire):
    ok: bool
    records: int
    head: str
    problem: str | None = None


class AuditResult(Wire):
    records: list[dict[str, Any]] = Field(description="{seq, ts, layer, event, data, prev, hash}, as written")
    verification: Verification


class Hunk(Wire):
    id: str
    old_start: int
    old_lines: int
    new_start: int
    new_lines: int
    old: list[str]
    new: list[str]
    header: str
    state: Literal["pending", "accepted", "rejected"] = "pending"
    current_line: int | None = Field(None, description="0-based line of the hunk now (buffer, else disk)")


class FileReview(Wire):
    path: str
    status: Literal["added", "modified", "deleted", "binary"]
    hunks: list[Hunk]
    modified_since: bool = False


class ReviewGetResult(Wire):
    files: list[FileReview]


class ReviewConflict(Wire):
    hunk_id: str
    path: str
    reason: str


class BufferEdit(Wire):
    path: str
    text: str


class ReviewDecision(Wire):
    task_id: str
    verdict: Literal["accept", "reject"]
    decided: list[str] = Field(default_factory=list)
    conflicts: list[ReviewConflict] = Field(default_factory=list)
    buffer_edits: list[BufferEdit] = Field(default_factory=list)
    action_id: int | None = None


class LooseningSetting(Wire):
    key: str = Field(description="dotted settings path, e.g. safety.sandbox.network")
    value: Any
    why: str


class TrustResult(Wire):
    workspace: str
    config: str
    trusted: bool = Field(description="the loosening settings apply (the user trusted exactly these)")
    digest: str = ""
    loosening: list[LooseningSetting] = Field(default_factory=list, description="what loosens, trusted or not")
    ignored: list[LooseningSetting] = Field(default_factory=list, description="what is ignored now")


class Lesson(Wire):
    id: int
    task_id: str
    text: str
    created: float


class LessonsResult(Wire):
    lessons: list[Lesson]


class CandidateFile(Wire):
    path: str
    status: Literal["modified", "added", "deleted"]
    bytes: int = Field(description="size of the candidate's version (0: deleted)")


class CandidateInfo(Wire):
    id: int
    round: int
    temperature: float
    outcome: str = Field(description="passed | failed | no_change | error")
    checks_passed: bool
    tokens: int
    seconds: float
    summary: str
    picked: bool
    convergence: Literal["picked", "same", "different", "none"] = Field(
        description="same: the pick's change, whitespace ignored; none: changed nothing")
    kept: bool = Field(description="its files were kept (false: over the size limit; it cannot be shown or applied)")
    files: list[CandidateFile]
    diff: str = Field(description="unified diff against the tree the candidates started from")


class CandidatesResult(Wire):
    task_id: str
    picked: int | None
    reason: str
    convergence: float
    judged: bool
    format: str
    candidates: list[CandidateInfo]


class CandidateFileResult(Wire):
    task_id: str
    candidate_id: int
    path: str
    status: Literal["modified", "added", "deleted"]
    content: str | None = Field(description="the candidate's text of the file; null: the candidate deletes it")


class ApplyCandidateResult(Wire):
    task_id: str
    candidate_id: int
    checkpoint_id: int = Field(description="the apply_files checkpoint (restore the one before it to undo)")
    files: list[str]
