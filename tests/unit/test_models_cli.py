"""`mimo models list | pull | verify` through the real CLI, downloading with huggingface_hub from a loopback
server that serves a file the way the Hub does (HEAD /{repo}/resolve/{rev}/{file} with ETag = sha256,
X-Repo-Commit and Content-Length; GET with Range requests): a whole pull, an interrupted pull that resumes,
a corrupt file refused, a changed file caught by verify, and the roles per the user's settings."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

REPO_ID, HUB_FILE, NAME, LOCAL_FILE = "mimo-test/tiny", "tiny.gguf", "tiny-test", "tiny-test.gguf"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
# Larger than huggingface_hub's 10 MB download chunk, so that an interrupted pull leaves bytes on disk.
CONTENT = b"GGUF" + random.Random(7).randbytes(14 * 1024 * 1024 - 4)
SLOW_AFTER = 11 * 1024 * 1024
SHA = hashlib.sha256(CONTENT).hexdigest()


class HubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "FakeHub"

    def log_message(self, *args: Any) -> None:
        pass

    def _known(self) -> bool:
        if self.path.split("?")[0] == f"/{REPO_ID}/resolve/main/{HUB_FILE}":
            return True
        self.send_response(404)
        self.send_header("X-Error-Code", "EntryNotFound")
        self.send_header("Content-Length", "0")
        self.end_headers()
        return False

    def do_HEAD(self) -> None:
        self.server.requests.append(("HEAD", self.headers.get("Range")))
        if self._known():
            self.send_response(200)
            self.send_header("ETag", f'"{SHA}"')
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("Content-Length", str(len(CONTENT)))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()

    def do_GET(self) -> None:
        rng = self.headers.get("Range")
        self.server.requests.append(("GET", rng))
        if not self._known():
            return
        body = bytearray(CONTENT)
        if self.server.corrupt:
            body[len(body) // 2] ^= 0xFF
        start = int(rng.split("=")[1].split("-")[0]) if rng else 0
        self.send_response(206 if rng else 200)
        if rng:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.send_header("Content-Length", str(len(body) - start))
        self.send_header("ETag", f'"{SHA}"')
        self.end_headers()
        chunk = 64 * 1024
        try:
            for i in range(start, len(body), chunk):
                self.wfile.write(bytes(body[i:i + chunk]))
                self.server.sent += min(chunk, len(body) - i)
                if self.server.slow and i > SLOW_AFTER:
                    time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass


class FakeHub(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), HubHandler)
        self.requests: list[tuple[str, str | None]] = []
        self.sent = 0
        self.slow = False
        self.corrupt = False


@pytest.fixture
def hub():
    srv = FakeHub()
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def env(tmp_path: Path, hub: FakeHub) -> dict[str, str]:
    manifest = (REPO / "models" / "manifest.toml").read_text() + f"""
