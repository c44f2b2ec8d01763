"""`mimo models list | pull | verify`: the manifest's models, the files on this machine, the roles using them."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from mimo_lsp.cli.common import fail


def _roles_of(workspace: Path) -> tuple[Any, Any]:
    """A function naming the roles that use a manifest model (per the settings in force in `workspace`), and
    the specs in use that are not manifest models (a GGUF path, a model server)."""
    from mimo_lsp.config import ROLES, load_settings, role_model
    from mimo_lsp.llm.models import load_manifest

    settings = load_settings(workspace if workspace.is_dir() else None).settings
    manifest = load_manifest()
    specs = {role: (role_model(settings, role) or settings.model).spec for role in ROLES}

    def matches(spec: str | None, name: str, file: str) -> bool:
        if spec is None:
            return name == manifest.default
        return spec == name or (spec.endswith(".gguf") and Path(spec).name == file)

    def roles_of(name: str, entry: Any) -> list[str]:
        return [r for r, spec in specs.items() if matches(spec, name, entry.file)]

    others: dict[str, list[str]] = {}
    for role, spec in specs.items():
        if spec is not None and not any(matches(spec, n, e.file) for n, e in manifest.models.items()):
            others.setdefault(spec, []).append(role)
    return roles_of, others


def cmd_list(args: argparse.Namespace) -> int:
    from mimo_lsp.llm.download import gpu_offload, model_rows
    from mimo_lsp.llm.port import ModelError

    try:
        roles_of, others = _roles_of(Path(args.workspace))
        rows = model_rows(roles_of)
    except (ValueError, OSError, ModelError) as exc:  # a bad config (ConfigError) or manifest
        return fail(exc)
    for spec, roles in others.items():
        local = Path(spec).expanduser() if not spec.startswith(("openai:", "scripted:")) else None
        present = local.is_file() if local is not None else None
        rows.append({"name": spec, "file": local.name if local else None, "present": present,
                     "path": str(local) if present else None,
                     "size_bytes": local.stat().st_size if local is not None and present else None,
                     "sha256_ok": None, "roles": roles})
    gpu = gpu_offload()
    for row in rows:
        row["gpu_offload"] = gpu
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"GPU offload: {'available' if gpu else 'not available'} in this llama.cpp build")
    for r in rows:
        size = f"{r['size_bytes'] / 1e9:.2f} GB" if r["size_bytes"] else "?"
        sha = {True: "sha256 ok", False: "SHA256 MISMATCH", None: "sha256 unchecked"}[r["sha256_ok"]]
        state = "present" if r["present"] else ("server" if r["present"] is None else "missing")
        roles = ", ".join(r["roles"]) or "-"
        print(f"{r['name']:<28} {state:<8} {size:>9}  {sha:<16} roles: {roles}")
        if r["path"]:
            print(f"{'':<28} {r['path']}")
    return 0


def cmd_pull(args: argparse.Namespace) -> int:
    from mimo_lsp.llm.download import pull
    from mimo_lsp.llm.port import ModelError

    try:
        path = pull(args.name, progress=not args.quiet)
    except ModelError as exc:
        return fail(exc)
    if args.json:
        print(json.dumps({"name": args.name, "path": str(path), "size_bytes": path.stat().st_size}))
    else:
        print(f"{args.name}: {path}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from mimo_lsp.llm.download import check_file, local_path
    from mimo_lsp.llm.models import load_manifest
    from mimo_lsp.llm.port import ModelError

    try:
        manifest = load_manifest()
    except ModelError as exc:
        return fail(exc)
    if args.name and args.name not in manifest.models:
        return fail(f"unknown model '{args.name}'; known: {', '.join(sorted(manifest.models))}")
    names = [args.name] if args.name else list(manifest.models)
    results: list[dict[str, Any]] = []
    bad = False
    for name in names:
        entry = manifest.models[name]
        path = local_path(entry)
        if path is None:
            ok, detail = (False if args.name else None), "not present"
        else:
            ok, detail = check_file(entry, path, fresh=True)
        bad = bad or ok is False
        results.append({"name": name, "path": str(path) if path else None, "ok": ok, "detail": detail})
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for r in results:
            mark = {True: "ok", False: "FAILED", None: "-"}[r["ok"]]
            print(f"{r['name']:<28} {mark:<7} {r['detail']}{'  ' + r['path'] if r['path'] else ''}")
    return 1 if bad else 0


def register(sub: Any) -> None:
    models = sub.add_parser("models", help="the models mimo knows, the files here, and getting them")
    verbs = models.add_subparsers(dest="models_cmd", required=True)
    ls = verbs.add_parser("list", help="manifest models: present or not, size, sha256, the roles using them")
    ls.add_argument("--workspace", "-w", default=".", help="whose settings decide the roles (default: here)")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)
    pl = verbs.add_parser("pull", help="download a manifest model (resumable, sha256-checked)")
    pl.add_argument("name")
    pl.add_argument("--json", action="store_true")
    pl.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    pl.set_defaults(func=cmd_pull)
    vf = verbs.add_parser("verify", help="hash the local model files against the manifest")
    vf.add_argument("name", nargs="?")
    vf.add_argument("--json", action="store_true")
    vf.set_defaults(func=cmd_verify)
