"""Per-workspace services for the CLI and the server: checkpoints (list, diff, restore, review, gc) with
the workspace's configured limits, the journaled task list, audit trails and lessons."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mimo_lsp.checkpoints.service import CheckpointService
from mimo_lsp.config import CheckpointSettings, Settings, load_settings
from mimo_lsp.safety.audit import Verification
from mimo_lsp.safety.trust import TrustReport, set_trust
from mimo_lsp.workspace import existing_state_dir


class NothingRecorded(KeyError):
    """The workspace has no journal (no task ever ran there)."""


def open_checkpoints(workspace: Path, limits: CheckpointSettings) -> CheckpointService:
    return CheckpointService(workspace, max_blob_bytes=limits.max_blob_bytes, cap_bytes=limits.max_workspace_bytes,
                             fsync=limits.fsync)


@dataclass
class AuditReport:
    records: list[dict[str, Any]]
    verification: Verification
    path: Path


class WorkspaceServices:
    """`overrides`: the explicit settings layer (flags, initializationOptions), applied to every workspace."""

    def __init__(self, overrides: dict[str, Any] | None = None) -> None:
        self.overrides = overrides or {}

    def settings(self, workspace: Path) -> Settings:
        return load_settings(workspace, self.overrides).settings

    def trust(self, workspace: Path, decision: bool | None = None) -> TrustReport:
        """The workspace config's loosening settings and whether they are trusted; `decision` True trusts
        exactly the current ones (a later change needs trust again), False revokes."""
        workspace = workspace.expanduser()
        if not workspace.is_dir():
            raise FileNotFoundError(f"workspace is not a directory: {workspace}")
        report = load_settings(workspace, self.overrides).trust or TrustReport(
            workspace=str(workspace), config=str(workspace / ".mimo" / "config.toml"))
        if decision is None:
            return report
        if decision and any(i.key == "(the whole file)" for i in report.loosening):
            raise ValueError(f"{report.config} is a symlink or lies outside the workspace: it cannot be trusted")
        set_trust(workspace, report.digest if decision else None)
        return load_settings(workspace, self.overrides).trust or report

    def checkpoints(self, workspace: Path, must_exist: bool = True) -> CheckpointService:
        """Use as a context manager. `must_exist`: a workspace without a journal is an error, not created."""
        workspace = workspace.expanduser()
        if not workspace.is_dir():
            raise FileNotFoundError(f"workspace is not a directory: {workspace}")
        if must_exist and existing_state_dir(workspace.resolve()) is None:
            raise NothingRecorded(f"no tasks recorded in {workspace}")
        return open_checkpoints(workspace, self.settings(workspace).checkpoints)

    def journaled_tasks(self, workspace: Path) -> list[dict[str, Any]]:
        """Tasks known from the journal (a dead task's `running` reads `interrupted`); [] without one."""
        try:
            with self.checkpoints(workspace) as svc:
                return svc.tasks()
        except (NothingRecorded, FileNotFoundError):
            return []

    def audit(self, workspace: Path, task_id: str) -> AuditReport:
        """A task's hash-chained audit trail, verified against the head anchored in the journal."""
        from mimo_lsp.safety.audit import audit_path, read_records, verify

        with self.checkpoints(workspace) as svc:
            row = svc.journal.task(task_id)
            if row is None:
                raise KeyError(f"unknown task id: {task_id}")
            path = audit_path(svc.data_dir, task_id)
            return AuditReport(read_records(path)[0], verify(path, row.get("audit_head"), row.get("audit_count")),
                               path)

    def lessons(self, workspace: Path, query: str | None = None, k: int = 10) -> list[Any]:
        """Lessons distilled from earlier tasks (all, or the k closest to `query`)."""
        from mimo_lsp.agent.lessons import list_lessons
        from mimo_lsp.agent.memory import MemoryStore

        data = existing_state_dir(workspace.expanduser().resolve())
        if data is None or not (data / "memory.sqlite").exists():
            return []
        store = MemoryStore(data, "hashing")
        try:
            return store.search(query, k, ("lesson",)) if query else list_lessons(store)
        finally:
            store.close()
