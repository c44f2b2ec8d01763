"""The lexical side of index search: code-aware tokenising, field-weighted BM25 documents, and the
in-place BM25 index staying equal to a fresh one through adds and removes."""

from __future__ import annotations

import math

import pytest

from mimo_lsp.index.chunker import Chunk
from mimo_lsp.index.lexical import LexicalIndex, split_words, stem, tokenize
from mimo_lsp.index.records import DOC_WEIGHT, NAME_WEIGHT, lexical_fields, split_doc


def test_tokenize_splits_identifiers_and_keeps_the_whole_one():
    assert tokenize("parseHeaderLinks") == ["parseheaderlinks", "pars", "header", "link"]
    assert tokenize("parse_header_links") == ["parse_header_links", "pars", "header", "link"]
    # An acronym run stays one part: HTTPAdapter -> http, adapter.
    assert tokenize("HTTPAdapter") == ["httpadapter", "http", "adapt"]
    # A plain word is not duplicated; one-letter parts and stopwords go.
    assert tokenize("Return the x of a header") == ["return", "header"]
    assert tokenize("get_x") == ["get_x", "get"]
    # English function words go, code keywords stay (queries say "return None", "raise").
    assert tokenize("only retry all of it before raising None") == ["retri", "rais", "none"]


def test_tokenize_query_and_code_meet_on_stems():
    # The query's inflections reach the identifier's parts, both ways.
    query = set(tokenize("parsing the links of piped responses"))
    code = set(tokenize("def parse_link(pipe, response): ..."))
    assert {"pars", "link", "pipe", "respons"} <= query & code


def test_documents_spell_out_common_abbreviations_queries_stay_as_typed():
    # `kwargs` also gives "keyword" + "argument" terms, `cfg` "configuration": in documents only.
    assert tokenize("build_cfg(kwargs)", expand=True) == [
        "build_cfg", "build", "cfg", "configur", "kwarg", "keyword", "argument"]
    assert tokenize("build_cfg(kwargs)") == ["build_cfg", "build", "cfg", "kwarg"]
    assert tokenize("mkdir", expand=True) == ["mkdir", "make", "directori"]  # every word of the expansion
    assert tokenize("parser", expand=True) == tokenize("parser")  # only whole parts: no `pars` -> anything
    index = LexicalIndex()
    index.add(1, "def _make_repr(self): ...")
    index.add(2, "def render_label(self): ...")
    assert [d for d, _ in index.search("text representation of an object", 5)] == [1]


def test_stem_is_snowball_english():
    assert [stem(w) for w in ("pipes", "piped", "proxies", "encoding", "encoded", "redirects")] == [
        "pipe", "pipe", "proxi", "encod", "encod", "redirect"]


def test_split_words_for_display_is_not_stemmed():
    assert split_words("Config.load_JSONFile") == ["config", "load", "json", "file"]


def _chunk(text: str, language: str = "python", symbol: str | None = "f") -> Chunk:
    return Chunk(path="pkg/mod.py", start_line=1, end_line=text.count("\n") + 1, symbol=symbol,
                 kind="function", text=text, language=language)


def test_split_doc_python_docstrings_and_comments():
    doc, code = split_doc(_chunk('def f(x):\n    """Say why."""\n    # a note\n    return x  # tail\n'))
    assert "Say why." in doc and "a note" in doc and "tail" in doc
    assert "return x" in code and "Say" not in code and "note" not in code
    # An unterminated docstring (a half-typed buffer) is doc up to the end, not an error.
    doc, code = split_doc(_chunk('def f():\n    """never closed\n    x = 1\n'))
    assert "never closed" in doc and "def f" in code


def test_split_doc_c_like_and_prose():
    doc, code = split_doc(_chunk("// top\nint f() { /* inner */ return 1; }", language="c"))
    assert "top" in doc and "inner" in doc and "return 1" in code and "inner" not in code
    doc, code = split_doc(_chunk("# Title\nSome prose.", language="markdown", symbol=None))
    assert doc == "# Title\nSome prose." and code == ""


def test_lexical_fields_weights_name_and_prose_above_code():
    fields = lexical_fields(_chunk('def f():\n    """Doc words."""\n    body_word = 1\n', symbol="Parser.f"))
    weights = {w for _, w in fields}
    assert NAME_WEIGHT > DOC_WEIGHT > 1.0 and weights == {NAME_WEIGHT, DOC_WEIGHT, 1.0}
    by_weight = {w: t for t, w in fields}
    assert by_weight[NAME_WEIGHT] == "Parser.f" and "Doc words." in by_weight[DOC_WEIGHT]
    assert "pkg/mod.py" in by_weight[1.0] and "body_word" in by_weight[1.0]


def test_field_weights_rank_a_name_match_above_a_body_match():
    index = LexicalIndex()
    index.add(1, [("cache_lookup", NAME_WEIGHT), ("", DOC_WEIGHT), ("x = compute(widget)", 1.0)])
    index.add(2, [("render", NAME_WEIGHT), ("", DOC_WEIGHT), ("y = cache_lookup(widget)", 1.0)])
    index.add(3, [("other", NAME_WEIGHT), ("", DOC_WEIGHT), ("z = 3", 1.0)])
    assert [d for d, _ in index.search("cache lookup", 3)] == [1, 2]


def _fresh(docs: dict[int, str]) -> LexicalIndex:
    index = LexicalIndex()
    for doc_id, text in docs.items():
        index.add(doc_id, [(text.split()[0], NAME_WEIGHT), (text, 1.0)])
    return index


@pytest.mark.parametrize("query", ["alpha beta", "gamma", "delta epsilon alpha"])
def test_incremental_adds_and_removes_equal_a_fresh_index(query: str):
    docs = {1: "alpha beta gamma", 2: "beta beta delta", 3: "gamma epsilon alpha alpha", 4: "delta"}
    index = _fresh(docs)
    # Edit doc 2, drop doc 4, add doc 5, re-add doc 4 with new text: as a save would.
    index.add(2, [("gamma", NAME_WEIGHT), ("gamma delta", 1.0)])
    index.remove(4)
    index.add(5, [("epsilon", NAME_WEIGHT), ("epsilon beta", 1.0)])
    index.add(4, [("alpha", NAME_WEIGHT), ("alpha", 1.0)])
    expected = _fresh({1: docs[1], 2: "gamma delta", 3: docs[3], 5: "epsilon beta", 4: "alpha"})
    got, want = index.search(query, 10), expected.search(query, 10)
    assert [d for d, _ in got] == [d for d, _ in want]
    assert all(math.isclose(a, b, rel_tol=1e-9) for (_, a), (_, b) in zip(got, want))
    assert math.isclose(index.total_len, expected.total_len) and set(index.postings) == set(expected.postings)