[models.{NAME}]
file = "{LOCAL_FILE}"
hf_repo = "{REPO_ID}"
hf_file = "{HUB_FILE}"
size_bytes = {len(CONTENT)}
sha256 = "{SHA}"
"""
    (tmp_path / "manifest.toml").write_text(manifest)
    (tmp_path / "config").mkdir()
    # Not HF_* nor TRANSFORMERS_OFFLINE: an index test in the same process sets them for its offline model.
    out = {k: v for k, v in os.environ.items() if not k.startswith("HF_") and k != "TRANSFORMERS_OFFLINE"}
    out.update(MIMO_MODELS_MANIFEST=str(tmp_path / "manifest.toml"), MIMO_MODELS_DIR=str(tmp_path / "models"),
               MIMO_CONFIG_HOME=str(tmp_path / "config"), HF_HOME=str(tmp_path / "hf"),
               HF_ENDPOINT=f"http://127.0.0.1:{hub.server_address[1]}", PYTHONPATH=str(REPO))
    return out


def mimo(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mimo_lsp.cli", "models", *args], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=120)


def test_pull_downloads_verifies_and_places_the_file_where_resolution_finds_it(env, hub, monkeypatch):
    proc = mimo({**env, "TQDM_POSITION": "-1"}, "pull", NAME)  # a bar even without a terminal
    assert proc.returncode == 0, proc.stderr
    dest = Path(env["MIMO_MODELS_DIR"]) / LOCAL_FILE
    assert dest.read_bytes() == CONTENT
    assert not list(dest.parent.glob("*.part*"))
    assert ("HEAD", None) in hub.requests and ("GET", None) in hub.requests
    assert f"{LOCAL_FILE}: 100%" in proc.stderr, "huggingface_hub's progress bar"
    for key in ("MIMO_MODELS_MANIFEST", "MIMO_MODELS_DIR"):
        monkeypatch.setenv(key, env[key])
    from mimo_lsp.llm.models import resolve_model

    assert resolve_model(NAME).path == dest
    rows = {r["name"]: r for r in json.loads(mimo(env, "list", "--json").stdout)}
    assert rows[NAME]["present"] is True and rows[NAME]["sha256_ok"] is True
    assert rows[NAME]["size_bytes"] == len(CONTENT) and rows[NAME]["file"] == LOCAL_FILE
    # A second pull finds it and downloads nothing.
    hub.requests.clear()
    assert mimo(env, "pull", NAME).returncode == 0 and hub.requests == []


def test_an_interrupted_pull_resumes_with_a_range_request(env, hub):
    hub.slow = True
    first = subprocess.Popen([sys.executable, "-m", "mimo_lsp.cli", "models", "pull", "--quiet", NAME], env=env,
                             cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    part = Path(env["MIMO_MODELS_DIR"]) / f"{LOCAL_FILE}.part"
    deadline = time.monotonic() + 60
    while not (part.exists() and part.stat().st_size) and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(first.pid, signal.SIGKILL)  # Ctrl-C, a crash, a closed laptop
    first.wait(timeout=30)
    have = part.stat().st_size
    assert 0 < have < len(CONTENT)
    assert not (Path(env["MIMO_MODELS_DIR"]) / LOCAL_FILE).exists()
    hub.slow = False
    proc = mimo(env, "pull", NAME)
    assert proc.returncode == 0, proc.stderr
    assert hub.requests[-1] == ("GET", f"bytes={have}-"), hub.requests
    assert (Path(env["MIMO_MODELS_DIR"]) / LOCAL_FILE).read_bytes() == CONTENT


def test_a_corrupt_download_is_refused_and_not_placed(env, hub):
    hub.corrupt = True
    proc = mimo(env, "pull", NAME)
    assert proc.returncode == 2
    assert "corrupt" in proc.stderr and env["HF_ENDPOINT"] in proc.stderr and SHA in proc.stderr
    models = Path(env["MIMO_MODELS_DIR"])
    assert not (models / LOCAL_FILE).exists() and not list(models.glob("*.part*"))


def test_verify_catches_a_changed_file(env, hub):
    assert mimo(env, "pull", NAME).returncode == 0
    assert mimo(env, "verify", NAME).returncode == 0
    dest = Path(env["MIMO_MODELS_DIR"]) / LOCAL_FILE
    data = bytearray(dest.read_bytes())
    data[100] ^= 0xFF
    dest.write_bytes(bytes(data))
    proc = mimo(env, "verify", NAME, "--json")
    assert proc.returncode == 1
    [row] = json.loads(proc.stdout)
    assert row["ok"] is False and SHA in row["detail"]
    assert json.loads(mimo(env, "list", "--json").stdout)[-1]["sha256_ok"] is False


def test_pull_errors_name_the_model_or_the_url(env, hub, tmp_path):
    proc = mimo(env, "pull", "no-such-model")
    assert proc.returncode == 2 and "unknown model 'no-such-model'" in proc.stderr and NAME in proc.stderr
    proc = mimo(env, "pull", "mimo-7b-rl")
    assert proc.returncode == 2 and "no download source" in proc.stderr
    manifest = Path(env["MIMO_MODELS_MANIFEST"])
    manifest.write_text(manifest.read_text().replace(f'hf_file = "{HUB_FILE}"', 'hf_file = "gone.gguf"'))
    proc = mimo(env, "pull", NAME)
    assert proc.returncode == 2 and f"{env['HF_ENDPOINT']}/{REPO_ID}/resolve/main/gone.gguf" in proc.stderr


def test_list_names_the_roles_per_the_user_settings(env, hub):
    Path(env["MIMO_CONFIG_HOME"], "config.toml").write_text(
        f'[roles.judge]\nspec = "{NAME}"\n[roles.summarizer]\nspec = "openai:http://127.0.0.1:9/v1#m"\n')
    rows = {r["name"]: r for r in json.loads(mimo(env, "list", "--json").stdout)}
    assert rows["smollm2-135m-instruct"]["roles"] == ["planner", "executor"]
    assert rows[NAME]["roles"] == ["judge"] and rows[NAME]["present"] is False
    assert rows["openai:http://127.0.0.1:9/v1#m"]["roles"] == ["summarizer"]
    assert {type(r["gpu_offload"]) for r in rows.values()} == {bool}
    text = mimo(env, "list").stdout
    assert text.startswith("GPU offload: ") and "roles: judge" in text
