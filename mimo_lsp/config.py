"""Settings, one system: defaults < user config < workspace .mimo/config.toml < explicit overrides.

Explicit overrides are LSP initializationOptions, command arguments or CLI flags.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mimo_lsp.safety.policy import Rule
from mimo_lsp.safety.trust import IgnoredSetting, TrustReport, digest_of, is_trusted, split_workspace_layer
from mimo_lsp.safety.sandbox import SandboxSettings

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - 3.10
    import tomli as tomllib  # type: ignore[no-redef]


class ConfigError(ValueError):
    """A config file or override is invalid; the message names the source."""


class ModelSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # GGUF path, manifest name, "openai:http://HOST:PORT/v1#MODEL" (an OpenAI-compatible server) or
    # "scripted:FILE.json"; None = shipped default.
    spec: str | None = None
    # The environment variable holding the API key of an OpenAI-compatible server (the key itself is never
    # written into any config).
    api_key_env: str | None = None
    n_ctx: int = Field(4096, ge=256)
    # -1 = offload every layer when the llama.cpp build supports a GPU; 0 = CPU only.
    n_gpu_layers: int = -1
    # None = below the core count (llama.cpp collapses when it competes for every core).
    n_threads: int | None = Field(None, ge=1)
    temperature: float = Field(0.2, ge=0.0, le=2.0)
    max_tokens: int = Field(384, ge=16)
    # Small models loop ("_to_list_to_list...") without a repetition penalty.
    repeat_penalty: float = Field(1.15, ge=1.0, le=2.0)
    seed: int = 1234


class AgentSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_plan_attempts: int = Field(3, ge=1)
    max_plan_nodes: int = Field(64, ge=1)
    # Per-node default budget (a plan node may set its own) and the whole task's budget.
    max_steps_per_node: int = Field(12, ge=1)
    max_task_steps: int = Field(600, ge=1)
    # A failed node is rolled back and retried this many times with a different strategy, then the
    # planner revises the remaining DAG (at most max_replans times per task).
    node_retries: int = Field(2, ge=0)
    max_replans: int = Field(3, ge=0)
    # When the completion criteria fail at the end, the failing criterion goes back to the planner for
    # repair nodes this many times before the task is reported failed.
    goal_rounds: int = Field(2, ge=0)
    # Every N steps a progress summary goes to the memory store and into the executor's prompt.
    summary_every: int = Field(5, ge=1)
    # Token budget for memories and lessons injected into planner and executor prompts.
    memory_tokens: int = Field(300, ge=0)
    max_structured_retries: int = Field(2, ge=0)
    command_timeout_s: float = Field(120.0, gt=0)
    check_timeout_s: float = Field(900.0, gt=0)
    observation_chars: int = Field(4000, ge=200)
    # A node that fails leaves no half-done work: its files go back to the checkpoint before it.
    rollback_failed_nodes: bool = True
    # Ready plan nodes whose `files` cannot overlap run at the same time, up to this many, when the
    # executor's backend serves concurrent requests (an OpenAI-compatible server); in process, one.
    max_parallel_nodes: int = Field(1, ge=1, le=8)
    # How a plan node that changes one file is attempted: agent = the JSON tool loop (AgentStep); function =
    # read the file, one model call for the rewritten function(s) in a ```python block, apply, check (what a
    # small model can follow: agent/function_attempt.py); auto = function below 1B parameters (as max.format).
    node_format: Literal["auto", "agent", "function"] = "auto"


class CheckpointSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Files larger than this are tracked by hash only (restored only if captured).
    max_blob_bytes: int = Field(4 << 20, ge=0)
    # Use the file watcher to find what a shell command changed (else a stat pass over the tree).
    watch: bool = True
    # fsync every commit: survive power loss, not only a killed process. Slower.
    fsync: bool = False
    # Per-workspace cap on checkpoint data; `mimo gc` deletes the oldest finished tasks beyond it.
    max_workspace_bytes: int = Field(2 << 30, ge=0)


class SafetySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Appended after the defaults (mimo_lsp/safety/policy.py), layer by layer: the last match wins.
    rules: list[Rule] = Field(default_factory=list)
    # Checked after `rules` and only ever make a decision stricter (ask over allow, deny over both): where
    # the ask / deny rules of an untrusted workspace's config go.
    tighten_rules: list[Rule] = Field(default_factory=list)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    # Unanswered confirmations count as "no" after this long.
    confirm_timeout_s: float = Field(300.0, gt=0)


class MemorySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # "minilm": the shipped all-MiniLM-L6-v2 via sentence-transformers; "hashing": no model (fast).
    embedder: str = Field("minilm", pattern="^(minilm|hashing)$")
    # Store lessons distilled from failures and their fixes after every task.
    lessons: bool = True


class IndexSettings(BaseModel):
    """The workspace index (server: initializationOptions {"index": {...}}, camelCase or snake_case)."""

    model_config = ConfigDict(extra="forbid")
    # Start indexing at `initialized` (else on the first index request): opening a folder never loads torch
    # by surprise.
    auto_start: bool = False
    watch: bool = True  # follow on-disk changes with the file watcher
    model: str | None = None  # a local sentence-transformers model folder; None = the shipped MiniLM
    # onnx: int8 ONNX export of `model` run by onnxruntime (exported once, cached under the models dir; no torch
    # in the indexing process); onnx-fp32: the same unquantised; torch: sentence-transformers. Both onnx
    # backends fall back to torch when the export can't be built or loaded.
    embedder: Literal["onnx", "onnx-fp32", "torch"] = "onnx"
    # Chunks embedded at the same time, one core each (onnx; torch: its intra-op threads); 0 = the cores
    # available, at most 4. A single text (a query) always runs on one thread.
    embed_threads: int = Field(0, ge=0, le=64)
    # Word pieces of a chunk the model reads (0 = the model's own limit, 256 for MiniLM); changing it
    # re-embeds the index. 128 embeds ~1.4x faster at some loss of retrieval quality (docs/benchmarks.md).
    embed_max_tokens: int = Field(0, ge=0, le=512)
    max_file_bytes: int = Field(1_000_000, ge=1)
    max_line_chars: int = Field(2_000, ge=1)  # a longer line means minified / generated
    skip_generated: bool = True
    extra_ignores: list[str] = Field(default_factory=list)  # .gitignore-style, on top of the workspace's
    # While the index is being built, a search waits up to this long for it before answering from what is there.
    search_wait_s: float = Field(20.0, ge=0)


class MaxSettings(BaseModel):
    """Max Mode: N candidates in isolated scratch trees, checked, a low-temperature judge picks one."""

    model_config = ConfigDict(extra="forbid")
    n: int = Field(0, ge=0, le=16)  # candidates per round; 0 = off (the long-horizon agent)
    # first_pass: stop at the first candidate that passes every check; judge_all: make all N, then pick.
    selection: Literal["first_pass", "judge_all"] = "first_pass"
    rounds: int = Field(2, ge=1, le=5)  # another round when no candidate passes the checks
    # function: the model rewrites one function in a code block (what a small model can do); agent: each
    # candidate is a whole agent run; auto: function below 1B parameters (GGUF metadata), else agent.
    format: Literal["auto", "function", "agent"] = "auto"
    temperature: float = Field(0.8, ge=0.0, le=2.0)  # of the samples after the first (greedy) candidate
    # Candidates copy code, which a repetition penalty punishes: measured on the shipped model, 1.15 took
    # the function format from 15/40 to 6/40 tasks solved greedily (benchmarks/edit_formats.py).
    repeat_penalty: float = Field(1.0, ge=1.0, le=2.0)
    # Node-level candidates (the long-horizon agent, max.n = 0): a plan node whose checks still fail after
    # its retries gets this many more independent attempts at `temperature`, each from the node's start
    # checkpoint with the failed retries' summary; the first that passes the node's checks is kept.
    node_n: int = Field(0, ge=0, le=8)


class ScaleSettings(BaseModel):
    """Fan-out of Max Mode candidates to a Ray cluster (mimo_lsp/scale/ray_pool.py; docs/architecture.md)."""

    model_config = ConfigDict(extra="forbid")
    # "" = off (candidates run in this process). Else what `ray.init(address=...)` takes: "auto" (the cluster
    # started on this machine with `ray start`), "HOST:PORT" (its GCS) or "ray://HOST:10001" (Ray Client).
    ray_address: str = ""
    # A candidate whose worker process dies is run again this many times (Ray's max_retries), then reported
    # failed (outcome "error"); never applied twice: only the coordinator applies, once.
    task_retries: int = Field(1, ge=0, le=5)
    # The coordinator gives up on the candidates of a round still unfinished after this long (they are
    # cancelled and reported failed).
    round_timeout_s: float = Field(1800.0, gt=0)


class RoleSettings(BaseModel):
    """Per-role model overrides; a role left out uses [model]. Fields not given inherit from [model]."""

    model_config = ConfigDict(extra="forbid")
    planner: dict[str, Any] | None = None
    executor: dict[str, Any] | None = None
    judge: dict[str, Any] | None = None
    summarizer: dict[str, Any] | None = None


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: ModelSettings = Field(default_factory=ModelSettings)
    roles: RoleSettings = Field(default_factory=RoleSettings)
    memory: MemorySettings = Field(default_factory=MemorySettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    checkpoints: CheckpointSettings = Field(default_factory=CheckpointSettings)
    safety: SafetySettings = Field(default_factory=SafetySettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    max: MaxSettings = Field(default_factory=MaxSettings)
    scale: ScaleSettings = Field(default_factory=ScaleSettings)


def user_config_path() -> Path:
    base = os.environ.get("MIMO_CONFIG_HOME") or os.path.join(
        os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config"), "mimo"
    )
    return Path(base) / "config.toml"


def workspace_config_path(workspace: Path) -> Path:
    return workspace / ".mimo" / "config.toml"


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from exc


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if key == "rules" and isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = out[key] + value  # policy rules accumulate across layers; the last match wins
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


class LayeredSettings(BaseModel):
    """Merged settings plus where the model spec came from (for error messages) and what the workspace's
    own config asked for that loosens safety (ignored until the user trusts the workspace)."""

    settings: Settings
    model_source: str = "default"
    trust: TrustReport | None = None


def _workspace_layer(workspace: Path, base: dict[str, Any]) -> tuple[dict[str, Any], TrustReport | None]:
    """The workspace's config, minus what loosens safety unless the user trusts it (safety/trust.py)."""
    wpath = workspace_config_path(workspace)
    mimo_dir = workspace / ".mimo"
    if not (wpath.exists() or wpath.is_symlink()):
        return {}, None
    report = TrustReport(workspace=str(workspace), config=str(wpath))
    if mimo_dir.is_symlink() or wpath.is_symlink() or not _inside_dir(wpath, workspace):
        report.ignored = report.loosening = [IgnoredSetting(
            key="(the whole file)", value=str(wpath.resolve()), why="a symlink or outside the workspace")]
        return {}, report
    data = _read_toml(wpath)
    kept, loose = split_workspace_layer(workspace, data, base)
    report.loosening, report.digest = loose, digest_of(loose)
    if loose and is_trusted(workspace, report.digest):
        report.trusted = True
        return data, report
    report.ignored = loose
    return kept, report


