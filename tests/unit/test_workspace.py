"""The one walker and ignore rule set that the index, the tracker and the tools share."""

from __future__ import annotations

from pathlib import Path

from mimo_lsp.workspace import IgnoreRules, iter_files


def test_gitignore_patterns(tmp_path: Path):
    assert IgnoreRules(tmp_path).rules == []
    (tmp_path / ".gitignore").write_text("# comment\n*.log\n!keep.log\n/dist\nbuild/\ndocs/*.tmp.md\n**/cache\n")
    ig = IgnoreRules(tmp_path)
    assert ig.ignored("a/b/debug.log", is_dir=False)
    assert not ig.ignored("a/keep.log", is_dir=False)
    assert ig.ignored("dist", is_dir=True) and not ig.ignored("src/dist", is_dir=True)
    assert ig.ignored("src/build", is_dir=True) and not ig.ignored("build", is_dir=False)
    assert ig.ignored("docs/x.tmp.md", is_dir=False)
    assert not ig.ignored("other/docs/x.tmp.md", is_dir=False)
    assert ig.ignored("deep/er/cache", is_dir=True)


def test_walker_skips_vcs_state_caches_and_ignored(tmp_path: Path):
    for rel in ["src/a.py", ".git/HEAD", ".mimo/journal.sqlite", "node_modules/x/i.js", ".venv/bin/python",
                "src/__pycache__/a.pyc", "build/out.o", "keep/build.txt"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    (tmp_path / ".gitignore").write_text("build/\n")
    found = sorted(rel for rel, _ in iter_files(tmp_path))
    assert found == [".gitignore", "keep/build.txt", "src/a.py"]


def test_nested_gitignore_files_apply_to_their_folder_and_override_the_root(tmp_path: Path):
    files = {".gitignore": "*.log\n", "pkg/.gitignore": "/gen/\nlocal.cfg\n!important.log\n",
             "pkg/gen/table.py": "x", "pkg/sub/gen/keep.py": "x", "pkg/local.cfg": "x", "pkg/sub/local.cfg": "x",
             "local.cfg": "x", "pkg/important.log": "x", "pkg/other.log": "x", "app/important.log": "x",
             "app/main.py": "x"}
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    found = sorted(rel for rel, _ in iter_files(tmp_path))
    # pkg/.gitignore: '/gen/' anchored at pkg/ (pkg/sub/gen stays), 'local.cfg' anywhere below pkg/
    # (not the root's), '!important.log' re-includes what the root's '*.log' ignores, below pkg/ only.
    assert found == [".gitignore", "app/main.py", "local.cfg", "pkg/.gitignore", "pkg/important.log",
                     "pkg/sub/gen/keep.py"]
    assert IgnoreRules(tmp_path).ignored("pkg/gen", is_dir=True)
