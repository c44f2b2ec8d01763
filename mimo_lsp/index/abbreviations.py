"""Common programming abbreviations and the English words they stand for, for the BM25 index.

A chunk that says `repr`, `cfg` or `kwargs` is about a representation, a configuration or keyword
arguments, but a query in plain English says the long word, and no stemmer joins the two. The lexical
index adds the expansion's words beside the abbreviation in each document (`lexical.tokenize(...,
expand=True)`); queries are left as typed. The list is generic to programming, written once before it
was measured (issue 17, goal 2; docs/benchmarks.md) and not grown to fit a query set: nothing from one
domain (graphs, HTTP, numerics), no project's own shorthand.
"""

from __future__ import annotations

ABBREVIATIONS: dict[str, str] = {
    "addr": "address", "alloc": "allocate", "arg": "argument", "args": "arguments", "async": "asynchronous",
    "attr": "attribute", "attrs": "attributes", "avg": "average", "bool": "boolean", "buf": "buffer",
    "calc": "calculate", "cb": "callback", "cfg": "configuration", "char": "character", "chr": "character",
    "cls": "class", "cmp": "compare", "cnt": "count", "col": "column", "conf": "configuration",
    "config": "configuration", "ctx": "context", "cur": "current", "curr": "current", "cwd": "working directory",
    "db": "database", "del": "delete", "delim": "delimiter", "desc": "description", "dest": "destination",
    "dict": "dictionary", "dim": "dimension", "dir": "directory", "doc": "documentation", "dst": "destination",
    "dt": "datetime", "elem": "element", "env": "environment", "eq": "equal", "err": "error", "esc": "escape",
    "evt": "event", "exc": "exception", "expr": "expression", "ext": "extension", "fd": "file descriptor",
    "float": "floating", "fmt": "format", "fn": "function", "func": "function", "ge": "greater equal",
    "gen": "generate", "gt": "greater than", "ident": "identifier", "idx": "index", "impl": "implementation",
    "info": "information", "init": "initialize", "int": "integer", "iter": "iterate", "kwarg": "keyword argument",
    "kwargs": "keyword arguments", "le": "less equal", "len": "length", "lib": "library", "lst": "list",
    "lt": "less than", "mat": "matrix", "max": "maximum", "meth": "method", "min": "minimum",
    "mkdir": "make directory", "mod": "module", "msg": "message", "ne": "not equal", "ns": "namespace",
    "num": "number", "obj": "object", "ok": "success", "op": "operator", "opt": "option", "opts": "options",
    "param": "parameter", "params": "parameters", "pid": "process", "pkg": "package", "pos": "position",
    "prev": "previous", "prob": "probability", "proc": "process", "ptr": "pointer", "rand": "random",
    "ref": "reference", "repr": "representation", "res": "result", "ret": "return", "rm": "remove", "rng": "random",
    "sep": "separator", "seq": "sequence", "sig": "signature", "spec": "specification", "src": "source",
    "stderr": "standard error", "stdin": "standard input", "stdout": "standard output", "stmt": "statement",
    "str": "string", "sync": "synchronous", "temp": "temporary", "tmp": "temporary", "tok": "token",
    "ts": "timestamp", "tup": "tuple", "tz": "timezone", "util": "utility", "utils": "utilities", "val": "value",
    "vals": "values", "var": "variable", "vec": "vector", "ver": "version",
}
