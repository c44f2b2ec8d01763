"""The index through the real server process: search with filters, status, workspace/symbol,
unsaved buffers via document sync, $/progress, an embedding failure surfaced in mimo.index.status."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.lsp_client import start_client, stop_client

pytestmark = pytest.mark.real_index

APP = {
    "shop/cart.py": (
        "class Cart:\n"
        "    def __init__(self):\n"
        "        self.items = []\n\n"
        "    def add_item(self, sku, quantity=1):\n"
        "        self.items.append((sku, quantity))\n\n"
        "    def total_quantity(self):\n"
        "        return sum(q for _, q in self.items)\n"
    ),
    "shop/pricing.ts": (
        "export function applyCoupon(total: number, percent: number): number {\n"
        "  return total * (1 - percent / 100);\n"
        "}\n"
    ),
    "README.md": "# Shop\n\nA tiny shop with a cart and coupons.\n",
}


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "shop-ws"
    for rel, text in APP.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


async def _until(check, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.1)
    return await check()


async def test_index_over_lsp(shop: Path, tmp_path: Path):
    lsp = await start_client(shop, init_options={"index": {"autoStart": True}},
                             env={**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")})
    try:
        async def idle():
            st = await lsp.command("mimo.index.status", {})
            return st if not st["indexing"] and st["pending"] == 0 and st["files"] == 3 else None

        status = await _until(idle, 120)
        assert status and status["chunks"] >= 5 and status["errors"] == 0 and status["lastUpdate"]

        # $/progress: begun and ended by the background indexer.
        reports = [r for token, rs in lsp.client.progress_reports.items() if token.startswith("mimo-index-")
                   for r in rs]
        assert reports and reports[0].kind == "begin" and any(r.kind == "end" for r in reports)

        result = await lsp.command("mimo.index.search", {"query": "applyCoupon: discount a total", "k": 3})
        hit = result["hits"][0]
        assert (hit["path"], hit["symbol"], hit["language"]) == ("shop/pricing.ts", "applyCoupon", "typescript")
        assert hit["startLine"] == 1 and hit["endLine"] == 3 and hit["snippet"].startswith("export function")
        only_py = await lsp.command("mimo.index.search", {"query": "coupon cart", "k": 10,
                                                          "filters": {"language": "python", "kind": ["method"]}})
        assert only_py["hits"] and all(h["path"] == "shop/cart.py" and h["kind"] == "method" for h in only_py["hits"])
        lexical = await lsp.command("mimo.index.search", {"query": "total_quantity", "mode": "lexical"})
        assert lexical["hits"][0]["symbol"] == "Cart.total_quantity"
        with pytest.raises(JsonRpcException, match="mode"):
            await lsp.command("mimo.index.search", {"query": "x", "mode": "psychic"})

        symbols = await lsp.client.workspace_symbol_async(types.WorkspaceSymbolParams(query="additem"))
        assert [(s.name, s.kind, s.container_name) for s in symbols] == [
            ("add_item", types.SymbolKind.Method, "Cart")]
        assert symbols[0].location.range.start.line == 4

        # An unsaved buffer is searchable at once; the file on disk is untouched.
        uri = (shop / "shop/cart.py").as_uri()
        lsp.client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=uri, language_id="python", version=1, text=APP["shop/cart.py"])))
        new_text = APP["shop/cart.py"] + "\n    def remove_expired_reservations(self, now):\n        return now\n"
        lsp.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=new_text)]))

        async def found():
            r = await lsp.command("mimo.index.search", {"query": "remove expired reservations", "k": 3})
            return r["hits"] and r["hits"][0]["symbol"] == "Cart.remove_expired_reservations"

        assert await _until(found, 30)
        assert "remove_expired" not in (shop / "shop/cart.py").read_text()
        assert (await lsp.command("mimo.index.status", {}))["unsavedBuffers"] == 1
        # Closed without saving: back to the disk version.
        lsp.client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))

        async def gone():
            r = await lsp.command("mimo.index.search", {"query": "remove_expired_reservations", "k": 3,
                                                        "mode": "lexical"})
            return not any(h["symbol"] == "Cart.remove_expired_reservations" for h in r["hits"])

        assert await _until(gone, 30)
        assert (await lsp.command("mimo.index.status", {}))["unsavedBuffers"] == 0
    finally:
        await stop_client(lsp)


async def test_embedding_failure_shows_in_status(shop: Path, tmp_path: Path):
    """A model path that does not load: the index still scans (lexical search works) and the
    failure is counted and shown in mimo.index.status instead of being swallowed."""
    lsp = await start_client(shop, init_options={"index": {"model": str(tmp_path / "no-such-model"),
                                                           "searchWaitS": 0}},
                             env={**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")})
    try:
        async def failed():
            st = await lsp.command("mimo.index.status", {})
            return st if st["embedFailures"] >= 1 and st["pending"] >= 5 else None

        status = await _until(failed, 60)
        assert status, "no embedding failure reported"
        assert status["pending"] >= 5 and status["errors"] >= 1 and status["lastEmbedError"]
        assert any("embedding failed" in e for e in status["errorList"])
        hits = (await lsp.command("mimo.index.search", {"query": "applyCoupon", "mode": "lexical"}))["hits"]
        assert hits[0]["symbol"] == "applyCoupon"
        with pytest.raises(JsonRpcException):
            await lsp.command("mimo.index.search", {"query": "coupon", "mode": "vector"})
        assert "tasks" in await lsp.command("mimo.task.status", {})  # still alive
    finally:
        await stop_client(lsp)
