"""`mimo index` and `mimo search`: the workspace index from the terminal, as the agent sees it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mimo_lsp.cli.common import fail


def _index_service(root: Path):
    """An IndexService configured by the workspace's [index] settings."""
    from mimo_lsp.app.index import configure_index
    from mimo_lsp.app.workspace import WorkspaceServices
    from mimo_lsp.index.service import IndexService

    svc = IndexService()
    configure_index(svc, WorkspaceServices().settings(root).index)
    return svc


def cmd_index(args: argparse.Namespace) -> int:
    root = Path(args.path).expanduser()
    if not root.is_dir():
        return fail(f"not a directory: {root}")
    try:
        svc = _index_service(root)
    except ValueError as exc:
        return fail(exc)
    try:
        stats = svc.build(root)
    finally:
        svc.close()
    for err in stats.errors:
        print(f"  error: {err}", file=sys.stderr)
    if args.json:
        print(json.dumps({"files": stats.files, "chunks": stats.chunks, "errors": len(stats.errors),
                          "seconds": round(stats.seconds, 3), "embed_seconds": round(stats.embed_seconds, 3)}))
    else:
        print(f"indexed {stats.files} files, {stats.chunks} chunks ({stats.embedded} embedded) in {stats.seconds:.1f}s"
              f" ({stats.embed_seconds:.1f}s embedding), {len(stats.errors)} error(s)")
    return 0 if stats.pending == 0 else 1


def cmd_search(args: argparse.Namespace) -> int:
    from mimo_lsp.index.hybrid import SearchFilters

    root = Path(args.workspace).expanduser()
    if not root.is_dir():
        return fail(f"not a directory: {root}")
    if args.queries:
        try:
            queries = [q.strip() for q in Path(args.queries).read_text(encoding="utf-8").splitlines() if q.strip()]
        except OSError as exc:
            return fail(f"cannot read queries: {exc}")
    elif args.query:
        queries = [args.query]
    else:
        return fail("give a QUERY or --queries FILE")
    filters = SearchFilters(language=args.language, path=args.path, kind=args.kind)
    try:
        svc = _index_service(root)
    except ValueError as exc:
        return fail(exc)
    try:
        searcher = svc.searcher(root)
        results = [searcher.search(q, args.k, filters, args.mode, args.fusion) for q in queries]
    except ValueError as exc:
        return fail(str(exc))
    finally:
        svc.close()
    keys = ("path", "start_line", "end_line", "symbol", "score")
    rows = [[{k: getattr(h, k) for k in keys} for h in hits] for hits in results]
    if args.json:
        print(json.dumps(rows if args.queries else rows[0], indent=2))
    else:
        for q, hits in zip(queries, results):
            if args.queries:
                print(f"# {q}")
            for h in hits:
                print(f"{h.score:.4f}  {h.path}:{h.start_line}-{h.end_line}  {h.symbol or ''}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    idx = sub.add_parser("index", help="build or update the workspace index")
    idx.add_argument("path", nargs="?", default=".")
    idx.add_argument("--json", action="store_true")
    idx.set_defaults(func=cmd_index)
    srch = sub.add_parser("search", help="search the workspace index")
    srch.add_argument("query", nargs="?")
    srch.add_argument("--workspace", "-w", default=".")
    srch.add_argument("--k", type=int, default=10)
    srch.add_argument("--json", action="store_true")
    srch.add_argument("--mode", choices=["hybrid", "vector", "lexical"], default="hybrid")
    srch.add_argument("--fusion", choices=["combsum", "rrf"], default="combsum",
                      help="how hybrid fuses BM25, vector and name matches (default combsum)")
    srch.add_argument("--queries", help="file with one query per line: prints one result list per query")
    srch.add_argument("--language", action="append", help="only these languages (repeatable)")
    srch.add_argument("--path", help="only paths matching this glob (* crosses /)")
    srch.add_argument("--kind", action="append", help="only these chunk kinds: function, method, class ...")
    srch.set_defaults(func=cmd_search)
