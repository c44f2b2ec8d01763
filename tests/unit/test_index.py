"""Tests for mimo_lsp.index: real tree-sitter, real MiniLM embeddings, real hnswlib."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from mimo_lsp.index import (
    IndexStats,
    SearchFilters,
    SentenceTransformerEmbedder,
    WorkspaceIndex,
    chunk_file,
)

# --- chunker -------------------------------------------------------------------

PY_SOURCE = '''\
"""Billing helpers."""

import functools
from decimal import Decimal

TAX = Decimal("0.2")


def total(items):
    return sum(items)


class Invoice:
    """An invoice."""

    def __init__(self, items):
        self.items = items

    def amount(self):
        return total(self.items)


@functools.cache
def rate(code):
    return TAX
'''


def _by_symbol(chunks):
    return {c.symbol: c for c in chunks}


def test_chunker_python_definitions():
    chunks = chunk_file("pkg/billing.py", PY_SOURCE)
    got = [(c.kind, c.symbol, c.start_line, c.end_line) for c in chunks]
    assert got == [
        ("module", None, 1, 6),
        ("function", "total", 9, 10),
        ("class", "Invoice", 13, 14),
        ("method", "Invoice.__init__", 16, 17),
        ("method", "Invoice.amount", 19, 20),
        ("function", "rate", 23, 25),
    ]
    module = chunks[0]
    assert "import functools" in module.text and "from decimal import Decimal" in module.text
    assert module.text.startswith('"""Billing helpers."""')
    by = _by_symbol(chunks)
    assert by["rate"].text.startswith("@functools.cache\ndef rate(code):")
    assert by["Invoice.amount"].text == "    def amount(self):\n        return total(self.items)"
    assert all(c.path == "pkg/billing.py" for c in chunks)
    # Line ranges agree with the text they carry.
    lines = PY_SOURCE.split("\n")
    for c in chunks:
        assert c.text == "\n".join(lines[c.start_line - 1 : c.end_line])


def test_chunker_comments_and_class_attributes_after_methods():
    src = textwrap.dedent(
        """\
        class Config:
            def load(self):
                return 1

            # trailing attribute block belongs to the class
            DEFAULT = 3


        # Explains helper.
        def helper():
            pass
        """
    )
    chunks = chunk_file("c.py", src)
    got = [(c.kind, c.symbol, c.start_line, c.end_line) for c in chunks]
    assert got == [
        ("class", "Config", 1, 1),
        ("method", "Config.load", 2, 3),
        ("class", "Config", 5, 6),
        ("function", "helper", 9, 11),
    ]


def test_chunker_syntax_error_still_chunks():
    src = "import os\n\ndef broken(:\n    return 1\n\n\ndef fine(x):\n    return x + 1\n"
    chunks = chunk_file("bad.py", src)
    assert chunks
    text = "\n".join(c.text for c in chunks)
    assert "import os" in text and "def fine(x):" in text
    assert all(1 <= c.start_line <= c.end_line <= 8 for c in chunks)


def test_chunker_markdown_windows():
    md = "\n".join(f"line {i} of the guide" if i % 10 else f"# Section {i}" for i in range(1, 101))
    chunks = chunk_file("docs/guide.md", md)
    assert len(chunks) >= 3
    assert all(c.kind == "text" and c.symbol is None for c in chunks)
    assert chunks[0].start_line == 1 and chunks[-1].end_line == 100
    assert all(c.end_line - c.start_line + 1 <= 40 for c in chunks)
    covered = {i for c in chunks for i in range(c.start_line, c.end_line + 1)}
    assert covered == set(range(1, 101))
    assert chunks[0].text.split("\n")[0] == "line 1 of the guide"


def test_chunker_empty_file():
    assert chunk_file("empty.py", "") == []
    assert chunk_file("blank.md", "\n\n  \n") == []


def test_fusions_combsum_keeps_score_gaps_rrf_only_ranks():
    from mimo_lsp.index.hybrid import combsum, fuse

    lexical = [(1, 9.0), (2, 8.9), (3, 1.0)]  # 1 and 2 nearly tied, 3 far behind
    vector = [(3, 0.80), (2, 0.79), (4, 0.10)]
    # RRF sees only ranks: 3 (ranks 3 + 1) edges out 2 (2 + 2) although BM25 scores 3 far below.
    assert [cid for cid, _ in fuse([lexical, vector])][:2] == [3, 2]
    # CombSUM: 2 is near the top of both lists (0.99 + 0.99) / 2; 3 tops one list, bottoms the other.
    fused = dict(combsum([lexical, vector], adaptive=False))
    assert max(fused, key=fused.get) == 2
    assert fused[2] == pytest.approx((7.9 / 8 + 0.69 / 0.70) / 2)
    assert fused[4] == 0.0 and fused[1] == pytest.approx(0.5)  # absent from a list = 0 there
    assert max(dict(combsum([lexical, vector])).items(), key=lambda kv: kv[1])[0] == 2  # confidence-weighted too
    assert combsum([[(7, 0.5)], []]) == [(7, 1.0)]  # a one-hit list and an empty one


def test_combsum_weights_each_list_by_its_confidence():
    from mimo_lsp.index.hybrid import combsum, confidence

    # BM25 separates its top hit from the rest; the vector list is nearly flat (every chunk ~0.35 cosine),
    # which min-max stretches to 0..1 as if it were as sure as BM25.
    lexical = [(1, 12.0), (2, 3.0), (3, 2.5), (4, 2.0), (5, 1.0)]
    vector = [(2, 0.36), (3, 0.359), (4, 0.358), (5, 0.357), (1, 0.35)]
    assert confidence(lexical) == pytest.approx(1 - (1 + 2 / 11 + 1.5 / 11 + 1 / 11 + 0) / 5)
    assert confidence(vector) < 0.5 < confidence(lexical)
    assert confidence([(9, 1.0)]) == 1.0 and confidence([(1, 2.0), (2, 2.0)]) == 0.0
    # every list flat (confidence 0 each): equal weights, not a ranking by chunk id alone
    flat_a, flat_b = [(5, 1.0), (3, 1.0)], [(3, 2.0), (4, 2.0)]
    assert combsum([flat_a, flat_b]) == combsum([flat_a, flat_b], adaptive=False)
    assert combsum([flat_a, flat_b])[0] == (3, 1.0)
    # Equal weights: 2 (top of the flat list, 2nd of BM25) wins; weighted, BM25's clear top 1 does.
    assert combsum([lexical, vector], adaptive=False)[0][0] == 2
    assert combsum([lexical, vector])[0][0] == 1
    # Two equally confident lists: the same order as equal weights.
    same = [(1, 3.0), (2, 2.0), (3, 1.0)]
    assert [c for c, _ in combsum([same, same[::-1]])] == [c for c, _ in combsum([same, same[::-1]], adaptive=False)]


def test_import_is_lazy():
    code = (
        "import sys, mimo_lsp.index\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'onnxruntime', 'tokenizers', 'hnswlib', 'tree_sitter') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


# --- real index ------------------------------------------------------------------

TREE = {
    "billing/__init__.py": "",
    "billing/invoice.py": '''\
        from decimal import Decimal


        def compute_invoice_total(line_items, tax_rate=Decimal("0.21")):
            """Return the grand total of an invoice."""
            subtotal = sum(item.unit_price * item.quantity for item in line_items)
            return (subtotal * (1 + tax_rate)).quantize(Decimal("0.01"))


        def apply_discount(amount, percent):
            if not 0 <= percent <= 100:
                raise ValueError("percent must be between 0 and 100")
            return amount * (100 - percent) / 100


        def format_currency(amount, currency="EUR"):
            symbols = {"EUR": "€", "USD": "$", "GBP": "£"}
            return f"{symbols.get(currency, currency)}{amount:,.2f}"
        ''',
    "utils/dates.py": '''\
        from datetime import date, datetime


        def parse_iso_date(value):
            """Parse 'YYYY-MM-DD' strings into a date object."""
            return datetime.strptime(value.strip(), "%Y-%m-%d").date()


        def days_between(start, end):
            return abs((end - start).days)


        def is_weekend(day):
            return day.weekday() >= 5
        ''',
    "utils/text.py": '''\
        import re
        import unicodedata


        def slugify(title):
            """Lowercase, strip accents and join words with dashes."""
            value = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
            value = re.sub(r"[^\\w\\s-]", "", value).strip().lower()
            return re.sub(r"[-\\s]+", "-", value)


        def truncate_words(text, limit):
            words = text.split()
            if len(words) <= limit:
                return text
            return " ".join(words[:limit]) + "..."
        ''',
    "notify/mailer.py": '''\
        import smtplib
        from email.message import EmailMessage


        def send_email(recipient, subject, body, host="localhost"):
            msg = EmailMessage()
            msg["To"] = recipient
            msg["Subject"] = subject
            msg.set_content(body)
            with smtplib.SMTP(host) as smtp:
                smtp.send_message(msg)


        def render_template(template, context):
            return template.format(**context)
        ''',
    "storage/cache.py": '''\
        from collections import OrderedDict


        class LRUCache:
            """Keeps the most recently used entries up to a capacity."""

            def __init__(self, capacity):
                self.capacity = capacity
                self.data = OrderedDict()

            def get(self, key):
                if key not in self.data:
                    return None
                self.data.move_to_end(key)
                return self.data[key]

            def put(self, key, value):
                self.data[key] = value
                self.data.move_to_end(key)
                if len(self.data) > self.capacity:
                    self.data.popitem(last=False)
        ''',
    "auth/passwords.py": '''\
        import hashlib
        import hmac
        import os


        def hash_password(password, salt=None):
            salt = salt or os.urandom(16)
            digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 100_000)
            return salt + digest


        def verify_password(password, stored):
            salt, digest = stored[:16], stored[16:]
            return hmac.compare_digest(hash_password(password, salt)[16:], digest)
        ''',
    "README.md": "# Shop backend\n\nInvoices, mail notifications and a small cache.\n",
}


def write_tree(root: Path, files: dict[str, str]) -> None:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(content), encoding="utf-8")


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    emb = SentenceTransformerEmbedder()
    emb.embed(["warm up"])  # pay the model load once per test session
    return emb


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    write_tree(root, TREE)
    return root


def make_index(root: Path, embedder) -> WorkspaceIndex:
    return WorkspaceIndex(root, root / ".mimo" / "index", embedder=embedder)


def top(index: WorkspaceIndex, query: str, k: int = 5, mode: str = "vector", **filters):
    hits = index.search(query, k=k, mode=mode, filters=SearchFilters(**filters) if filters else None)
    assert hits, query
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    return hits


@pytest.mark.real_index
def test_semantic_search_finds_function_described_in_other_words(workspace, embedder):
    index = make_index(workspace, embedder)
    stats = index.build()
    assert isinstance(stats, IndexStats)
    assert stats.errors == [] and stats.pending == 0
    assert stats.files == len(TREE)  # the empty __init__.py is tracked, with no chunks
    assert stats.embedded == stats.chunks > 15

    for mode in ("vector", "hybrid"):
        best = top(index, "add up the prices of the items on a bill including VAT", mode=mode)[0]
        assert (best.path, best.symbol, best.kind) == ("billing/invoice.py", "compute_invoice_total", "function")
        assert best.start_line == 4 and best.end_line == 7 and best.language == "python"
        assert best.snippet.startswith("def compute_invoice_total(")

    assert top(index, "turn a blog post title into a URL friendly string")[0].symbol == "slugify"
    assert top(index, "read a calendar day from text like 2024-01-31")[0].symbol == "parse_iso_date"
    assert top(index, "deliver a message to someone's inbox")[0].symbol == "send_email"
    lru = top(index, "a cache that discards the least recently used entries when full")[0]
    assert lru.path == "storage/cache.py" and (lru.symbol or "").startswith("LRUCache")
    assert top(index, "check a login secret against the stored hash")[0].symbol == "verify_password"
    # Lexical alone finds identifiers; hybrid keeps them on top, with either fusion.
    assert top(index, "pbkdf2_hmac", mode="lexical")[0].symbol == "hash_password"
    assert top(index, "LRUCache put", mode="hybrid")[0].symbol == "LRUCache.put"
    assert index.search("LRUCache put", 3, fusion="rrf")[0].symbol == "LRUCache.put"
    with pytest.raises(ValueError, match="unknown fusion"):
        index.search("x", 3, fusion="max")

    status = index.status()
    assert status["files"] == stats.files and status["chunks"] == stats.chunks
    assert status["pending"] == 0 and status["errors"] == 0 and status["lastUpdate"]
    assert (workspace / ".mimo" / "index" / "vectors.bin").is_file()


@pytest.mark.real_index
def test_search_filters(workspace, embedder):
    write_tree(workspace, {
        "web/cart.ts": """\
            export function addToCart(cart: Cart, item: Item): Cart {
              return { ...cart, items: [...cart.items, item] };
            }
            """,
        "svc/cart.go": """\
            package svc

            func AddToCart(cart *Cart, item Item) {
            \tcart.Items = append(cart.Items, item)
            }
            """,
    })
    index = make_index(workspace, embedder)
    index.build()
    query = "add an item to the shopping cart"
    langs = {h.language for h in index.search(query, k=50)}
    assert {"typescript", "go", "python"} <= langs
    assert {h.path for h in top(index, query, k=50, mode="hybrid", language="go")} == {"svc/cart.go"}
    assert {h.path for h in top(index, query, k=50, mode="lexical", language=["typescript", "go"])} == {
        "web/cart.ts", "svc/cart.go"}
    assert all(h.path.startswith("utils/") for h in top(index, "date", k=50, mode="hybrid", path="utils/*"))
    assert all(h.path.endswith(".py") for h in top(index, query, k=50, mode="vector", path="**/*.py"))
    kinds = top(index, "cache", k=50, mode="hybrid", kind=["method"])
    assert kinds and all(h.kind == "method" for h in kinds)
    assert index.search(query, k=5, filters=SearchFilters(language="cobol")) == []
    with pytest.raises(ValueError):
        index.search(query, mode="fuzzy")


@pytest.mark.real_index
def test_incremental_edit_delete_rename_and_persistence(workspace, embedder):
    index = make_index(workspace, embedder)
    first = index.build()
    assert first.errors == []
    assert index.build().embedded == 0  # unchanged tree: nothing embedded again

    # Edit one file by appending a function: only the new chunk is embedded, old ones keep vectors.
    edited = textwrap.dedent(TREE["utils/dates.py"]) + textwrap.dedent(
        '''

        def celsius_to_fahrenheit(degrees):
            return degrees * 9 / 5 + 32
        '''
    )
    (workspace / "utils/dates.py").write_text(edited, encoding="utf-8")
    progress: list[tuple[str, int, int]] = []
    second = index.build(progress=lambda stage, done, total: progress.append((stage, done, total)))
    assert second.errors == [] and second.embedded == 1
    assert second.chunks == first.chunks + 1
    assert ("embed", 1, 1) in progress and any(p[0] == "parse" for p in progress)
    hit = top(index, "convert a temperature reading to the imperial scale")[0]
    assert (hit.path, hit.symbol) == ("utils/dates.py", "celsius_to_fahrenheit")

    # Delete a file: its hits disappear from every list.
    (workspace / "notify/mailer.py").unlink()
    third = index.build()
    assert third.embedded == 0 and third.files == first.files - 1
    for mode in ("vector", "lexical", "hybrid"):
        assert all(h.path != "notify/mailer.py" for h in index.search("send an email over SMTP", k=50, mode=mode))

    # Rename: same content under a new path, found there only, without re-embedding.
    (workspace / "auth/passwords.py").rename(workspace / "auth/secrets.py")
    fourth = index.build()
    assert fourth.files == third.files and fourth.embedded == len(chunk_file("auth/x.py", textwrap.dedent(
        TREE["auth/passwords.py"])))  # the path is part of the embedded text
    paths = {h.path for h in index.search("hash a password with a random salt", k=50, mode="hybrid")}
    assert "auth/secrets.py" in paths and "auth/passwords.py" not in paths
    index.close()

    # A new instance over the same data_dir searches from disk without building.
    reopened = make_index(workspace, embedder)
    assert reopened.status()["chunks"] == fourth.chunks  # cheap status: read from the store
    hit = top(reopened, "add up the prices of the items on a bill including VAT")[0]
    assert hit.symbol == "compute_invoice_total"
    assert reopened.last_stats is None  # search did not trigger a build
    again = reopened.build()
    assert again.embedded == 0 and again.chunks == fourth.chunks and again.errors == []
    assert reopened.warnings == []


@pytest.mark.real_index
def test_unsaved_buffer_is_searchable_before_save(workspace, embedder):
    index = make_index(workspace, embedder)
    index.build()
    text = textwrap.dedent(TREE["utils/text.py"]) + "\n\ndef rot13_cipher(message):\n    return codecs.encode(message, 'rot13')\n"
    index.set_buffer("utils/text.py", text)
    # Lexically and by name at once, before any embedding.
    assert index.pending >= 1
    assert top(index, "rot13 cipher", mode="hybrid")[0].symbol == "rot13_cipher"
    assert top(index, "rot13", mode="lexical")[0].symbol == "rot13_cipher"
    index.embed_pending()
    assert top(index, "rotate letters to obscure a message")[0].symbol == "rot13_cipher"
    assert "rot13" not in (workspace / "utils/text.py").read_text()
    assert index.status()["unsavedBuffers"] == 1
    # Buffer text is never persisted: a new instance does not see it.
    index.save_graph()
    other = make_index(workspace, embedder)
    assert all(h.symbol != "rot13_cipher" for h in other.search("rot13 cipher", k=20, mode="lexical"))
    other.close()
    # Closing the buffer unsaved returns to the file on disk.
    index.drop_buffer("utils/text.py")
    assert all(h.symbol != "rot13_cipher" for h in index.search("rot13 cipher", k=20, mode="hybrid"))
    assert top(index, "slugify", mode="lexical")[0].symbol == "slugify"


@pytest.mark.real_index
def test_corrupt_index_files_are_rebuilt_with_a_warning(workspace, embedder):
    data_dir = workspace / ".mimo" / "index"
    first = make_index(workspace, embedder)
    stats = first.build()
    first.close()
    # A garbage vector graph is rebuilt from the vectors stored in SQLite: no re-embedding.
    (data_dir / "vectors.bin").write_bytes(b"not an hnsw index")
    index = make_index(workspace, embedder)
    again = index.build()
    assert any("vectors.bin unreadable" in e for e in again.errors), again.errors
    assert again.embedded == 0 and again.chunks == stats.chunks
    assert top(index, "add up the prices of the items on a bill including VAT")[0].symbol == "compute_invoice_total"
    assert index.status()["errors"] >= 1
    index.close()
    # A garbage database: everything is rebuilt, with a warning.
    for p in data_dir.glob("index.sqlite3*"):
        p.unlink()
    (data_dir / "index.sqlite3").write_bytes(b"SQLite format 3\0" + b"garbage" * 500)
    index = make_index(workspace, embedder)
    rebuilt = index.build()
    assert any("persisted index unusable" in e for e in rebuilt.errors), rebuilt.errors
    assert rebuilt.embedded == rebuilt.chunks == stats.chunks
    assert top(index, "turn a blog post title into a URL friendly string")[0].symbol == "slugify"
    index.close()


@pytest.mark.real_index
def test_ignore_rules_and_errors(workspace, embedder):
    write_tree(
        workspace,
        {
            ".gitignore": "# generated\nsecret_*.py\nbuild/\n/docs/private.md\n",
            "secret_keys.py": "def rotate_aws_credentials():\n    pass\n",
            "build/gen.py": "def generated_parser_table():\n    pass\n",
            "docs/private.md": "internal roadmap notes\n",
            "docs/public.md": "public roadmap notes\n",
            ".venv/lib/site.py": "def virtualenv_site_hook():\n    pass\n",
            "node_modules/pkg/index.js": "function leftPad(s) { return s; }\n",
            ".hidden/tool.py": "def hidden_tool():\n    pass\n",
            "proto_pb2.py": "# Generated by the protocol buffer compiler.  DO NOT EDIT!\nX = 1\n",
            "static/app.min.js": "var a=1;",
            "static/bundle.js": "var b=" + "1+" * 3000 + "1;\n",
            "image.png": "",  # unsupported suffix
        },
    )
    (workspace / "blob.txt").write_bytes(b"header\0\x01\x02binary")
    (workspace / "big.txt").write_text("x" * 1_100_000)
    (workspace / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))

    index = make_index(workspace, embedder)
    stats = index.build()
    paths = {h.path for h in index.search("function", k=500, mode="lexical")}
    paths |= {h.path for h in index.search("function", k=500, mode="vector")}
    assert "docs/public.md" in paths and "billing/invoice.py" in paths and "latin1.txt" in paths
    for excluded in ("secret_keys.py", "build/gen.py", "docs/private.md", ".venv/lib/site.py",
                     "node_modules/pkg/index.js", ".hidden/tool.py", "blob.txt", "big.txt", "proto_pb2.py",
                     "static/app.min.js", "static/bundle.js"):
        assert excluded not in paths
    # Undecodable text is indexed with replacement characters and reported, not silently dropped.
    assert len(stats.errors) == 1 and "latin1.txt" in stats.errors[0] and "UTF-8" in stats.errors[0]
    assert index.status()["errors"] == 1
    # A watcher event for an ignored path is ignored too.
    assert index.ignored("build/gen.py") and index.ignored("node_modules/pkg/index.js")
    assert index.update_paths(["secret_keys.py", "build/gen.py"]) == 0


class SwitchableEmbedder:
    """The real embedder behind a switch, to exercise the embedding-failure path."""

    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self.inner = inner
        self.dim = inner.dim
        self.name = inner.name
        self.fail = False

    def embed(self, texts):
        if self.fail:
            raise RuntimeError("model unavailable")
        return self.inner.embed(texts)


@pytest.mark.real_index
def test_embedding_failure_is_reported_and_retried(workspace, embedder):
    switch = SwitchableEmbedder(embedder)
    index = make_index(workspace, switch)
    first = index.build()
    assert first.errors == []
    (workspace / "utils/text.py").write_text(
        "def reverse_words(sentence):\n    return ' '.join(reversed(sentence.split()))\n"
    )
    switch.fail = True
    failed = index.build()
    assert failed.embedded == 0 and failed.pending == 1
    assert len(failed.errors) == 1 and "model unavailable" in failed.errors[0]
    status = index.status()
    assert status["pending"] == 1 and status["embedFailures"] == 1 and "model unavailable" in status["lastEmbedError"]
    assert status["errors"] >= 1 and any("model unavailable" in e for e in status["errorList"])
    # Meanwhile the new text is searchable lexically; the query embedding fails, hybrid degrades.
    assert top(index, "reverse words sentence", mode="hybrid")[0].symbol == "reverse_words"
    with pytest.raises(RuntimeError):
        index.search("reverse", mode="vector")
    switch.fail = False
    retried = index.build()
    assert retried.errors == [] and retried.embedded == 1 and retried.pending == 0
    assert index.status()["lastEmbedError"] is None
    assert top(index, "put the words of a sentence in the opposite order")[0].symbol == "reverse_words"


@pytest.mark.real_index
def test_background_worker_watches_disk_and_serves_searches(workspace, embedder):
    from mimo_lsp.index.worker import BackgroundIndexer

    index = make_index(workspace, embedder)
    stages: list[str] = []
    worker = BackgroundIndexer(index, progress=lambda stage, done, total: stages.append(stage))
    worker.start()
    try:
        assert worker.wait_idle(120)
        assert index.status()["pending"] == 0 and index.status()["chunks"] > 15
        assert _eventually(lambda: {"parse", "embed", "idle"} <= set(stages)), stages
        # A new file on disk, seen by watchdog: searchable without any call into the index.
        (workspace / "geo").mkdir()
        (workspace / "geo/distance.py").write_text(
            "def haversine_km(lat1, lon1, lat2, lon2):\n    return 6371 * central_angle(lat1, lon1, lat2, lon2)\n")
        assert _eventually(lambda: [h for h in index.search("haversine", k=3, mode="lexical")
                                    if h.symbol == "haversine_km"])
        assert worker.wait_idle(60)
        assert top(index, "great-circle distance between two coordinates on earth")[0].symbol == "haversine_km"
        # Deleted through the file system, then a whole folder moved.
        (workspace / "geo/distance.py").unlink()
        assert _eventually(lambda: not index.search("haversine", k=3, mode="lexical"))
        (workspace / "utils").rename(workspace / "helpers")
        assert _eventually(lambda: {h.path for h in index.search("slugify", k=3, mode="lexical")}
                           == {"helpers/text.py"})
    finally:
        worker.stop()
        index.close()


def _eventually(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    return check()


KILL_SCRIPT = """
import os, sys
from pathlib import Path
from mimo_lsp.index import SentenceTransformerEmbedder, WorkspaceIndex

