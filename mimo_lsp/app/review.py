"""Review through standard LSP, the editor-independent part: which agent hunks are pending in a
document, where they are now, and what an editor offers on them (code lenses, code actions, what a
hunk replaced). The server turns these into lsprotocol types; any LSP client renders them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from mimo_lsp.app.workspace import NothingRecorded, WorkspaceServices
from mimo_lsp.checkpoints.review import FileReview, Hunk

ACCEPT, REJECT = "mimo.review.accept", "mimo.review.reject"
TASK_START = "mimo.task.start"
RECENT_TASKS = 8  # newest finished tasks looked at for pending hunks in a document
TODO = re.compile(r"\b(TODO|FIXME)\b[:\s-]*(?P<text>.+?)\s*(\*/|-->)?\s*$")


@dataclass
class Action:
    """An editor action: a title and the mimo command (with its one argument object) it runs."""

    title: str
    command: str
    args: dict[str, Any]
    line: int  # 0-based line it belongs on
    kind: str = "hunk"  # hunk | file | task | goal
    preferred: bool = False


@dataclass
class DocumentReview:
    task_id: str
    workspace: Path
    file: FileReview
    pending: list[Hunk] = field(default_factory=list)  # pending hunks whose lines were found

    def span(self, h: Hunk) -> tuple[int, int]:
        """0-based first line and line after the hunk's new lines, where they are now."""
        assert h.current_line is not None
        return h.current_line, h.current_line + max(1, h.new_lines)


def document_review(services: WorkspaceServices, workspace: Path, rel: str,
                    open_text: Callable[[str], str | None], running: Callable[[str], bool]) -> DocumentReview | None:
    """The newest finished task of the workspace with pending hunks in `rel`, or None."""
    try:
        svc = services.checkpoints(workspace)
    except (NothingRecorded, FileNotFoundError):
        return None
    with svc:
        tasks = sorted(svc.tasks(), key=lambda t: t.get("updated") or t.get("created") or 0, reverse=True)
        for t in [t for t in tasks if t["status"] not in ("running", "interrupted") and not running(t["id"])][
                :RECENT_TASKS]:
            files = svc.review(t["id"], open_text, only=rel)
            if not files:
                continue
            pending = [h for h in files[0].hunks if h.state == "pending" and h.current_line is not None]
            if pending:
                return DocumentReview(t["id"], workspace, files[0], pending)
    return None


def _ref(doc: DocumentReview, **extra: Any) -> dict[str, Any]:
    return {"taskId": doc.task_id, "workspace": str(doc.workspace), **extra}


def lens_actions(doc: DocumentReview) -> list[Action]:
    """Accept | Reject on each pending hunk; file and task actions on the first line."""
    n = len(doc.pending)
    out = [Action(f"MiMo: Accept file ({n} change{'s' if n > 1 else ''})", ACCEPT, _ref(doc, path=doc.file.path), 0,
                  "file"),
           Action("Reject file", REJECT, _ref(doc, path=doc.file.path), 0, "file"),
           Action("Accept all of the task", ACCEPT, _ref(doc), 0, "task"),
           Action("Reject all of the task", REJECT, _ref(doc), 0, "task")]
    for h in doc.pending:
        line = doc.span(h)[0]
        out += [Action("✓ Accept", ACCEPT, _ref(doc, hunkIds=[h.id]), line, preferred=True),
                Action("✗ Reject", REJECT, _ref(doc, hunkIds=[h.id]), line)]
    return out


def range_actions(doc: DocumentReview | None, start: int, end: int) -> list[Action]:
    """Code actions for a range (0-based lines, end inclusive): the hunks it touches, then their file."""
    if doc is None:
        return []
    hit = [h for h in doc.pending if doc.span(h)[0] <= end and start < doc.span(h)[1]]
    out: list[Action] = []
    for h in hit:
        line = doc.span(h)[0]
        out += [Action(f"MiMo: Accept this change (line {line + 1})", ACCEPT, _ref(doc, hunkIds=[h.id]), line,
                       preferred=True),
                Action(f"MiMo: Reject this change (line {line + 1})", REJECT, _ref(doc, hunkIds=[h.id]), line)]
    if hit:
        out += [Action("MiMo: Accept all changes in this file", ACCEPT, _ref(doc, path=doc.file.path), 0, "file"),
                Action("MiMo: Reject all changes in this file", REJECT, _ref(doc, path=doc.file.path), 0, "file")]
    return out


def goal_action(text: str, lines: list[str], start: int, end: int, rel: str, workspace: Path) -> Action | None:
    """"MiMo: do this" on a selection (its text is the goal) or on a TODO / FIXME comment line."""
    selected = text.strip()
    if selected:
        goal = f"{selected}\n(selected in {rel}, lines {start + 1}-{end + 1})"
    else:
        m = TODO.search(lines[start]) if 0 <= start < len(lines) else None
        if m is None or not m.group("text").strip():
            return None
        goal = f"{m.group('text').strip()} (the {m.group(1)} in {rel}, line {start + 1})"
    title = "MiMo: do this" + ("" if selected else f" ({goal.split(' (the ')[0][:50]})")
    return Action(title, TASK_START, {"goal": goal[:20000], "workspace": str(workspace)}, start, "goal")


def replaced_notes(doc: DocumentReview) -> list[tuple[int, str]]:
    """(line, note) per pending hunk: what it replaced or removed, for inlay hints or hint diagnostics."""
    out = []
    for h in doc.pending:
        old = [line.rstrip("\n") for line in h.old]
        line = doc.span(h)[0]
        if not old:
            out.append((line, "MiMo added this"))
            continue
        first = old[0].strip()[:60]
        more = f" (+{len(old) - 1} more line{'s' if len(old) > 2 else ''})" if len(old) > 1 else ""
        out.append((line, f"{'removed' if not h.new else 'was'}: {first}{more}"))
    return out
