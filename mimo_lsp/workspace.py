"""Which files of a workspace belong to it: one walker and one ignore rule set for every component."""

from __future__ import annotations

import fnmatch
import hashlib
import os
from pathlib import Path
from typing import Callable, Iterator

# Never the user's .git, never our own state; the rest are caches and environments.
ALWAYS_SKIPPED_DIRS = frozenset({".git", ".mimo", ".hg", ".svn", "__pycache__", "node_modules", ".venv", "venv",
                                 ".tox", ".mypy_cache", ".pytest_cache", ".ruff_cache"})


class IgnoreRules:
    """.gitignore files at fnmatch level, the root's and every sub-folder's (read when first needed): a
    folder's patterns are relative to it; the last matching rule wins and deeper files come later (so they
    override, as in git); '!' re-includes, a trailing '/' matches directories only, a '/' elsewhere
    anchors the pattern at its folder. `extra` patterns act as if at the top of the root's file."""

    def __init__(self, root: Path, extra: list[str] | None = None) -> None:
        self.root = root
        self._by_dir: dict[str, list[tuple[str, bool, bool, bool]]] = {"": self._parse(list(extra or []) + self._read(""))}

    @property
    def rules(self) -> list[tuple[str, bool, bool, bool]]:
        """The root folder's rules: (pattern, negate, dir_only, anchored)."""
        return self._by_dir[""]

    def _read(self, rel_dir: str) -> list[str]:
        try:
            return (self.root / rel_dir / ".gitignore").read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return []

    @staticmethod
    def _parse(lines: list[str]) -> list[tuple[str, bool, bool, bool]]:
        rules = []
        for raw in lines:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            line = line[1:] if negate else line
            dir_only = line.endswith("/")
            line = line.rstrip("/")
            if line.startswith("**/"):
                line = line[3:]
            anchored = "/" in line
            line = line.lstrip("/")
            if line:
                rules.append((line, negate, dir_only, anchored))
        return rules

    def _rules_of(self, rel_dir: str) -> list[tuple[str, bool, bool, bool]]:
        if rel_dir not in self._by_dir:
            self._by_dir[rel_dir] = self._parse(self._read(rel_dir))
        return self._by_dir[rel_dir]

    def ignored(self, rel: str, is_dir: bool) -> bool:
        parts = rel.split("/")
        name = parts[-1]
        result = False
        for depth in range(len(parts)):
            here = "/".join(parts[depth:])  # the path relative to the folder whose .gitignore applies
            for pattern, negate, dir_only, anchored in self._rules_of("/".join(parts[:depth])):
                if dir_only and not is_dir:
                    continue
                if fnmatch.fnmatchcase(here if anchored else name, pattern):
                    result = not negate
        return result


def iter_files(root: Path, rules: IgnoreRules | None = None,
               on_error: Callable[[OSError], None] | None = None) -> Iterator[tuple[str, os.stat_result]]:
    """Yield (posix relative path, lstat) for every regular file or symlink that is not ignored."""
    rules = rules or IgnoreRules(root)
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        try:
            entries = list(os.scandir(root / rel_dir if rel_dir else root))
        except OSError as exc:
            if on_error is not None:
                on_error(exc)
            continue
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in ALWAYS_SKIPPED_DIRS and not rules.ignored(rel, True):
                        stack.append(rel)
                elif not rules.ignored(rel, False):
                    st = entry.stat(follow_symlinks=False)
                    yield rel, st
            except OSError:
                continue


def resolve_inside(root: Path, rel: str) -> Path:
    """Resolve `rel` against `root`; refuse anything that lands outside it or in .git / .mimo."""
    root = root.resolve()
    target = (root / rel).resolve()
    if target != root and root not in target.parents:
        raise PermissionError(f"path outside the workspace: {rel}")
    parts = target.relative_to(root).parts
    if parts and parts[0] in (".git", ".mimo"):
        raise PermissionError(f"path is protected: {rel}")
    return target


def _fallback_state_dir(workspace: Path) -> Path:
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "mimo" / "workspaces"
    return base / hashlib.sha256(str(workspace).encode()).hexdigest()[:16]


def _own_state_dir(local: Path, workspace: Path) -> bool:
    """A repository could ship `.mimo` as a symlink to anywhere: journal writes would land there."""
    if local.is_symlink():
        return False
    try:
        local.resolve().relative_to(workspace.resolve())
        return True
    except (ValueError, OSError):
        return False


def existing_state_dir(workspace: Path) -> Path | None:
    """Where this workspace's state already is, without creating anything (for read-only queries)."""
    for candidate in (workspace / ".mimo", _fallback_state_dir(workspace)):
        if candidate.name == ".mimo" and not _own_state_dir(candidate, workspace):
            continue
        if (candidate / "journal.sqlite").is_file():
            return candidate
    return None


def state_dir(workspace: Path) -> Path:
    """The workspace's .mimo/ when writable, else a per-workspace folder in the user's data dir."""
    local = workspace / ".mimo"
    try:
        if not _own_state_dir(local, workspace):
            raise PermissionError(f"{local} is a symlink or leads outside the workspace")
        local.mkdir(exist_ok=True)
        probe = local / ".write-probe"
        probe.write_bytes(b"")
        probe.unlink()
        return local
    except OSError:
        d = _fallback_state_dir(workspace)
        d.mkdir(parents=True, exist_ok=True)
        return d