steps = 0
original = WorkspaceIndex.embed_step

def embed_then_die(self, size=32):
    global steps
    steps += 1
    if steps > 2:
        os._exit(17)  # killed mid-way through embedding
    return original(self, 32)  # steps of 32, whatever size a build asks for

WorkspaceIndex.embed_step = embed_then_die
root = Path(sys.argv[1])
WorkspaceIndex(root, root / ".mimo" / "index", embedder=SentenceTransformerEmbedder()).build()
"""


@pytest.mark.real_index
def test_killed_indexer_resumes_where_it_stopped(workspace, embedder):
    for i in range(60):
        write_tree(workspace, {f"extra/mod_{i}.py": f"def helper_{i}(values):\n    return [v * {i} for v in values]\n"})
    root_dir = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", KILL_SCRIPT, str(workspace)],
        cwd=root_dir,
        env={**os.environ, "PYTHONPATH": str(root_dir)},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 17, proc.stderr
    reopened = make_index(workspace, embedder)
    status = reopened.status()
    total = status["chunks"]
    assert total == 60 + 23 and status["embedded"] == 64 and status["pending"] == total - 64
    stats = reopened.build()
    assert stats.errors == [] and stats.embedded == total - 64 and stats.pending == 0
    assert top(reopened, "turn a blog post title into a URL friendly string")[0].symbol == "slugify"
    assert top(reopened, "helper_7", mode="lexical")[0].symbol == "helper_7"


@pytest.mark.real_index
def test_repo_map_and_workspace_symbols(workspace, embedder):
    write_tree(workspace, {
        "billing/report.py": """\
            from billing.invoice import compute_invoice_total, format_currency


            def monthly_report(invoices):
                return [format_currency(compute_invoice_total(i.items)) for i in invoices]
            """,
        "billing/export.py": """\
            from billing.invoice import compute_invoice_total


            def export_csv(invoices):
                return "\\n".join(str(compute_invoice_total(i.items)) for i in invoices)
            """,
    })
    index = make_index(workspace, embedder)
    index.build()
    outline = index.repo_map(token_budget=60)
    assert len(outline) <= 60 * 4
    first_file = outline.split("\n")[0]
    assert first_file == "billing/invoice.py:", outline  # the most referenced file
    assert "def compute_invoice_total(" in outline
    big = index.repo_map(token_budget=5000)
    assert "class LRUCache" in big and "def slugify(title):" in big and len(big) > len(outline)
    assert index.repo_map(token_budget=0) == ""
    focused = index.repo_map(token_budget=40, focus=["storage/cache.py"])
    assert focused.startswith("storage/cache.py:"), focused
    syms = index.workspace_symbols("invoice")
    assert [d.symbol for _, d in syms][:2] == ["compute_invoice_total", "Invoice"] or any(
        d.symbol == "compute_invoice_total" for _, d in syms)
    assert [(p, d.symbol) for p, d in index.workspace_symbols("vrfypw")] == [("auth/passwords.py", "verify_password")]


@pytest.mark.real_index
def test_agent_search_code_tool_uses_the_index_searcher(workspace, embedder):
    from mimo_lsp.index import IndexSearcher
    from mimo_lsp.tools.actions import SearchCode, ToolContext
    from mimo_lsp.tools.registry import run_tool

    searcher = IndexSearcher(make_index(workspace, embedder))
    ctx = ToolContext(workspace=workspace, search=searcher)
    result = run_tool(SearchCode(tool="search_code", query="check a login secret against the stored hash", k=3), ctx)
    assert result.ok
    first = result.output.split("\n")[:2]
    assert first[0].startswith("auth/passwords.py:") and "verify_password" in first[0]
    assert first[1].strip() == "def verify_password(password, stored):"
    assert searcher("hash a password", 2)[0]["symbol"] == "hash_password"  # the agent's SearchFn shape
