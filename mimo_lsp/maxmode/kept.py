"""Max Mode candidates kept after the task, so that an editor can show them side by side and apply another.

At the end of a Max Mode task each candidate's changed files go into the workspace's blob store
(content-addressed: the pick's files are the same blobs as its checkpoint) and one small record into the
journal's `candidates` table: ids, outcomes, checks, tokens, convergence role, per file the blob digest, and
the hash each file had when the candidates were made. The journal names the digests, so checkpoint gc keeps
the blobs while the task is kept and drops them with it. Bounded: a file over the checkpoint blob limit, or
a candidate that would take the task past `MAX_KEPT_BYTES`, is listed without contents (`kept: false`).
"""

from __future__ import annotations

from typing import Any

from mimo_lsp.checkpoints.blobs import BlobStore
from mimo_lsp.checkpoints.journal import CheckpointJournal
from mimo_lsp.maxmode.scratch import normalized

MAX_KEPT_BYTES = 32 << 20  # all candidates of one task, contents and diffs


def keep(journal: CheckpointJournal, blobs: BlobStore, task_id: str, orchestrator: Any, max_file_bytes: int) -> None:
    """Record the candidates of a Max Mode run (`MaxModeOrchestrator`); replaces an earlier run's record."""
    pick = orchestrator.pick
    key = normalized(pick.changes) if pick is not None else None
    report = orchestrator.report or {}
    bases: dict[str, str | None] = {}
    digests: set[str] = set()
    total = 0
    out = []
    for cand in orchestrator.candidates:
        size = sum(len(d or b"") for d in cand.changes.values()) + len(cand.diff)
        kept = bool(cand.changes) and total + size <= MAX_KEPT_BYTES and \
            all(len(d or b"") <= max_file_bytes for d in cand.changes.values())
        files = []
        for rel, data in sorted(cand.changes.items()):
            base = orchestrator.bases.get(rel)
            bases[rel] = base
            digest = blobs.put(data) if kept and data is not None else None
            files.append({"path": rel, "status": "deleted" if data is None else ("added" if base is None else "modified"),
                          "bytes": len(data or b""), "digest": digest})
        diff = blobs.put(cand.diff.encode("utf-8")) if kept and cand.diff else None
        if kept:
            total += size
            digests.update(f["digest"] for f in files if f["digest"])
            digests.update([diff] if diff else [])
        if pick is not None and cand.id == pick.id:
            role = "picked"
        elif not cand.changes:
            role = "none"
        else:
            role = "same" if normalized(cand.changes) == key else "different"
        out.append({"id": cand.id, "round": cand.round, "temperature": cand.temperature, "outcome": cand.outcome,
                    "checks_passed": cand.checks_passed, "tokens": cand.tokens, "seconds": round(cand.seconds, 3),
                    "summary": cand.summary, "convergence": role, "kept": kept, "files": files, "diff": diff})
    journal.save_candidates(task_id, {
        "picked": pick.id if pick is not None else None, "reason": report.get("reason", ""),
        "convergence": report.get("convergence", 0.0), "judged": bool(report.get("judged", False)),
        "format": getattr(orchestrator, "fmt", ""), "bases": bases, "candidates": out, "digests": sorted(digests)})


def record_of(journal: CheckpointJournal, task_id: str) -> dict[str, Any]:
    """The task's kept candidates; a clear error for an unknown task or one that did not run in Max Mode."""
    if journal.task(task_id) is None:
        raise KeyError(f"unknown task id: {task_id}")
    record = journal.candidates(task_id)
    if record is None:
        raise ValueError(f"task {task_id} has no Max Mode candidates (it did not run in Max Mode, or it ran "
                         "before candidates were kept)")
    return record


def candidate_of(record: dict[str, Any], task_id: str, candidate_id: int) -> dict[str, Any]:
    for cand in record["candidates"]:
        if cand["id"] == candidate_id:
            return cand
    known = ", ".join(str(c["id"]) for c in record["candidates"]) or "none"
    raise KeyError(f"task {task_id} has no candidate {candidate_id} (its candidates: {known})")


def listing(journal: CheckpointJournal, blobs: BlobStore, task_id: str) -> dict[str, Any]:
    """The record as `mimo.task.candidates` answers it: diffs as text, digests left out."""
    record = record_of(journal, task_id)
    cands = []
    for c in record["candidates"]:
        diff = blobs.get(c["diff"]).decode("utf-8", "replace") if c.get("diff") else ""
        cands.append({**c, "picked": c["id"] == record["picked"], "diff": diff,
                      "files": [{k: v for k, v in f.items() if k != "digest"} for f in c["files"]]})
    return {"task_id": task_id, "picked": record["picked"], "reason": record["reason"],
            "convergence": record["convergence"], "judged": record["judged"], "format": record["format"],
            "candidates": cands}


def contents(blobs: BlobStore, task_id: str, cand: dict[str, Any]) -> dict[str, str | None]:
    """rel -> the candidate's text of that file (None: it deletes the file)."""
    if not cand["files"]:
        raise ValueError(f"candidate {cand['id']} of task {task_id} changed nothing (outcome {cand['outcome']})")
    if not cand["kept"]:
        raise ValueError(f"the files of candidate {cand['id']} of task {task_id} were not kept (over the size limit)")
    return {f["path"]: None if f["status"] == "deleted" else blobs.get(f["digest"]).decode("utf-8", "replace")
            for f in cand["files"]}


def candidate_file(journal: CheckpointJournal, blobs: BlobStore, task_id: str, candidate_id: int,
                   path: str) -> dict[str, Any]:
    cand = candidate_of(record_of(journal, task_id), task_id, candidate_id)
    entry = next((f for f in cand["files"] if f["path"] == path), None)
    if entry is None:
        changed = ", ".join(f["path"] for f in cand["files"]) or "nothing"
        raise KeyError(f"candidate {candidate_id} of task {task_id} did not change {path} (it changed: {changed})")
    text = contents(blobs, task_id, cand)[path]
    return {"task_id": task_id, "candidate_id": candidate_id, "path": path, "status": entry["status"], "content": text}