def _inside_dir(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except (ValueError, OSError):
        return False


def load_settings(workspace: Path | None, overrides: dict[str, Any] | None = None) -> LayeredSettings:
    user = _read_toml(user_config_path())
    layers: list[tuple[str, dict[str, Any]]] = [("user config " + str(user_config_path()), user)]
    trust = None
    if workspace is not None:
        try:
            base = _deep_merge(Settings().model_dump(), user)
        except ValidationError:
            base = Settings().model_dump()  # the user config's own error is reported below
        data, trust = _workspace_layer(workspace, base)
        layers.append(("workspace config " + str(workspace_config_path(workspace)), data))
    layers.append(("explicit", overrides or {}))
    merged: dict[str, Any] = {}
    source = "default"
    for name, data in layers:
        if (data.get("model") or {}).get("spec"):
            source = name
        merged = _deep_merge(merged, data)
        try:
            Settings.model_validate(merged)
        except ValidationError as exc:
            raise ConfigError(f"invalid settings in {name}: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}") from exc
    settings = Settings.model_validate(merged)
    for role in ROLES:
        try:
            role_model(settings, role)
        except ValidationError as exc:
            raise ConfigError(f"invalid settings for model role {role}: {exc.errors()[0]['loc']}: "
                              f"{exc.errors()[0]['msg']}") from exc
    return LayeredSettings(settings=settings, model_source=source, trust=trust)


ROLES = ("planner", "executor", "judge", "summarizer")


def snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def overrides_from_client(raw: Any) -> tuple[dict[str, Any], list[str]]:
    """An editor's initializationOptions -> the explicit settings layer, plus what was left out and why.

    Keys may be camelCase or snake_case. Unknown keys and invalid values are dropped and named in the
    returned list (the server reports them to the user), never fatal: one bad key must not stop every task.
    """
    problems: list[str] = []

    def walk(model: type[BaseModel], data: Any, where: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            problems.append(f"{where or 'initializationOptions'}: expected an object, got {type(data).__name__}")
            return {}
        out: dict[str, Any] = {}
        for key, value in data.items():
            name = snake(str(key))
            path = f"{where}.{key}" if where else str(key)
            field = model.model_fields.get(name)
            if field is None:
                problems.append(f"{path}: unknown setting (ignored)")
                continue
            sub = field.annotation
            if isinstance(sub, type) and issubclass(sub, BaseModel):
                out[name] = walk(sub, value, path)
                continue
            try:
                model.model_validate({name: value})
                if model is RoleSettings and value is not None:
                    ModelSettings.model_validate(value)
            except ValidationError as exc:
                problems.append(f"{path}: {exc.errors()[0]['msg']} (ignored)")
                continue
            out[name] = value
        return out

    return walk(Settings, raw if raw is not None else {}, ""), problems



def role_model(settings: Settings, role: str) -> ModelSettings | None:
    """The model settings of a role, or None when the role uses the main model."""
    override = getattr(settings.roles, role)
    if not override:
        return None
    return ModelSettings.model_validate({**settings.model.model_dump(), **override})
