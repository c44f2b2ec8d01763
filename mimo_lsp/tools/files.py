"""File tools: read, list, search, write, edit. Paths are confined to the workspace."""

from __future__ import annotations

import hashlib
from pathlib import Path

from mimo_lsp.fsutil import atomic_write
from mimo_lsp.tools.actions import ApplyFiles, EditFile, ListFiles, ReadFile, SearchCode, ToolContext, ToolError, WriteFile
from mimo_lsp.workspace import IgnoreRules, iter_files, resolve_inside


def read_file(a: ReadFile, ctx: ToolContext) -> str:
    path = resolve_inside(ctx.workspace, a.path)
    if not path.is_file():
        raise ToolError(f"no such file: {a.path}")
    raw = path.read_bytes()
    ctx.read_hashes[str(path)] = hashlib.sha256(raw).hexdigest()
    ctx.seen_versions.setdefault(str(path), set()).add(ctx.read_hashes[str(path)])
    lines = raw.decode("utf-8", errors="replace").splitlines()
    end = a.end_line or len(lines)
    shown = lines[a.start_line - 1 : end]
    body = "\n".join(f"{i:>4}| {line}" for i, line in enumerate(shown, start=a.start_line))
    return f"{a.path} (lines {a.start_line}-{min(end, len(lines))} of {len(lines)})\n{body}"


def list_files(a: ListFiles, ctx: ToolContext) -> str:
    base = resolve_inside(ctx.workspace, a.path)
    if not base.is_dir():
        raise ToolError(f"no such directory: {a.path}")
    prefix = base.relative_to(ctx.workspace.resolve()).as_posix()
    prefix = "" if prefix == "." else prefix
    found = sorted(rel for rel, _ in iter_files(ctx.workspace.resolve(), IgnoreRules(ctx.workspace))
                   if not prefix or rel.startswith(prefix + "/"))
    if len(found) > 200:
        return "\n".join(found[:200]) + f"\n... and {len(found) - 200} more"
    return "\n".join(found) or "(empty)"


def search_code(a: SearchCode, ctx: ToolContext) -> str:
    if ctx.search is None:
        raise ToolError("code search is not available in this session")
    # ctx.search is the index's IndexSearcher (hybrid ranking), the same the editor's search uses.
    hits = ctx.search(a.query, a.k)
    if not hits:
        return "no results"
    lines = []
    for h in hits:
        first = next((ln.strip() for ln in (h.get("snippet") or "").split("\n") if ln.strip()), "")
        lines.append(f"{h['path']}:{h['start_line']}-{h['end_line']} {h.get('symbol') or ''} "
                     f"(score {h['score']:.3f})" + (f"\n    {first[:160]}" if first else ""))
    return "\n".join(lines)


def _guard(path: Path, ctx: ToolContext) -> None:
    """Re-validate before writing: no unsaved editor buffer, and no change since the model read the file."""
    if ctx.buffer_guard is not None:
        reason = ctx.buffer_guard(path)
        if reason and not _stale_copy_of_ours(path, ctx):
            raise ToolError(reason)
    seen = ctx.read_hashes.get(str(path))
    if seen is not None:
        try:
            now = hashlib.sha256(path.read_bytes()).hexdigest()
        except FileNotFoundError:
            now = None
        if now != seen:
            raise ToolError(f"{path.name} changed since you read it (someone else edited it); read it again first")
    if path.is_file():  # what the file holds before this write: an editor may still show it afterwards
        ctx.seen_versions.setdefault(str(path), set()).add(hashlib.sha256(path.read_bytes()).hexdigest())


def _stale_copy_of_ours(path: Path, ctx: ToolContext) -> bool:
    """An open buffer that differs from the disk only because the editor has not re-read the agent's own
    earlier write (it holds a version this task read or wrote) is not the user's unsaved work."""
    text = ctx.buffer_text(path) if ctx.buffer_text is not None else None
    if text is None:
        return False
    return hashlib.sha256(text.encode("utf-8")).hexdigest() in ctx.seen_versions.get(str(path), set())


def _remember_write(path: Path, data: bytes, ctx: ToolContext) -> None:
    digest = hashlib.sha256(data).hexdigest()
    ctx.read_hashes[str(path)] = digest  # the model knows what it wrote
    ctx.seen_versions.setdefault(str(path), set()).add(digest)


def write_file(a: WriteFile, ctx: ToolContext) -> str:
    path = resolve_inside(ctx.workspace, a.path)
    _guard(path, ctx)
    existed = path.exists()
    data = a.content.encode("utf-8")
    atomic_write(path, data)
    _remember_write(path, data, ctx)
    return f"{'overwrote' if existed else 'created'} {a.path} ({len(a.content.splitlines())} lines)"


def apply_files(a: ApplyFiles, ctx: ToolContext) -> str:
    """All of a Max Mode pick (or of a plan node made on a Ray worker) or nothing: every target is checked
    before the first is written."""
    paths = {rel: resolve_inside(ctx.workspace, rel) for rel in a.files}
    for rel, path in paths.items():
        _guard(path, ctx)
        now = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
        if rel in a.base and a.base[rel] != now:
            raise ToolError(f"{rel} changed since the candidates were made; nothing was applied")
    for rel, path in paths.items():
        content = a.files[rel]
        if content is None:
            path.unlink(missing_ok=True)
            continue
        data = content.encode("utf-8")
        atomic_write(path, data)
        _remember_write(path, data, ctx)
    what = f"candidate {a.candidate}" if a.candidate else "the result"
    return f"applied {what}: {', '.join(sorted(a.files))}"


def edit_file(a: EditFile, ctx: ToolContext) -> str:
    path = resolve_inside(ctx.workspace, a.path)
    if not path.is_file():
        raise ToolError(f"no such file: {a.path}")
    if not a.search:
        raise ToolError("search text is empty")
    _guard(path, ctx)
    text = path.read_bytes().decode("utf-8")  # no newline translation: CRLF files stay CRLF
    count = text.count(a.search)
    if count != 1:
        raise ToolError(f"search text occurs {count} times in {a.path}; it must occur exactly once")
    data = text.replace(a.search, a.replace, 1).encode("utf-8")
    atomic_write(path, data)
    _remember_write(path, data, ctx)
    return f"edited {a.path}"
