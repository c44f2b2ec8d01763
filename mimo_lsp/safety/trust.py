"""Workspace trust: settings that come from inside a workspace (its `.mimo/config.toml`) may only
tighten safety until the user trusts that workspace.

Every setting is classified here (a test fails when a setting exists that is not): `neutral` settings
are taken as they are; the others are kept only when they tighten (a lower limit, network off, an
`ask`/`deny` rule) and are otherwise ignored, reported and audited. Trust is a user action stored
outside the workspace, keyed by the workspace's real path and a hash of exactly the loosening settings
it allows: a changed config needs trust again.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel

Kind = Literal["neutral", "lower", "higher", "true_tightens", "false_tightens", "user_only", "model_spec",
               "host_paths", "rules"]

# What each setting may do when it comes from a workspace. "lower": only a lower number tightens (a
# limit); "true_tightens" / "false_tightens": booleans; "user_only": any change loosens (it chooses what
# runs or what is kept); "host_paths": exposes host paths; "model_spec": a model file outside the
# workspace, a model server that is not on this machine or a scripted reply file chooses what drives the
# agent (and what sees the code); "rules": allow rules loosen,
# ask / deny rules are kept as tighten-only rules.
CLASSIFICATION: dict[str, Kind] = {
    "model.spec": "model_spec", "model.api_key_env": "user_only", "model.n_ctx": "lower",
    "model.n_gpu_layers": "neutral",
    "model.n_threads": "neutral", "model.temperature": "neutral", "model.max_tokens": "lower",
    "model.repeat_penalty": "neutral", "model.seed": "neutral",
    "roles.planner": "user_only", "roles.executor": "user_only", "roles.judge": "user_only",
    "roles.summarizer": "user_only",
    "memory.embedder": "neutral", "memory.lessons": "neutral",
    "agent.max_plan_attempts": "lower", "agent.max_parallel_nodes": "lower", "agent.max_plan_nodes": "lower", "agent.max_steps_per_node": "lower",
    "agent.max_task_steps": "lower", "agent.node_retries": "lower", "agent.max_replans": "lower",
    "agent.goal_rounds": "lower", "agent.summary_every": "neutral", "agent.memory_tokens": "lower",
    "agent.max_structured_retries": "lower", "agent.command_timeout_s": "lower", "agent.check_timeout_s": "lower",
    "agent.observation_chars": "lower", "agent.rollback_failed_nodes": "true_tightens",
    "agent.node_format": "neutral",
    "checkpoints.max_blob_bytes": "higher", "checkpoints.watch": "neutral", "checkpoints.fsync": "true_tightens",
    "checkpoints.max_workspace_bytes": "higher",
    "safety.rules": "rules", "safety.tighten_rules": "neutral", "safety.confirm_timeout_s": "lower",
    "safety.sandbox.enabled": "true_tightens", "safety.sandbox.allow_unsandboxed": "false_tightens",
    "safety.sandbox.network": "false_tightens", "safety.sandbox.cpu_seconds": "lower",
    "safety.sandbox.memory_mb": "lower", "safety.sandbox.max_processes": "lower",
    "safety.sandbox.max_file_mb": "lower", "safety.sandbox.extra_ro_paths": "host_paths",
    "safety.sandbox.extra_rw_paths": "host_paths",
    "index.auto_start": "neutral", "index.watch": "neutral", "index.model": "user_only", "index.embedder": "neutral",
    "index.embed_threads": "neutral", "index.embed_max_tokens": "neutral",
    "index.max_file_bytes": "neutral", "index.max_line_chars": "neutral", "index.skip_generated": "neutral",
    "index.extra_ignores": "neutral", "index.search_wait_s": "neutral",
    "max.n": "lower", "max.selection": "neutral", "max.rounds": "lower", "max.format": "neutral",
    "max.temperature": "neutral", "max.repeat_penalty": "neutral", "max.node_n": "lower",
    # A workspace must not send its code and checks to a cluster it names, not even one on loopback: a Ray
    # cluster runs whatever it is sent, as whoever started it, with that user's files and network.
    "scale.ray_address": "user_only", "scale.task_retries": "lower", "scale.round_timeout_s": "lower",
}
WHY = {
    "lower": "raises a limit", "higher": "lowers what checkpoints keep", "true_tightens": "turns a safeguard off",
    "false_tightens": "turns on what is off by default", "user_only": "chooses what runs (user config only)",
    "model_spec": "a model outside the workspace, on another host or scripted would drive the agent",
    "host_paths": "exposes host paths to the sandbox", "rules": "an allow rule widens what runs without asking",
}


class IgnoredSetting(BaseModel):
    key: str
    value: Any
    why: str


class TrustReport(BaseModel):
    """What a workspace's own config asked for that loosens safety, and whether the user trusts it."""

    workspace: str
    config: str
    trusted: bool = False
    digest: str = ""  # of the loosening settings; trust is stored for exactly this digest
    ignored: list[IgnoredSetting] = []  # empty when trusted (then they apply)
    loosening: list[IgnoredSetting] = []  # what loosens, trusted or not

    def message(self) -> str:
        keys = ", ".join(f"{i.key} ({i.why})" for i in self.ignored)
        return (f"mimo: ignoring settings in {self.config} that loosen safety: {keys}. Trust this workspace's "
                f"settings with `mimo trust -w {self.workspace}` (or the editor's trust action) to apply them.")


