"""Check a retrieval query set (JSONL) against the unpacked source it targets. Ranks nothing.

Usage:  python benchmarks/check_query_set.py --root /tmp/blind-src/rich-13.9.4 benchmarks/index_queries_rich.jsonl

Errors (exit status 1 if any):
  * a line that is not a JSON object with string fields "query", "path", "symbol";
  * `path` missing under --root;
  * `symbol` not a chunk symbol of that file according to mimo_lsp.index.chunker.chunk_file;
  * a query word that is a word of its target symbol (the symbol split at "_", "." and camelCase
    humps / digit runs, case-insensitive), an obvious inflection of one (-s, -es, -ed, -d, -ing,
    -er, -ers, dropped final e / doubled consonant), or shares a prefix of >= 5 letters with one
    (crude stem check; both words must have >= 5 letters);
  * the same (path, symbol) target, or the same query text, twice.
Warnings (reported, do not fail):
  * a query of fewer than 10 or more than 35 words;
  * a query word starting with a short (3-4 letter) symbol word, e.g. "exponential" for "exp";
  * more than 6 targets in one file.
Finally prints the number of queries, their kinds (kind of the symbol's first chunk) and files.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from mimo_lsp.index.chunker import chunk_file  # noqa: E402  (chunking only; nothing is ranked)

_HUMPS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_QUERY_WORD = re.compile(r"[A-Za-z0-9]+")


def symbol_words(symbol: str) -> set[str]:
    words: set[str] = set()
    for part in re.split(r"[._]+", symbol):
        for hump in _HUMPS.findall(part):
            if len(hump) >= 2 and not hump.isdigit():
                words.add(hump.lower())
    return words


def inflections(word: str) -> set[str]:
    forms = {word, word + "s", word + "es", word + "ed", word + "d", word + "ing", word + "er", word + "ers"}
    if word.endswith("e"):
        forms |= {word[:-1] + "ing", word[:-1] + "ed", word[:-1] + "er"}
    if word.endswith("y"):
        forms |= {word[:-1] + "ies", word[:-1] + "ied"}
    if len(word) >= 3 and word[-1] not in "aeiouwxy":
        forms |= {word + word[-1] + "ing", word + word[-1] + "ed", word + word[-1] + "er"}
    return forms


def banned(query_word: str, sym_word: str) -> bool:
    q, w = query_word.lower(), sym_word.lower()
    if q in inflections(w) or w in inflections(q):
        return True
    return len(q) >= 5 and len(w) >= 5 and q[:5] == w[:5]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", required=True, type=Path, help="unpacked sdist root the paths are relative to")
    ap.add_argument("sets", nargs="+", type=Path, help="query set .jsonl files")
    args = ap.parse_args(argv)

    errors = 0
    chunk_cache: dict[str, dict[str, str]] = {}  # path -> {symbol: kind of its first chunk}

    def err(where: str, msg: str) -> None:
        nonlocal errors
        errors += 1
        print(f"ERROR {where}: {msg}")

    for set_path in args.sets:
        seen_targets: set[tuple[str, str]] = set()
        seen_queries: set[str] = set()
        kinds: collections.Counter[str] = collections.Counter()
        per_file: collections.Counter[str] = collections.Counter()
        n = 0
        for lineno, line in enumerate(set_path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{set_path.name}:{lineno}"
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                err(where, f"not JSON ({e})")
                continue
            if not isinstance(obj, dict) or not all(isinstance(obj.get(k), str) for k in ("query", "path", "symbol")):
                err(where, "needs string fields query, path, symbol")
                continue
            n += 1
            query, path, symbol = obj["query"], obj["path"], obj["symbol"]
            file = args.root / path
            if not file.is_file():
                err(where, f"no such file {path}")
                continue
            if path not in chunk_cache:
                symbols: dict[str, str] = {}
                for c in chunk_file(path, file.read_text(encoding="utf-8")):
                    if c.symbol is not None:
                        symbols.setdefault(c.symbol, c.kind)
                chunk_cache[path] = symbols
            if symbol not in chunk_cache[path]:
                err(where, f"{symbol!r} is not a chunk symbol of {path}")
                continue
            kinds[chunk_cache[path][symbol]] += 1
            per_file[path] += 1
            if (path, symbol) in seen_targets:
                err(where, f"duplicate target {path}::{symbol}")
            seen_targets.add((path, symbol))
            if query.strip().lower() in seen_queries:
                err(where, "duplicate query")
            seen_queries.add(query.strip().lower())
            sym_words = symbol_words(symbol)
            qwords = _QUERY_WORD.findall(query)
            for qw in qwords:
                for sw in sym_words:
                    if banned(qw, sw):
                        err(where, f"query word {qw!r} matches symbol word {sw!r} of {symbol}")
                    elif len(sw) in (3, 4) and qw.lower().startswith(sw) and qw.lower() != sw:
                        print(f"warn  {where}: query word {qw!r} starts with short symbol word {sw!r} of {symbol}")
            if not 10 <= len(query.split()) <= 35:
                print(f"warn  {where}: {len(query.split())} words")
        for path, count in sorted(per_file.items()):
            if count > 6:
                print(f"warn  {set_path.name}: {count} targets in {path}")
        print(f"{set_path}: {n} queries, {len(per_file)} files, kinds {dict(sorted(kinds.items()))}")
    print(f"{errors} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
