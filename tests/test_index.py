"""Tests for mimo_lsp.index: real tree-sitter, real MiniLM embeddings, real hnswlib."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from mimo_lsp.index import (
    IndexStats,
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


def test_import_is_lazy():
    code = (
        "import sys, mimo_lsp.index\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'hnswlib', 'tree_sitter') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    root = Path(__file__).resolve().parents[1]
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


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformerEmbedder:
    emb = SentenceTransformerEmbedder()
    emb.embed(["warm up"])  # pay the model load once per module
    print(f"\nembedder load: {emb.load_seconds:.2f}s")
    return emb


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    write_tree(root, TREE)
    return root


def make_index(root: Path, embedder) -> WorkspaceIndex:
    return WorkspaceIndex(root, root / ".mimo" / "index", embedder=embedder)


def top(index: WorkspaceIndex, query: str, k: int = 5):
    hits = index.search(query, k=k)
    assert hits, query
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    return hits


@pytest.mark.real_index
def test_semantic_search_finds_function_described_in_other_words(workspace, embedder):
    index = make_index(workspace, embedder)
    t0 = time.perf_counter()
    stats = index.build()
    build_s = time.perf_counter() - t0
    assert isinstance(stats, IndexStats)
    assert stats.errors == []
    assert stats.files == len(TREE)  # the empty __init__.py is tracked, with no chunks
    assert stats.embedded == stats.chunks > 15

    t0 = time.perf_counter()
    hits = top(index, "add up the prices of the items on a bill including VAT")
    search_s = time.perf_counter() - t0
    print(f"\nbuild {build_s:.2f}s for {stats.chunks} chunks; search {search_s * 1000:.0f}ms")
    best = hits[0]
    assert (best.path, best.symbol, best.kind) == ("billing/invoice.py", "compute_invoice_total", "function")
    assert best.start_line == 4 and best.end_line == 7
    assert best.snippet.startswith("def compute_invoice_total(")

    assert top(index, "turn a blog post title into a URL friendly string")[0].symbol == "slugify"
    assert top(index, "read a calendar day from text like 2024-01-31")[0].symbol == "parse_iso_date"
    assert top(index, "deliver a message to someone's inbox")[0].symbol == "send_email"
    lru = top(index, "a cache that discards the least recently used entries when full")[0]
    assert lru.path == "storage/cache.py" and (lru.symbol or "").startswith("LRUCache")
    assert top(index, "check a login secret against the stored hash")[0].symbol == "verify_password"

    status = index.status()
    assert status["files"] == stats.files and status["chunks"] == stats.chunks
    assert status["last_build"] is not None
    assert (workspace / ".mimo" / "index").is_dir()


@pytest.mark.real_index
def test_incremental_edit_delete_and_persistence(workspace, embedder):
    index = make_index(workspace, embedder)
    first = index.build()
    assert first.errors == []

    # Unchanged tree: nothing is embedded again.
    assert index.build().embedded == 0

    # Edit one file: only its chunks are re-embedded, and the new function is found.
    edited = textwrap.dedent(TREE["utils/dates.py"]) + textwrap.dedent(
        '''

        def celsius_to_fahrenheit(degrees):
            return degrees * 9 / 5 + 32
        '''
    )
    (workspace / "utils/dates.py").write_text(edited, encoding="utf-8")
    progress: list[tuple[str, int, int]] = []
    second = index.build(progress=lambda stage, done, total: progress.append((stage, done, total)))
    assert second.errors == []
    assert second.embedded == len(chunk_file("utils/dates.py", edited)) == 5
    assert second.chunks == first.chunks + 1
    assert ("embed", 5, 5) in progress and any(p[0] == "scan" for p in progress)
    hit = top(index, "convert a temperature reading to the imperial scale")[0]
    assert (hit.path, hit.symbol) == ("utils/dates.py", "celsius_to_fahrenheit")

    # Delete a file: its hits disappear.
    (workspace / "notify/mailer.py").unlink()
    third = index.build()
    assert third.embedded == 0 and third.files == first.files - 1
    assert third.chunks == second.chunks - len(chunk_file("notify/mailer.py", textwrap.dedent(TREE["notify/mailer.py"])))
    hits = index.search("send an email over SMTP", k=50)
    assert hits and all(h.path != "notify/mailer.py" for h in hits)

    # A new instance over the same data_dir searches from disk without building.
    reopened = make_index(workspace, embedder)
    hit = top(reopened, "add up the prices of the items on a bill including VAT")[0]
    assert hit.symbol == "compute_invoice_total"
    assert reopened.last_stats is None  # search did not trigger a build
    assert reopened.status()["chunks"] == third.chunks
    again = reopened.build()
    assert again.embedded == 0 and again.chunks == third.chunks and again.errors == []
    assert all(h.path != "notify/mailer.py" for h in reopened.search("send an email over SMTP", k=50))


@pytest.mark.real_index
def test_search_without_index_builds_first(workspace, embedder):
    index = make_index(workspace, embedder)
    assert index.status()["last_build"] is None
    hits = index.search("hash a password with a random salt", k=3)
    assert hits[0].symbol == "hash_password"
    assert index.last_stats is not None and index.last_stats.embedded > 0


@pytest.mark.real_index
def test_corrupt_index_is_rebuilt_and_reported(workspace, embedder):
    data_dir = workspace / ".mimo" / "index"
    make_index(workspace, embedder).build()
    for vec in data_dir.glob("vectors-*.bin"):
        vec.write_bytes(b"not an hnsw index")
    index = make_index(workspace, embedder)
    stats = index.build()
    assert any("persisted index unusable" in e for e in stats.errors)
    assert stats.embedded == stats.chunks > 0
    assert top(index, "add up the prices of the items on a bill including VAT")[0].symbol == (
        "compute_invoice_total"
    )
    assert len(list(data_dir.glob("vectors-*"))) == 1


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
            "image.png": "",  # unsupported suffix
        },
    )
    (workspace / "blob.txt").write_bytes(b"header\0\x01\x02binary")
    (workspace / "big.txt").write_text("x" * 1_100_000)
    (workspace / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))

    index = make_index(workspace, embedder)
    stats = index.build()
    paths = {h.path for h in index.search("function", k=500)}
    assert "docs/public.md" in paths and "billing/invoice.py" in paths
    for excluded in (
        "secret_keys.py",
        "build/gen.py",
        "docs/private.md",
        ".venv/lib/site.py",
        "node_modules/pkg/index.js",
        ".hidden/tool.py",
        "blob.txt",
        "big.txt",
        "latin1.txt",
    ):
        assert excluded not in paths
    # Undecodable text is reported, not silently dropped.
    assert len(stats.errors) == 1 and "latin1.txt" in stats.errors[0]
    assert stats.files == len(TREE) + 1  # + docs/public.md


class SwitchableEmbedder:
    """The real embedder behind a switch, to exercise the embedding-failure path."""

    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self.inner = inner
        self.dim = inner.dim
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
    assert failed.embedded == 0 and failed.chunks == first.chunks
    assert len(failed.errors) == 1 and "model unavailable" in failed.errors[0]
    switch.fail = False
    # The old chunks stayed searchable; the next build retries the changed file.
    assert top(index, "turn a blog post title into a URL friendly string")[0].symbol == "slugify"
    retried = index.build()
    assert retried.errors == [] and retried.embedded == 1
    assert top(index, "put the words of a sentence in the opposite order")[0].symbol == "reverse_words"


@pytest.mark.real_index
def test_search_is_served_while_a_build_runs(workspace, embedder):
    import threading

    index = make_index(workspace, embedder)
    index.build()
    for i in range(60):
        (workspace / f"extra/mod_{i}.py").parent.mkdir(exist_ok=True)
        (workspace / f"extra/mod_{i}.py").write_text(
            f"def helper_{i}(values):\n    \"\"\"Helper number {i}.\"\"\"\n    return [v * {i} for v in values]\n"
        )
    started, searched = threading.Event(), threading.Event()
    result: list[IndexStats] = []

    def progress(stage, done, total):
        if stage == "embed" and done == 0:
            started.set()
            searched.wait(30)  # hold the build mid-way until the search has answered

    worker = threading.Thread(target=lambda: result.append(index.build(progress=progress)))
    worker.start()
    assert started.wait(60)
    hits = index.search("add up the prices of the items on a bill including VAT", k=3)
    assert worker.is_alive()  # answered from the previous state, not after the build
    searched.set()
    assert hits[0].symbol == "compute_invoice_total"
    worker.join(120)
    assert result and result[0].errors == [] and result[0].embedded == 60


KILL_SCRIPT = """
import os, sys
from pathlib import Path
from mimo_lsp.index import WorkspaceIndex, vectors

original = vectors.VectorStore.save

def save_then_die(self, path):
    original(self, path)
    os._exit(17)  # killed after writing the new graph, before the manifest commit

vectors.VectorStore.save = save_then_die
root = Path(sys.argv[1])
WorkspaceIndex(root, root / ".mimo" / "index").build()
"""


@pytest.mark.real_index
def test_killed_build_leaves_previous_index_usable(workspace, embedder):
    index = make_index(workspace, embedder)
    first = index.build()
    (workspace / "utils/text.py").write_text("def shout(s):\n    return s.upper() + '!'\n")
    root_dir = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-c", KILL_SCRIPT, str(workspace)],
        cwd=root_dir,
        env={**__import__("os").environ, "PYTHONPATH": str(root_dir)},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 17, proc.stderr
    reopened = make_index(workspace, embedder)
    assert reopened.status()["chunks"] == first.chunks
    assert top(reopened, "turn a blog post title into a URL friendly string")[0].symbol == "slugify"
    assert reopened.last_stats is None  # the old index loaded fine: no rebuild
    stats = reopened.build()
    assert stats.errors == [] and stats.embedded == 1
    assert len(list((workspace / ".mimo" / "index").glob("vectors-*"))) == 1
