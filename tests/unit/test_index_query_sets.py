"""The retrieval query sets (benchmarks/index_queries_*.jsonl) that index_bench.py scores rankers on.

Always: each set is wired into index_bench (package pin, indexed sub-packages), every line is a
{"query", "path", "symbol"} object, and no query of a held-out set contains a name part of its answer
(snake_case / camelCase parts of three letters or more, whole words, any case). Where the package
source is at hand (index_bench's cache, or $MIMO_QUERY_SETS_SRC holding unpacked `<name>-<version>/`
sdists), every answer is also checked to be a (path, symbol) the chunker produces, since a hit only
counts on an exact match.

No ranker is imported or run: the held-out sets were written blind to every ranker's output. The
chunker is loaded on its own, not through mimo_lsp.index (whose __init__ imports the ranking modules).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
import types
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SET_FILES = sorted((ROOT / "benchmarks").glob("index_queries_*.jsonl"))
# The development sets are exempt: requests' was written before this rule (35 of its 45 queries name a
# part of the answer), click's has one slip ("range" in a query for IntRange._clamp), kept as measured.
# The held-out sets (django, httpx, networkx) all obey it.
NAME_RULE_EXEMPT = frozenset({"requests", "click"})
HELD_OUT_MIN_QUERIES = 45
SOURCE_ENV = "MIMO_QUERY_SETS_SRC"
KEYS = {"query", "path", "symbol"}


def _load_module(name: str, path: Path, package: str | None = None) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    if package is not None:
        module.__package__ = package
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@cache
def bench() -> types.ModuleType:
    """benchmarks/index_bench.py (not a package; imports nothing from mimo_lsp at module level)."""
    return _load_module("_query_sets_index_bench", ROOT / "benchmarks" / "index_bench.py")


@cache
def chunker() -> types.ModuleType:
    """mimo_lsp/index/chunker.py under a private package name, so its `from .languages import ...`
    resolves without running mimo_lsp/index/__init__.py."""
    pkg_name = "_query_sets_chunking"
    if pkg_name not in sys.modules:
        pkg = types.ModuleType(pkg_name)
        pkg.__path__ = [str(ROOT / "mimo_lsp" / "index")]
        sys.modules[pkg_name] = pkg
    return _load_module(f"{pkg_name}.chunker", ROOT / "mimo_lsp" / "index" / "chunker.py", pkg_name)


def set_name(path: Path) -> str:
    return path.stem.removeprefix("index_queries_")


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def name_parts(symbol: str) -> set[str]:
    """`DigestAuth._get_client_nonce` -> {digest, auth, get, client, nonce}; parts under 3 letters are
    dropped (`CGInverseLaplacian` -> {inverse, laplacian})."""
    parts: set[str] = set()
    for ident in re.findall(r"[A-Za-z0-9]+", symbol):
        parts.update(w.lower() for w in re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+", ident))
    return {p for p in parts if len(p) >= 3}


def query_words(query: str) -> set[str]:
    """Whole words of the query, lowercased, and the camelCase parts of each (`NotImplementedError`)."""
    out: set[str] = set()
    for word in re.findall(r"[A-Za-z0-9]+", query):
        out.add(word.lower())
        out.update(name_parts(word))
    return out


def source_base(name: str) -> Path | None:
    """The directory query paths are relative to, when the package's sdist is unpacked somewhere."""
    spec, sub = bench().PACKAGES[name]
    version = spec.split("==")[1]
    roots = [Path(os.environ[SOURCE_ENV])] if os.environ.get(SOURCE_ENV) else []
    roots.append(bench().CACHE)
    for root in roots:
        unpacked = root / f"{name}-{version}"
        if (unpacked / "PKG-INFO").exists():
            # A set without sub-packages indexes the sdist's `sub` folder itself (requests' src/).
            return unpacked / sub if bench().QUALITY_SETS[name][1] is None else unpacked
    return None


def test_name_parts_and_words() -> None:
    assert name_parts("DigestAuth._get_client_nonce") == {"digest", "auth", "get", "client", "nonce"}
    assert name_parts("CGInverseLaplacian.init_solver") == {"inverse", "laplacian", "init", "solver"}
    assert name_parts("URLPattern") == {"url", "pattern"}
    assert name_parts("ramsey_R2") == {"ramsey"}
    assert "error" in query_words("raises NotImplementedError for it")
    assert "get" in query_words("calls get_list")


def test_every_set_is_wired_into_index_bench() -> None:
    names = {set_name(p) for p in SET_FILES}
    assert {"requests", "django", "httpx", "networkx"} <= names
    for name in names:
        path, subset = bench().QUALITY_SETS[name]
        assert path == ROOT / "benchmarks" / f"index_queries_{name}.jsonl"
        assert name in bench().PACKAGES and "==" in bench().PACKAGES[name][0]
        assert subset is None or all(not s.startswith("/") and ".." not in s for s in subset)


@pytest.mark.parametrize("path", SET_FILES, ids=set_name)
def test_json_shape(path: Path) -> None:
    name = set_name(path)
    subset = bench().QUALITY_SETS[name][1]
    queries = load(path)
    if name not in NAME_RULE_EXEMPT:
        assert len(queries) >= HELD_OUT_MIN_QUERIES
    for q in queries:
        assert isinstance(q, dict) and set(q) == KEYS, q
        assert all(isinstance(q[k], str) and q[k].strip() for k in KEYS), q
        rel = q["path"]
        assert not rel.startswith("/") and "\\" not in rel and ".." not in rel.split("/"), q
        assert subset is None or any(rel.startswith(f"{s}/") for s in subset), q
    answers = [(q["path"], q["symbol"]) for q in queries]
    assert len(set(answers)) == len(answers), "an answer appears twice"
    assert len({q["query"] for q in queries}) == len(queries), "a query appears twice"


@pytest.mark.parametrize("path", SET_FILES, ids=set_name)
def test_no_name_part_of_the_answer_in_the_query(path: Path) -> None:
    if set_name(path) in NAME_RULE_EXEMPT:
        pytest.skip("the development set predates the rule")
    leaks = [(q["symbol"], sorted(name_parts(q["symbol"]) & query_words(q["query"]))) for q in load(path)]
    assert [leak for leak in leaks if leak[1]] == []


@pytest.mark.parametrize("path", SET_FILES, ids=set_name)
def test_every_answer_is_a_chunk_symbol(path: Path) -> None:
    name = set_name(path)
    base = source_base(name)
    if base is None:
        pytest.skip(f"{name}'s source is not unpacked (index_bench's cache or ${SOURCE_ENV})")
    symbols: dict[str, set[str | None]] = {}
    missing = []
    for q in load(path):
        rel = q["path"]
        if rel not in symbols:
            file = base / rel
            text = file.read_text(encoding="utf-8") if file.is_file() else ""
            symbols[rel] = {c.symbol for c in chunker().chunk_file(rel, text)}
        if q["symbol"] not in symbols[rel]:
            missing.append((rel, q["symbol"]))
    assert missing == []
