"""The ONNX embedder (onnx_embedder.py, onnx_export.py) on the shipped MiniLM: agreement with torch, truncation,
fallback to torch when the artefact is missing or corrupt, no torch in the indexing process."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from mimo_lsp.index import OnnxEmbedder, SentenceTransformerEmbedder, chunk_file
from mimo_lsp.index.embeddings import default_model_path
from mimo_lsp.index.onnx_embedder import AutoEmbedder, make_embedder
from mimo_lsp.index.onnx_export import artefact_dir, ensure_artefact
from mimo_lsp.index.records import embed_text

pytestmark = pytest.mark.real_index
REPO = Path(__file__).resolve().parents[2]


def _code_chunks(limit: int = 60) -> list[str]:
    """Real chunks of this repo's index package, as the index embeds them (short and long ones)."""
    texts = []
    for p in sorted((REPO / "mimo_lsp" / "index").glob("*.py")):
        texts += [embed_text(c) for c in chunk_file(f"mimo_lsp/index/{p.name}", p.read_text(encoding="utf-8"))]
    return texts[:: max(1, len(texts) // limit)][:limit]


@pytest.fixture(scope="module")
def torch_embedder() -> SentenceTransformerEmbedder:
    emb = SentenceTransformerEmbedder()
    emb.embed(["warm up"])
    return emb


@pytest.fixture(scope="module")
def int8() -> OnnxEmbedder:
    emb = OnnxEmbedder(variant="int8")  # the cached export (made on first use, in a child process)
    emb.load()
    return emb


def test_onnx_embeddings_agree_with_torch(torch_embedder, int8):
    texts = _code_chunks()
    want = torch_embedder.embed(texts)
    fp32 = OnnxEmbedder(variant="fp32")
    for emb, per_text, mean in ((fp32, 0.999, 0.9995), (int8, 0.97, 0.99)):
        got = emb.embed(texts)
        assert got.shape == want.shape and got.dtype == want.dtype
        cos = (got * want).sum(axis=1)
        # Measured on 335 django chunks: fp32 1.0000; int8 (per-channel) mean 0.9945, min 0.986.
        assert cos.min() > per_text, (emb.variant, cos.min())
        assert cos.mean() > mean, (emb.variant, cos.mean())


def test_truncation_only_drops_what_the_model_would_not_read(int8):
    tok = int8._tokenizer
    short = "def add(a, b):\n    return a + b"
    spaced = "x" + " " * 3000 + "def tail_function(): pass"  # long in characters, few pieces: the cut undone
    long = "\n".join(f"value_{i} = compute_value({i}, other_argument)" for i in range(400))
    for text in (short, spaced, long):
        assert int8.token_ids([text])[0] == tok.encode(text).ids
    assert len(int8.token_ids([long])[0]) == 256
    assert "tail" in tok.decode(int8.token_ids([spaced])[0])
    # A text under 256 pieces embeds the same alone and beside long texts: int8 runs one text at a time.
    alone = int8.embed([short])[0]
    assert float(alone @ int8.embed([long, short, spaced, long])[1]) > 0.99999
    # Batched, padding is masked out (fp32: exact); int8's per-tensor activation range makes a batch-mate
    # matter a little, which is why int8 runs unbatched.
    batched = OnnxEmbedder(variant="int8", batch_size=16).embed([long, short, spaced, long])[1]
    assert 0.98 < float(alone @ batched) < 0.9999


def test_corrupt_artefact_falls_back_to_torch_with_a_log_line(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("MIMO_MODELS_DIR", str(tmp_path))
    model_dir = Path(default_model_path())
    dest = artefact_dir(model_dir, "int8")
    dest.mkdir(parents=True)
    (dest / "model.onnx").write_bytes(b"not an onnx model")
    assert ensure_artefact(model_dir, "int8") == dest / "model.onnx"  # cached: no export attempted
    emb = AutoEmbedder()
    with caplog.at_level(logging.WARNING, logger="mimo_lsp.index.onnx_embedder"):
        assert emb.backend == "torch"
    assert "falling back to sentence-transformers" in caplog.text
    assert emb.fallback_reason and emb.name.startswith("sentence-transformers:")


def test_failed_export_falls_back_to_torch(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("MIMO_MODELS_DIR", str(tmp_path / "models"))
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    emb = AutoEmbedder(model_path=str(broken))
    with caplog.at_level(logging.WARNING, logger="mimo_lsp.index.onnx_embedder"):
        assert emb.backend == "torch"
    assert "ONNX export failed" in (emb.fallback_reason or "")
    assert "falling back" in caplog.text
    assert not any((tmp_path / "models" / "embeddings").glob("*/model.onnx"))


def test_opening_an_index_does_not_wait_for_the_model():
    emb = AutoEmbedder()
    assert (emb.name, emb.dim) == ("onnx-int8:all-MiniLM-L6-v2", 384)
    assert emb._inner is None  # nothing exported or loaded yet


def test_settings_choose_the_backend():
    assert isinstance(make_embedder("torch"), SentenceTransformerEmbedder)
    assert make_embedder("onnx-fp32").variant == "fp32"
    with pytest.raises(ValueError):
        make_embedder("cuda")


def test_default_index_build_never_imports_torch(tmp_path, int8):
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from mimo_lsp.index import WorkspaceIndex\n"
        "root = Path(sys.argv[1])\n"
        "index = WorkspaceIndex(root, root / '.mimo' / 'index')\n"
        "stats = index.build()\n"
        "assert stats.embedded == stats.chunks > 0 and not stats.errors, stats\n"
        "assert index.embedder.name.startswith('onnx-int8:'), index.embedder.name\n"
        "assert [h.symbol for h in index.search('sum of two numbers', k=1, mode='vector')] == ['add']\n"
        "assert 'torch' not in sys.modules\n"
    )
    (tmp_path / "calc.py").write_text("def add(a, b):\n    return a + b\n\n\ndef shout(s):\n    return s.upper()\n")
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, cwd=REPO, timeout=300)


def test_artefact_keeps_residual_add_and_layer_norm_apart(int8):
    # onnxruntime's SkipLayerNormalization kernel took ~20 % of a run here, Add + LayerNormalization ~4 %:
    # the export does not fuse them (recipe 2) and the session does not fuse them again at load.
    import onnx

    ops = {n.op_type for n in onnx.load(int8.onnx_path).graph.node}
    assert "SkipLayerNormalization" not in ops and "LayerNormalization" in ops
    assert {"QAttention", "BiasGelu"} <= ops


def test_threads_run_texts_side_by_side_with_the_same_vectors(int8, monkeypatch):
    import threading

    texts = _code_chunks(24)
    one = OnnxEmbedder(variant="int8", threads=1)
    two = OnnxEmbedder(variant="int8", threads=2, onnx_path=int8.onnx_path)
    seen: list[str] = []
    run = OnnxEmbedder._run

    def spy(self, rows):
        seen.append(threading.current_thread().name)
        return run(self, rows)

    monkeypatch.setattr(OnnxEmbedder, "_run", spy)
    want = one.embed(texts)
    assert set(seen) == {threading.current_thread().name}  # one thread: the caller's
    seen.clear()
    got = two.embed(texts)
    assert len(seen) == len(texts) and {n.split("_")[0] for n in seen} == {"mimo-embed"}
    assert len(set(seen)) == 2  # both workers ran (24 texts of ~10 ms each)
    # Every run is single-threaded and unbatched, so running side by side changes no vector.
    assert float(abs(got - want).max()) == 0.0
    seen.clear()
    two.embed(["a query"])
    assert seen == [threading.current_thread().name]  # a single text never waits for the pool


def test_threads_setting_and_its_default(monkeypatch):
    from mimo_lsp.index import onnx_embedder

    monkeypatch.setattr(onnx_embedder, "available_cores", lambda: 16)
    assert make_embedder().threads == onnx_embedder.MAX_THREADS == 4
    monkeypatch.setattr(onnx_embedder, "available_cores", lambda: 2)
    assert make_embedder().threads == 2 and make_embedder(threads=0).threads == 2
    assert make_embedder(threads=3).threads == 3
    assert make_embedder("torch", threads=3).threads == 3


def test_max_tokens_limits_what_the_model_reads(int8):
    long = "\n".join(f"value_{i} = compute_value({i}, other_argument)" for i in range(400))
    short = "def add(a, b):\n    return a + b"
    emb = OnnxEmbedder(variant="int8", max_tokens=32, onnx_path=int8.onnx_path)
    emb.load()
    assert len(emb.token_ids([long])[0]) == 32 and emb.token_ids([short]) == int8.token_ids([short])
    assert emb.name == "onnx-int8:all-MiniLM-L6-v2:32" and int8.name == "onnx-int8:all-MiniLM-L6-v2"
    assert float(emb.embed([short])[0] @ int8.embed([short])[0]) > 0.99999  # under the limit: unchanged
    # The same limit in torch: the two backends still agree (a fallback stores torch vectors under the
    # ONNX name), and the limit cuts: the long text's vector moves.
    texts = _code_chunks(20) + [long]
    st = SentenceTransformerEmbedder(max_seq_length=32)
    assert st.name == "sentence-transformers:all-MiniLM-L6-v2:32"
    cos = (emb.embed(texts) * st.embed(texts)).sum(axis=1)
    assert cos.min() > 0.97, cos.min()
    assert float(emb.embed([long])[0] @ int8.embed([long])[0]) < 0.99
    # A limit above the model's own is the model's own.
    wide = OnnxEmbedder(variant="int8", max_tokens=4096, onnx_path=int8.onnx_path)
    wide.load()
    assert len(wide.token_ids([long])[0]) == 256


def test_settings_reach_the_embedder():
    from types import SimpleNamespace

    from mimo_lsp.app.index import configure_index
    from mimo_lsp.config import IndexSettings

    service = SimpleNamespace(options=None, embedder=None)
    configure_index(service, IndexSettings(embed_threads=3, embed_max_tokens=64))
    assert (service.embedder.threads, service.embedder.max_tokens) == (3, 64)
    assert service.embedder.name.endswith(":64")  # known without loading the model
    service = SimpleNamespace(options=None, embedder=None)
    configure_index(service, IndexSettings(embedder="torch", embed_max_tokens=64))
    assert service.embedder.max_seq_length == 64