def _leaves(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and path not in CLASSIFICATION:
            out += _leaves(value, path + ".")
        else:
            out.append((path, value))
    return out


def _get(data: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        data = data.get(part) if isinstance(data, dict) else None  # type: ignore[assignment]
    return data


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        data = data.setdefault(part, {})
    data[parts[-1]] = value


def _inside(workspace: Path, spec: str) -> bool:
    try:
        path = (workspace / spec).resolve() if not os.path.isabs(spec) else Path(spec).resolve()
        path.relative_to(workspace.resolve())
        return True
    except (ValueError, OSError):
        return False


def _model_spec_loosens(workspace: Path, spec: Any) -> bool:
    if not isinstance(spec, str) or not spec:
        return False
    if spec.startswith("scripted:"):
        return True
    if spec.startswith("openai:"):  # a model server: only one on this machine may be chosen by a workspace
        return not _loopback_url(spec[len("openai:"):])
    looks_like_path = "/" in spec or spec.endswith(".gguf") or spec.startswith((".", "~"))
    return looks_like_path and not _inside(workspace, os.path.expanduser(spec))


def _loopback_url(url: str) -> bool:
    """Whether an http(s) URL names this machine: localhost or a loopback address (127/8, ::1)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def loosens(key: str, value: Any, base: Any, workspace: Path) -> bool:
    """Whether the workspace's `value` for `key` is less safe than `base` (defaults + user config)."""
    kind = CLASSIFICATION[key]
    if kind == "neutral" or value == base:
        return False
    if kind == "lower":
        return not (isinstance(value, (int, float)) and isinstance(base, (int, float)) and value <= base)
    if kind == "higher":
        return not (isinstance(value, (int, float)) and isinstance(base, (int, float)) and value >= base)
    if kind == "true_tightens":
        return value is not True
    if kind == "false_tightens":
        return value is not False
    if kind == "host_paths":
        return bool(value)
    if kind == "model_spec":
        return _model_spec_loosens(workspace, value)
    return True  # user_only


def split_workspace_layer(workspace: Path, data: dict[str, Any], base: dict[str, Any]
                          ) -> tuple[dict[str, Any], list[IgnoredSetting]]:
    """The workspace layer minus what loosens `base`; its ask/deny rules become tighten-only rules."""
    kept: dict[str, Any] = {}
    loose: list[IgnoredSetting] = []
    for key, value in _leaves(data):
        if key not in CLASSIFICATION:
            _set(kept, key, value)  # unknown keys are left to validation, which names them
            continue
        if CLASSIFICATION[key] == "rules":
            rules = value if isinstance(value, list) else []
            for rule in rules:
                if isinstance(rule, dict) and rule.get("action") in ("ask", "deny"):
                    kept.setdefault("safety", {}).setdefault("tighten_rules", []).append(rule)
                else:
                    loose.append(IgnoredSetting(key=key, value=rule, why=WHY["rules"]))
            continue
        if key == "model.spec" and str(value).startswith("openai:") and _get(base, "model.api_key_env"):
            # The user's API key would be sent to whatever server the repository names, even on loopback.
            loose.append(IgnoredSetting(key=key, value=value, why="would send your API key to a server the "
                                                                  "repository chose"))
        elif loosens(key, value, _get(base, key), workspace):
            loose.append(IgnoredSetting(key=key, value=value, why=WHY[CLASSIFICATION[key]]))
        else:
            _set(kept, key, value)
    return kept, loose


def digest_of(loose: list[IgnoredSetting]) -> str:
    blob = json.dumps([i.model_dump(mode="json") for i in loose], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


# -- the user's trust decisions (per-user state, never in the workspace) ---------------------------
def trust_store_path() -> Path:
    base = os.environ.get("MIMO_STATE_HOME") or os.path.join(
        os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state"), "mimo")
    return Path(base) / "trusted-workspaces.json"


def _load_store() -> dict[str, str]:
    try:
        data = json.loads(trust_store_path().read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def is_trusted(workspace: Path, digest: str) -> bool:
    return _load_store().get(str(workspace.resolve())) == digest


def set_trust(workspace: Path, digest: str | None) -> None:
    """Trust the workspace's current loosening settings (digest), or revoke (None)."""
    store = _load_store()
    key = str(workspace.resolve())
    if digest is None:
        store.pop(key, None)
    else:
        store[key] = digest
    path = trust_store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(store, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)
