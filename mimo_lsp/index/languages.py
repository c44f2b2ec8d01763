"""Which tree-sitter grammar reads which file, and what counts as a definition in it.

Each grammar is its own PyPI wheel (tree-sitter-python, -javascript, ...), so everything works
offline. Grammars load lazily and parsers are per thread (tree-sitter parsers are not shared
across threads).
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tree_sitter import Language, Parser, Query


@dataclass(frozen=True)
class LanguageSpec:
    name: str
    suffixes: tuple[str, ...]
    module: str  # the grammar wheel's module
    entry: str  # its function returning the language pointer
    # Node type -> chunk kind. "function" becomes "method" inside a container.
    defs: dict[str, str]
    # Definition types whose body holds member definitions (class, impl, namespace ...).
    containers: frozenset[str] = frozenset()
    # Nodes that wrap one definition and lend it their range (decorators, `export`, `template<>`).
    wrappers: frozenset[str] = frozenset()
    # Nodes inside a container body that only group members (Java's enum_body_declarations).
    transparent: frozenset[str] = frozenset()
    # Leaf node types that name things: the references of the symbol map.
    identifiers: tuple[str, ...] = ("identifier",)
    comments: frozenset[str] = frozenset({"comment"})
    # Siblings directly above a definition that belong to it (comments, Rust attributes).
    leading: frozenset[str] = field(default=frozenset())


_C_LIKE_IDS = ("identifier", "field_identifier", "type_identifier")
# Header guards and #ifdef blocks hold whole files of definitions.
_PREPROC = frozenset({"preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif", "preproc_elifdef"})

LANGUAGES: dict[str, LanguageSpec] = {
    spec.name: spec
    for spec in (
        LanguageSpec(
            "python", (".py", ".pyi"), "tree_sitter_python", "language",
            defs={"function_definition": "function", "class_definition": "class"},
            containers=frozenset({"class_definition"}),
            wrappers=frozenset({"decorated_definition"}),
        ),
        LanguageSpec(
            "javascript", (".js", ".jsx", ".mjs", ".cjs"), "tree_sitter_javascript", "language",
            defs={"function_declaration": "function", "generator_function_declaration": "function",
                  "class_declaration": "class", "method_definition": "function",
                  "lexical_declaration": "function", "variable_declaration": "function"},
            containers=frozenset({"class_declaration"}),
            wrappers=frozenset({"export_statement"}),
            identifiers=("identifier", "property_identifier"),
        ),
        *(
            LanguageSpec(
                name, suffixes, "tree_sitter_typescript", entry,
                defs={"function_declaration": "function", "generator_function_declaration": "function",
                      "class_declaration": "class", "abstract_class_declaration": "class",
                      "method_definition": "function", "interface_declaration": "interface",
                      "type_alias_declaration": "type", "enum_declaration": "enum",
                      "lexical_declaration": "function", "variable_declaration": "function",
                      "internal_module": "namespace"},
                containers=frozenset({"class_declaration", "abstract_class_declaration", "internal_module"}),
                wrappers=frozenset({"export_statement", "expression_statement"}),
                identifiers=("identifier", "property_identifier", "type_identifier"),
            )
            for name, suffixes, entry in (
                ("typescript", (".ts", ".mts", ".cts"), "language_typescript"),
                ("tsx", (".tsx",), "language_tsx"),
            )
        ),
        LanguageSpec(
            "go", (".go",), "tree_sitter_go", "language",
            defs={"function_declaration": "function", "method_declaration": "method",
                  "type_declaration": "type"},
            identifiers=_C_LIKE_IDS,
        ),
        LanguageSpec(
            "rust", (".rs",), "tree_sitter_rust", "language",
            defs={"function_item": "function", "function_signature_item": "function",
                  "struct_item": "struct", "enum_item": "enum", "union_item": "struct",
                  "trait_item": "trait", "impl_item": "impl", "mod_item": "namespace",
                  "macro_definition": "macro"},
            containers=frozenset({"impl_item", "trait_item", "mod_item"}),
            identifiers=_C_LIKE_IDS,
            comments=frozenset({"line_comment", "block_comment"}),
            leading=frozenset({"attribute_item"}),
        ),
        LanguageSpec(
            "java", (".java",), "tree_sitter_java", "language",
            defs={"class_declaration": "class", "interface_declaration": "interface",
                  "enum_declaration": "enum", "record_declaration": "class",
                  "annotation_type_declaration": "interface",
                  "method_declaration": "function", "constructor_declaration": "function"},
            containers=frozenset({"class_declaration", "interface_declaration", "enum_declaration",
                                  "record_declaration"}),
            transparent=frozenset({"enum_body_declarations"}),
            identifiers=("identifier", "type_identifier"),
            comments=frozenset({"line_comment", "block_comment"}),
        ),
        LanguageSpec(
            "c", (".c", ".h"), "tree_sitter_c", "language",
            defs={"function_definition": "function", "struct_specifier": "struct",
                  "union_specifier": "struct", "enum_specifier": "enum", "type_definition": "type"},
            transparent=_PREPROC,
            identifiers=_C_LIKE_IDS,
        ),
        LanguageSpec(
            "cpp", (".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx"), "tree_sitter_cpp", "language",
            defs={"function_definition": "function", "class_specifier": "class",
                  "struct_specifier": "struct", "union_specifier": "struct", "enum_specifier": "enum",
                  "namespace_definition": "namespace", "type_definition": "type",
                  "alias_declaration": "type"},
            containers=frozenset({"class_specifier", "struct_specifier", "namespace_definition"}),
            wrappers=frozenset({"template_declaration"}),
            transparent=_PREPROC | {"declaration_list", "linkage_specification"},
            identifiers=(*_C_LIKE_IDS, "namespace_identifier"),
        ),
    )
}

_BY_SUFFIX = {suffix: spec for spec in LANGUAGES.values() for suffix in spec.suffixes}


def language_for(rel_path: str) -> LanguageSpec | None:
    dot = rel_path.rfind(".")
    return _BY_SUFFIX.get(rel_path[dot:].lower()) if dot > rel_path.rfind("/") else None


def language_name(rel_path: str) -> str:
    """Language of a file for filters: a grammar name, or the bare suffix for plain text files."""
    spec = language_for(rel_path)
    if spec is not None:
        return spec.name
    name = rel_path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[1].lower() if "." in name else "text"


_languages: dict[str, Language] = {}
_queries: dict[str, Query] = {}
_load_lock = threading.Lock()
_tls = threading.local()


def grammar(spec: LanguageSpec) -> Language:
    with _load_lock:
        lang = _languages.get(spec.name)
        if lang is None:
            from tree_sitter import Language

            lang = Language(getattr(importlib.import_module(spec.module), spec.entry)())
            _languages[spec.name] = lang
        return lang


def parser(spec: LanguageSpec) -> Parser:
    parsers: dict[str, Any] = getattr(_tls, "parsers", None) or {}
    _tls.parsers = parsers
    p = parsers.get(spec.name)
    if p is None:
        from tree_sitter import Parser

        p = parsers[spec.name] = Parser(grammar(spec))
    return p


def identifier_query(spec: LanguageSpec) -> Query:
    """One query capturing every identifier-like leaf: the references of a file."""
    lang = grammar(spec)
    with _load_lock:
        q = _queries.get(spec.name)
        if q is None:
            from tree_sitter import Query

            q = Query(lang, "[" + " ".join(f"({t})" for t in spec.identifiers) + "] @ref")
            _queries[spec.name] = q
        return q
