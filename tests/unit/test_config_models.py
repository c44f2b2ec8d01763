"""Settings layering and model resolution: explicit > workspace > user > shipped default."""

from __future__ import annotations

from pathlib import Path

import pytest

from mimo_lsp.config import ConfigError, load_settings
from mimo_lsp.llm.models import load_manifest, resolve_model, verify_gguf
from mimo_lsp.llm.port import ModelError


@pytest.fixture
def user_home(tmp_path: Path, monkeypatch) -> Path:
    home = tmp_path / "user"
    home.mkdir()
    monkeypatch.setenv("MIMO_CONFIG_HOME", str(home))
    return home


def _gguf(path: Path) -> Path:
    path.write_bytes(b"GGUF" + b"\0" * 2048)
    return path


def test_model_spec_precedence(tmp_path: Path, user_home: Path):
    ws = tmp_path / "ws"
    (ws / ".mimo").mkdir(parents=True)
    assert load_settings(ws).model_source == "default"
    (user_home / "config.toml").write_text('[model]\nspec = "user.gguf"\nn_ctx = 2048\n')
    layered = load_settings(ws)
    assert layered.settings.model.spec == "user.gguf" and layered.model_source.startswith("user config")
    (ws / ".mimo" / "config.toml").write_text('[model]\nspec = "ws.gguf"\n')
    layered = load_settings(ws)
    assert layered.settings.model.spec == "ws.gguf" and layered.model_source.startswith("workspace config")
    assert layered.settings.model.n_ctx == 2048  # untouched keys come from lower layers
    layered = load_settings(ws, {"model": {"spec": "explicit.gguf"}})
    assert layered.settings.model.spec == "explicit.gguf" and layered.model_source == "explicit"


def test_bad_config_names_its_source(tmp_path: Path, user_home: Path):
    (user_home / "config.toml").write_text("[model\n")
    with pytest.raises(ConfigError, match="config.toml"):
        load_settings(None)
    (user_home / "config.toml").write_text('[agent]\nmax_steps_per_node = "many"\n')
    with pytest.raises(ConfigError, match="max_steps_per_node"):
        load_settings(None)


def test_manifest_lists_default_and_recommended_models():
    manifest = load_manifest()
    assert manifest.default == "smollm2-135m-instruct"
    shipped = manifest.models[manifest.default]
    assert len(shipped.sha256) == 64 and shipped.size_bytes > 0
    assert {"qwen2.5-coder-7b-instruct", "mimo-7b-rl"} <= set(manifest.models)


def test_resolution_by_path_name_and_scripted(tmp_path: Path, monkeypatch):
    path = _gguf(tmp_path / "m.gguf")
    assert resolve_model(str(path)).path == path
    monkeypatch.setenv("MIMO_MODELS_DIR", str(tmp_path))
    _gguf(tmp_path / "qwen2.5-coder-7b-instruct-q4_k_m.gguf")
    assert resolve_model("qwen2.5-coder-7b-instruct").path.parent == tmp_path
    script = tmp_path / "s.json"
    script.write_text("[]")
    assert resolve_model(f"scripted:{script}").kind == "scripted"


def test_missing_models_name_where_they_looked(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("MIMO_MODELS_DIR", str(tmp_path))
    with pytest.raises(ModelError, match="model 'mimo-7b-rl' not found: looked for .*MiMo-7B-RL-Q4_K_M.gguf"):
        resolve_model("mimo-7b-rl")
    with pytest.raises(ModelError, match="scripted model file not found"):
        resolve_model(f"scripted:{tmp_path / 'none.json'}")
    (tmp_path / "empty.gguf").write_bytes(b"GGUF")
    with pytest.raises(ModelError, match="truncated"):
        verify_gguf(tmp_path / "empty.gguf")
