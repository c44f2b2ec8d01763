"""Generate families/package.json: build the `inventory` package from SPEC.md.

The workspace starts with SPEC.md, a one-paragraph README.md, tests/run_all.py and the acceptance
test tests/acceptance.py (the goal). The reference plan builds the package module by module, each with
its own test script, then the command line one subcommand at a time (in-process tests plus one real
`python3 -m inventory` run), then the README sections and a changelog.
"""

from __future__ import annotations

import sys

from common import (DOCS_LIB, TEST_PRELUDE, cmd, contains, dedent, edit, family, finish, list_files, node, read, run, search,
                    write, write_family)

SPEC = dedent('''
    # inventory: specification

    A small stock-keeping tool: the Python package `inventory` with the command line
    `python3 -m inventory`. Standard library only; Python 3.11.

    ## Items (inventory/models.py)

    - `InventoryError(ValueError)`: raised whenever a rule below is broken.
    - `Item(sku, name, qty, price_cents, tags=())`, a frozen dataclass, fields in that order.
      `sku` is 3 uppercase letters, `-`, 3 digits (`ABC-123`); `name` is non-empty (stored stripped);
      `qty` and `price_cents` are ints >= 0. Tags are normalised: stripped, lowercased, empty ones dropped,
      duplicates removed, sorted, stored as a tuple. An invalid item raises InventoryError.
    - `Item.to_dict()` gives `{"sku", "name", "qty", "price_cents", "tags": [...]}`; `Item.from_dict(d)` is
      the inverse (`tags` optional).
    - `normalize_tags(tags)` is the tag normalisation as a function.
    - `parse_price(text)`: `"12.5"` -> 1250, `"3"` -> 300, `"0.99"` -> 99; a negative amount, more than two
      decimals or anything non-numeric raises InventoryError. `format_price(1250)` -> `"12.50"`, `format_price(5)`
      -> `"0.05"`.

    ## Storage (inventory/store.py)

    - `load(path)` -> dict sku -> Item; a missing file is an empty inventory. A file that is not valid JSON, or
      whose `version` is not 1, raises InventoryError.
    - `save(path, items)` writes `{"version": 1, "items": [item dicts sorted by sku]}` as JSON with indent 2 and
      a trailing newline, atomically (a temporary file in the same folder, then `os.replace`).

    ## Operations (inventory/ops.py)

    Each returns a new dict and leaves its argument unchanged; an unknown sku raises InventoryError.

    - `add_item(items, item)`: InventoryError if the sku exists.
    - `remove_item(items, sku)`.
    - `adjust(items, sku, delta)`: qty + delta; InventoryError if it would go below 0.
    - `set_price(items, sku, price_cents)`: InventoryError for a negative price.
    - `rename(items, sku, name)`: InventoryError for an empty name.

    ## Reports (inventory/report.py)

    - `total_value(items)`: sum of qty * price_cents.
    - `low_stock(items, threshold)`: items with qty < threshold, sorted by qty, then sku.
    - `value_by_tag(items)`: {tag: cents}, sorted by tag; an item without tags counts under `untagged`.
    - `format_table(items)`: a header, then one row per item sorted by sku, each line
      `"{:<8}{:<20}{:>6}{:>10}".format(sku, name[:19], qty, format_price(price_cents))`; the header uses
      `SKU`, `NAME`, `QTY`, `PRICE` in the same format. Lines joined with `\\n`, no trailing newline.

    ## Search (inventory/search.py), results sorted by sku

    - `by_tag(items, tag)`: items having the tag (compared lowercased).
    - `by_text(items, text)`: items whose sku or name contains the text, ignoring case.

    ## CSV (inventory/csvio.py)

    - `export_csv(items, stream)`: header `sku,name,qty,price,tags`, rows sorted by sku, price as
      `format_price`, tags joined with `;`, `\\n` line ends; returns the row count.
    - `import_csv(stream)` -> list of Items, the inverse. A wrong header or a bad row raises InventoryError
      whose message starts with `line N: ` (N = the 1-based line number of the CSV).

    ## Command line: `python3 -m inventory [--file PATH] COMMAND`

    `inventory.cli.main(argv=None) -> int`. `--file` defaults to `inventory.json`; `--version` prints
    `inventory 0.1.0`. Commands that change the inventory save it. On an InventoryError print
    `error: MESSAGE` to stderr, change nothing and return 1; argparse errors exit 2.

    - `list [--tag TAG]`: the format_table of every item (or of those with the tag).
    - `add SKU NAME QTY PRICE [--tag TAG]...`: prints `added SKU`.
    - `remove SKU`: prints `removed SKU`.
    - `adjust SKU DELTA`: prints `SKU: NEW_QTY`.
    - `price SKU PRICE`: prints `SKU: PRICE` (formatted).
    - `rename SKU NAME`: prints `SKU: NAME`.
    - `show SKU`: prints the lines `sku: ...`, `name: ...`, `qty: ...`, `price: ...`, `tags: a, b` (or `-`).
    - `report [--threshold N]` (default 5): `items: N`, `units: N`, `value: PRICE`, `low stock:` then
      `  SKU QTY` per low-stock item, `by tag:` then `  TAG PRICE` per tag.
    - `search TEXT`: `SKU  NAME` (two spaces) per match of by_text, or `no match`.
    - `export`: the CSV on stdout.
    - `import CSV_PATH`: adds every row (nothing is saved if any row fails); prints `imported N`.

    ## Documentation and tests

    README.md sections: `## Installation`, `## Usage`, `## Commands`, `## Data file`, `## CSV format`,
    `## Development`. One test script per module (tests/test_models.py, test_store.py, test_ops.py,
    test_report.py, test_search.py, test_csvio.py, test_cli.py, test_package.py), plain scripts run as
    `python3 tests/test_x.py`; `python3 tests/run_all.py` runs them all. CHANGELOG.md has a `## 0.1.0` entry.
    ''')

README0 = dedent('''
    # inventory

    Keep track of stock from the command line: items with a SKU, a quantity, a price and tags, kept in one JSON file.
    ''')

RUN_ALL = dedent('''
    """Run every tests/test_*.py in its own process; exit 1 if any fails or there is none."""
    import subprocess
    import sys
    from pathlib import Path

    here = Path(__file__).resolve().parent
    failed = []
    scripts = sorted(here.glob("test_*.py"))
    for script in scripts:
        proc = subprocess.run([sys.executable, "-B", str(script)], capture_output=True, text=True)
        print(f"{'ok' if proc.returncode == 0 else 'FAIL':4} {script.name}")
        if proc.returncode != 0:
            failed.append(script.name)
            print((proc.stdout + proc.stderr).strip())
    print(f"{len(scripts) - len(failed)}/{len(scripts)} test scripts passed")
    sys.exit(1 if failed or not scripts else 0)
    ''')

ACCEPTANCE = TEST_PRELUDE + dedent('''
    """Acceptance test of SPEC.md (given; do not edit). Mostly in-process, plus one real CLI run."""
    import contextlib
    import io
    import json
    import subprocess
    import tempfile

    from inventory import __version__, csvio, ops, report, search, store
    from inventory.cli import main
    from inventory.models import InventoryError, Item, format_price, normalize_tags, parse_price


    def raises(fn, *args):
        try:
            fn(*args)
        except InventoryError as exc:
            return str(exc)
        raise AssertionError(f"{fn.__name__}{args} must raise InventoryError")


    assert __version__ == "0.1.0"
    assert issubclass(InventoryError, ValueError)
    a = Item("ABC-123", " Widget ", 4, 250, ("Red", "tools", "red", " "))
    assert (a.name, a.tags) == ("Widget", ("red", "tools"))
    assert Item.from_dict(a.to_dict()) == a
    assert a.to_dict() == {"sku": "ABC-123", "name": "Widget", "qty": 4, "price_cents": 250, "tags": ["red", "tools"]}
    for bad in (("abc-123", "x", 1, 1), ("ABC-12", "x", 1, 1), ("ABC-123", " ", 1, 1), ("ABC-123", "x", -1, 1),
                ("ABC-123", "x", 1, -5)):
        raises(Item, *bad)
    assert normalize_tags(["B", "a", "b"]) == ("a", "b")
    assert [parse_price(t) for t in ("12.5", "3", "0.99", "10.05")] == [1250, 300, 99, 1005]
    for bad in ("-1", "1.234", "abc", ""):
        raises(parse_price, bad)
    assert (format_price(1250), format_price(5), format_price(100000)) == ("12.50", "0.05", "1000.00")

    b = Item("XYZ-001", "Gadget with a very long name", 1, 1999)
    c = Item("MNO-500", "Gizmo", 12, 5, ("tools",))
    items = ops.add_item(ops.add_item(ops.add_item({}, a), b), c)
    raises(ops.add_item, items, a)
    assert ops.adjust(items, "ABC-123", -4)["ABC-123"].qty == 0 and items["ABC-123"].qty == 4
    raises(ops.adjust, items, "ABC-123", -5)
    raises(ops.remove_item, items, "NOP-000")
    assert ops.set_price(items, "MNO-500", 7)["MNO-500"].price_cents == 7
    assert ops.rename(items, "MNO-500", "Gizmo 2")["MNO-500"].name == "Gizmo 2"
    raises(ops.rename, items, "MNO-500", "  ")
    assert report.total_value(items) == 4 * 250 + 1999 + 12 * 5
    assert [i.sku for i in report.low_stock(items, 5)] == ["XYZ-001", "ABC-123"]
    assert report.value_by_tag(items) == {"red": 1000, "tools": 1060, "untagged": 1999}
    assert report.format_table(items).splitlines() == [
        "SKU     NAME                   QTY     PRICE",
        "ABC-123 Widget                   4      2.50",
        "MNO-500 Gizmo                   12      0.05",
        "XYZ-001 Gadget with a very       1     19.99",
    ]
    assert [i.sku for i in search.by_tag(items, "TOOLS")] == ["ABC-123", "MNO-500"]
    assert [i.sku for i in search.by_text(items, "GET")] == ["ABC-123", "XYZ-001"]

    buf = io.StringIO()
    assert csvio.export_csv(items, buf) == 3
    assert buf.getvalue().splitlines()[:2] == ["sku,name,qty,price,tags", "ABC-123,Widget,4,2.50,red;tools"]
    assert csvio.import_csv(io.StringIO(buf.getvalue())) == [items[s] for s in sorted(items)]
    assert raises(csvio.import_csv, io.StringIO("sku,name,qty,price,tags\\nABC-123,W,1,1.00,\\nBAD,W,1,1,\\n")).startswith("line 3: ")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inv.json"
        assert store.load(path) == {}
        store.save(path, items)
        text = path.read_text()
        assert text.endswith("}\\n") and json.loads(text)["version"] == 1
        assert [d["sku"] for d in json.loads(text)["items"]] == ["ABC-123", "MNO-500", "XYZ-001"]
        assert store.load(path) == items
        (Path(tmp) / "bad.json").write_text("{nope")
        raises(store.load, Path(tmp) / "bad.json")

        def cli(*argv):
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(["--file", str(path), *argv])
            return code, out.getvalue(), err.getvalue()

        assert cli("add", "QRS-777", "Sprocket", "3", "1.5", "--tag", "Parts") == (0, "added QRS-777\\n", "")
        assert cli("adjust", "QRS-777", "-1") == (0, "QRS-777: 2\\n", "")
        assert cli("price", "QRS-777", "2") == (0, "QRS-777: 2.00\\n", "")
        assert cli("rename", "QRS-777", "Big sprocket") == (0, "QRS-777: Big sprocket\\n", "")
        assert cli("show", "QRS-777")[1] == "sku: QRS-777\\nname: Big sprocket\\nqty: 2\\nprice: 2.00\\ntags: parts\\n"
        code, out, err = cli("adjust", "QRS-777", "-9")
        assert code == 1 and out == "" and err.startswith("error: "), (code, out, err)
        assert store.load(path)["QRS-777"].qty == 2
        assert cli("list", "--tag", "parts")[1].splitlines()[1].startswith("QRS-777 Big sprocket")
        assert cli("search", "sprock")[1] == "QRS-777  Big sprocket\\n"
        assert cli("search", "zzz")[1] == "no match\\n"
        report_lines = cli("report", "--threshold", "3")[1].splitlines()
        assert report_lines[:5] == ["items: 4", "units: 19", "value: 34.59", "low stock:", "  XYZ-001 1"], report_lines
        assert report_lines[5:] == ["  QRS-777 2", "by tag:", "  parts 4.00", "  red 10.00", "  tools 10.60",
                                    "  untagged 19.99"], report_lines
        exported = cli("export")[1]
        assert exported.splitlines()[0] == "sku,name,qty,price,tags" and len(exported.splitlines()) == 5
        assert cli("remove", "QRS-777") == (0, "removed QRS-777\\n", "")
        csv_path = Path(tmp) / "new.csv"
        csv_path.write_text("sku,name,qty,price,tags\\nDEF-010,Bolt,100,0.10,parts;steel\\n")
        assert cli("import", str(csv_path)) == (0, "imported 1\\n", "")
        code, out, err = cli("import", str(csv_path))
        assert code == 1 and "DEF-010" in err and len(store.load(path)) == 4
        proc = subprocess.run([sys.executable, "-S", "-B", "-m", "inventory", "--file", str(path), "show", "DEF-010"],
                              capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
        assert proc.returncode == 0 and proc.stdout.splitlines()[-1] == "tags: parts, steel", proc.stdout + proc.stderr
    print("ok: acceptance")
    ''')

# ---------------------------------------------------------------- reference solution pieces

INIT = '"""inventory: keep track of stock in a JSON file (see SPEC.md)."""\n\n__version__ = "0.1.0"\n'
MAIN = dedent('''
    """python3 -m inventory"""
    import sys

    from inventory.cli import main

    sys.exit(main())
    ''')
TEST_TAIL = "\n\n" + dedent('''
    if __name__ == "__main__":
        for _name, _fn in sorted(globals().items()):
            if _name.startswith("test_") and callable(_fn):
                _fn()
        print("ok: {}")
    ''')
APPEND_AT = '\n\nif __name__ == "__main__":'


def test_file(label, body):
    return TEST_PRELUDE + dedent(body) + TEST_TAIL.format(label)


def add_test(path, body):
    """An edit that adds test functions before the __main__ block."""
    return edit(path, APPEND_AT, "\n\n" + dedent(body).rstrip("\n") + "\n" + APPEND_AT)


def spec_read(heading):
    """read_file of the SPEC.md section starting with heading (up to the next section)."""
    lines = SPEC.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return read("SPEC.md", start_line=start + 1, end_line=end)


def t(name):
    return f"python3 tests/test_{name}.py"


MODELS = dedent('''
    """Items and prices."""
    import re
    from dataclasses import dataclass

    SKU_RE = re.compile(r"[A-Z]{3}-[0-9]{3}")


    class InventoryError(ValueError):
        """A rule of the inventory was broken: a bad value, an unknown or duplicate sku, ..."""


    def _is_count(value):
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0


    @dataclass(frozen=True)
    class Item:
        sku: str
        name: str
        qty: int
        price_cents: int
        tags: tuple = ()

        def __post_init__(self):
            if not isinstance(self.sku, str) or not SKU_RE.fullmatch(self.sku):
                raise InventoryError(f"bad sku {self.sku!r}: expected 3 capitals, '-', 3 digits")
            if not isinstance(self.name, str) or not self.name.strip():
                raise InventoryError(f"{self.sku}: the name must not be empty")
            if not _is_count(self.qty):
                raise InventoryError(f"{self.sku}: qty must be an int >= 0, not {self.qty!r}")
            if not _is_count(self.price_cents):
                raise InventoryError(f"{self.sku}: price must be an int >= 0 (cents), not {self.price_cents!r}")
            object.__setattr__(self, "name", self.name.strip())
            object.__setattr__(self, "tags", tuple(self.tags))

        def to_dict(self):
            return {"sku": self.sku, "name": self.name, "qty": self.qty, "price_cents": self.price_cents,
                    "tags": list(self.tags)}

        @classmethod
        def from_dict(cls, data):
            return cls(data["sku"], data["name"], data["qty"], data["price_cents"], tuple(data.get("tags", ())))
    ''')
NORMALIZE = dedent('''
    def normalize_tags(tags):
        """Stripped, lowercased, non-empty, unique tags, sorted, as a tuple."""
        return tuple(sorted({tag.strip().lower() for tag in tags if tag.strip()}))
    ''')
PRICES = dedent('''
    PRICE_RE = re.compile(r"([0-9]+)(?:[.]([0-9]{1,2}))?")


    def parse_price(text):
        """'12.5' -> 1250 cents; InventoryError unless a non-negative amount with at most 2 decimals."""
        match = PRICE_RE.fullmatch(text.strip())
        if not match:
            raise InventoryError(f"bad price {text!r}: expected like 12.50")
        return int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))


    def format_price(cents):
        """1250 -> '12.50'."""
        return f"{cents // 100}.{cents % 100:02d}"
    ''')
FROM_DICT_END = '        return cls(data["sku"], data["name"], data["qty"], data["price_cents"], tuple(data.get("tags", ())))'

STORE = dedent('''
    """Load and save the inventory file (JSON)."""
    import json
    import os
    import tempfile
    from pathlib import Path

    from inventory.models import InventoryError, Item

    FORMAT_VERSION = 1


    def load(path):
        """dict sku -> Item from the JSON file at path; a missing file is an empty inventory."""
        path = Path(path)
        if not path.exists():
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != FORMAT_VERSION:
            raise InventoryError(f"{path}: unsupported version {data.get('version')!r}")
        return {item.sku: item for item in (Item.from_dict(d) for d in data["items"])}


    def save(path, items):
        """Write the items sorted by sku, atomically: a temporary file in the same folder, then os.replace."""
        path = Path(path)
        data = {"version": FORMAT_VERSION, "items": [items[sku].to_dict() for sku in sorted(items)]}
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        os.write(fd, (json.dumps(data, indent=2) + "\\n").encode("utf-8"))
        os.close(fd)
        os.replace(tmp, path)
    ''')

OPS = dedent('''
    """Operations on an inventory (dict sku -> Item). Each returns a new dict; the argument is left unchanged."""
    from inventory.models import InventoryError


    def _existing(items, sku):
        if sku not in items:
            raise InventoryError(f"no item {sku}")
        return items[sku]


    def add_item(items, item):
        """items plus item; InventoryError if its sku exists."""
        if item.sku in items:
            raise InventoryError(f"{item.sku} already exists")
        return {**items, item.sku: item}


    def remove_item(items, sku):
        """items without sku."""
        _existing(items, sku)
        return {k: v for k, v in items.items() if k != sku}
    ''')
OPS_ADJUST = dedent('''
    def adjust(items, sku, delta):
        """qty + delta; InventoryError if it would go below 0."""
        item = _existing(items, sku)
        if item.qty + delta < 0:
            raise InventoryError(f"{sku}: only {item.qty} in stock")
        return {**items, sku: replace(item, qty=item.qty + delta)}
    ''')
OPS_PRICE = dedent('''
    def set_price(items, sku, price_cents):
        """A new price (cents) for sku; InventoryError if negative (checked by Item)."""
        return {**items, sku: replace(_existing(items, sku), price_cents=price_cents)}
    ''')
OPS_RENAME = dedent('''
    def rename(items, sku, name):
        """A new name for sku; InventoryError if it is empty (checked by Item)."""
        return {**items, sku: replace(_existing(items, sku), name=name)}
    ''')
OPS_END = "    return {k: v for k, v in items.items() if k != sku}"

REPORT = dedent('''
    """Reports over an inventory (dict sku -> Item)."""


    def total_value(items):
        """Sum of qty * price_cents."""
        return sum(item.qty * item.price_cents for item in items.values())


    def low_stock(items, threshold):
        """Items with qty < threshold, sorted by qty, then sku."""
        return sorted((item for item in items.values() if item.qty < threshold), key=lambda i: (i.qty, i.sku))
    ''')
REPORT_END = "    return sorted((item for item in items.values() if item.qty < threshold), key=lambda i: (i.qty, i.sku))"
REPORT_BY_TAG = dedent('''
    def value_by_tag(items):
        """{tag: value in cents}, sorted by tag; items without tags count under 'untagged'."""
        totals = {}
        for item in items.values():
            for tag in item.tags or ("untagged",):
                totals[tag] = totals.get(tag, 0) + item.qty * item.price_cents
        return dict(sorted(totals.items()))
    ''')
REPORT_TABLE = dedent('''
    ROW = "{:<8}{:<20}{:>6}{:>10}"


    def format_table(items):
        """A header, then one row per item sorted by sku (names cut to 19 characters)."""
        lines = [ROW.format("SKU", "NAME", "QTY", "PRICE")]
        for sku in sorted(items):
            item = items[sku]
            lines.append(ROW.format(sku, item.name[:19], item.qty, format_price(item.price_cents)))
        return "\\n".join(lines)
    ''')

SEARCH = dedent('''
    """Find items; results are sorted by sku."""


    def by_tag(items, tag):
        """Items having the tag (compared lowercased)."""
        tag = tag.strip().lower()
        return [items[sku] for sku in sorted(items) if tag in items[sku].tags]
    ''')
SEARCH_TEXT = dedent('''
    def by_text(items, text):
        """Items whose sku or name contains text, ignoring case."""
        needle = text.lower()
        return [items[sku] for sku in sorted(items) if needle in sku.lower() or needle in items[sku].name.lower()]
    ''')

CSVIO = dedent('''
    """CSV import and export: columns sku,name,qty,price,tags (price like 12.50, tags joined with ';')."""
    import csv

    from inventory.models import InventoryError, Item, format_price, parse_price

    HEADER = ["sku", "name", "qty", "price", "tags"]


    def export_csv(items, stream):
        """Write the header and the items sorted by sku; returns the number of rows."""
        writer = csv.writer(stream, lineterminator="\\n")
        writer.writerow(HEADER)
        for sku in sorted(items):
            item = items[sku]
            writer.writerow([item.sku, item.name, item.qty, format_price(item.price_cents), ";".join(item.tags)])
        return len(items)
    ''')
CSV_END = "    return len(items)"
CSV_IMPORT = dedent('''
    def import_csv(stream):
        """Items from CSV text with the export's header; InventoryError 'line N: ...' for a bad header or row."""
        reader = csv.reader(stream)
        if next(reader, None) != HEADER:
            raise InventoryError(f"line 1: the header must be {','.join(HEADER)}")
        items = []
        for lineno, row in enumerate(reader, start=2):
            try:
                if len(row) != len(HEADER):
                    raise InventoryError(f"expected {len(HEADER)} fields, got {len(row)}")
                sku, name, qty, price, tags = row
                if not qty.strip().isdigit():
                    raise InventoryError(f"bad qty {qty!r}")
                items.append(Item(sku, name, int(qty), parse_price(price), tuple(tags.split(";"))))
            except InventoryError as exc:
                raise InventoryError(f"line {lineno}: {exc}") from None
        return items
    ''')

CLI = dedent('''
    """Command line: python3 -m inventory [--file PATH] COMMAND ... (see SPEC.md)."""
    import argparse
    import functools
    import sys

    from inventory import __version__, csvio, models, ops, report, search, store
    from inventory.models import InventoryError, Item


    @functools.cache  # built once per process; parse_args does not change it
    def build_parser():
        parser = argparse.ArgumentParser(prog="inventory", description="Keep track of stock in a JSON file.")
        parser.add_argument("--file", default="inventory.json", help="the inventory file (default: inventory.json)")
        parser.add_argument("--version", action="version", version=f"inventory {__version__}")
        sub = parser.add_subparsers(dest="command", required=True)
        p = sub.add_parser("list", help="the items as a table")
        p.add_argument("--tag", help="only the items with this tag")
        return parser


    def cmd_list(args, items):
        """The handler of `list`; each cmd_NAME(args, items) returns the new items to save, or None."""
        if args.tag:
            items = {item.sku: item for item in search.by_tag(items, args.tag)}
        print(report.format_table(items))


    def main(argv=None):
        args = build_parser().parse_args(argv)
        try:
            items = store.load(args.file)
            changed = globals()["cmd_" + args.command](args, items)
            if changed is not None:
                store.save(args.file, changed)
        except InventoryError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0
    ''')
PARSER_END = "    return parser\n"
MAIN_DEF = "\n\ndef main(argv=None):"

CLI_TEST = test_file("cli", '''
    import contextlib
    import io
    import subprocess
    import tempfile

    from inventory import store
    from inventory.cli import main
    from inventory.models import Item

    TMP = tempfile.TemporaryDirectory()
    SEED = [Item("ABC-123", "Widget", 4, 250, ("red", "tools")), Item("MNO-500", "Gizmo", 12, 5, ("tools",)),
            Item("XYZ-001", "Gadget", 1, 1999)]


    def fresh(seed=True):
        """A new inventory file (with the three SEED items unless seed is False)."""
        path = Path(tempfile.mkdtemp(dir=TMP.name)) / "inv.json"
        if seed:
            store.save(path, {item.sku: item for item in SEED})
        return path


    def cli(path, *argv):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(["--file", str(path), *argv])
            except SystemExit as exc:
                code = exc.code
        return code, out.getvalue(), err.getvalue()


    def test_list():
        assert cli(fresh(seed=False), "list") == (0, "SKU     NAME                   QTY     PRICE\\n", "")
        lines = cli(fresh(), "list")[1].splitlines()
        assert lines[1:] == ["ABC-123 Widget                   4      2.50", "MNO-500 Gizmo                   12      0.05",
                             "XYZ-001 Gadget                   1     19.99"], lines
        assert [line[:7] for line in cli(fresh(), "list", "--tag", "Tools")[1].splitlines()[1:]] == ["ABC-123", "MNO-500"]


    def test_errors():
        path = fresh(seed=False)
        path.write_text('{"version": 9, "items": []}')
        code, out, err = cli(path, "list")
        assert code == 1 and out == "" and err.startswith("error: "), (code, out, err)
        assert cli(path, "frobnicate")[0] == 2
        assert cli(path)[0] == 2, "a command is required"


    def test_module_entry_point():
        root = Path(__file__).resolve().parent.parent
        proc = subprocess.run([sys.executable, "-S", "-B", "-m", "inventory", "--version"], cwd=root, capture_output=True,
                              text=True)
        assert proc.returncode == 0 and proc.stdout == "inventory 0.1.0\\n", proc.stdout + proc.stderr
    ''').replace('print("ok: cli")', 'TMP.cleanup()\n    print("ok: cli")')

# (name, parser lines, handler, test, library node it needs, summary)
SUBCOMMANDS = [
    ("add", '''
        p = sub.add_parser("add", help="add a new item")
        p.add_argument("sku")
        p.add_argument("name")
        p.add_argument("qty", type=int)
        p.add_argument("price", help="like 12.50")
        p.add_argument("--tag", action="append", default=[], help="a tag (repeatable)")
        ''', '''
        def cmd_add(args, items):
            item = Item(args.sku, args.name, args.qty, models.parse_price(args.price), tuple(args.tag))
            new = ops.add_item(items, item)
            print(f"added {item.sku}")
            return new
        ''', '''
        def test_add():
            path = fresh()
            assert cli(path, "add", "QRS-777", "Sprocket", "3", "1.5", "--tag", "Parts", "--tag", "x") == (
                0, "added QRS-777\\n", "")
            assert store.load(path)["QRS-777"] == Item("QRS-777", "Sprocket", 3, 150, ("parts", "x"))
            code, out, err = cli(path, "add", "ABC-123", "Again", "1", "1")
            assert (code, out) == (1, "") and err == "error: ABC-123 already exists\\n", err
            assert cli(path, "add", "QRS-778", "Bad", "1", "1.999")[0] == 1
            assert cli(path, "add", "bad", "Bad", "1", "1")[0] == 1
            assert len(store.load(path)) == 4
        ''', ["ops.add_remove", "models.price", "models.tags"], "add creates an item"),
    ("remove", '''
        p = sub.add_parser("remove", help="remove an item")
        p.add_argument("sku")
        ''', '''
        def cmd_remove(args, items):
            new = ops.remove_item(items, args.sku)
            print(f"removed {args.sku}")
            return new
        ''', '''
        def test_remove():
            path = fresh()
            assert cli(path, "remove", "MNO-500") == (0, "removed MNO-500\\n", "")
            assert sorted(store.load(path)) == ["ABC-123", "XYZ-001"]
            assert cli(path, "remove", "MNO-500") == (1, "", "error: no item MNO-500\\n")
        ''', ["ops.add_remove"], "remove deletes an item"),
    ("adjust", '''
        p = sub.add_parser("adjust", help="change a quantity by DELTA")
        p.add_argument("sku")
        p.add_argument("delta", type=int)
        ''', '''
        def cmd_adjust(args, items):
            new = ops.adjust(items, args.sku, args.delta)
            print(f"{args.sku}: {new[args.sku].qty}")
            return new
        ''', '''
        def test_adjust():
            path = fresh()
            assert cli(path, "adjust", "ABC-123", "-3") == (0, "ABC-123: 1\\n", "")
            assert cli(path, "adjust", "ABC-123", "10") == (0, "ABC-123: 11\\n", "")
            code, out, err = cli(path, "adjust", "ABC-123", "-12")
            assert code == 1 and err.startswith("error: ABC-123"), err
            assert store.load(path)["ABC-123"].qty == 11
        ''', ["ops.adjust"], "adjust changes a quantity"),
    ("price", '''
        p = sub.add_parser("price", help="set the price of an item")
        p.add_argument("sku")
        p.add_argument("price", help="like 12.50")
        ''', '''
        def cmd_price(args, items):
            new = ops.set_price(items, args.sku, models.parse_price(args.price))
            print(f"{args.sku}: {models.format_price(new[args.sku].price_cents)}")
            return new
        ''', '''
        def test_price():
            path = fresh()
            assert cli(path, "price", "XYZ-001", "20") == (0, "XYZ-001: 20.00\\n", "")
            assert store.load(path)["XYZ-001"].price_cents == 2000
            assert cli(path, "price", "XYZ-001", "cheap")[0] == 1
            assert cli(path, "price", "NOP-000", "1")[0] == 1
        ''', ["ops.set_price", "models.price"], "price sets a price"),
    ("rename", '''
        p = sub.add_parser("rename", help="rename an item")
        p.add_argument("sku")
        p.add_argument("name")
        ''', '''
        def cmd_rename(args, items):
            new = ops.rename(items, args.sku, args.name)
            print(f"{args.sku}: {new[args.sku].name}")
            return new
        ''', '''
        def test_rename():
            path = fresh()
            assert cli(path, "rename", "MNO-500", " Gizmo XL ") == (0, "MNO-500: Gizmo XL\\n", "")
            assert store.load(path)["MNO-500"].name == "Gizmo XL"
            assert cli(path, "rename", "MNO-500", "")[0] == 1
        ''', ["ops.rename"], "rename renames an item"),
    ("show", '''
        p = sub.add_parser("show", help="one item in detail")
        p.add_argument("sku")
        ''', '''
        def cmd_show(args, items):
            if args.sku not in items:
                raise InventoryError(f"no item {args.sku}")
            item = items[args.sku]
            print(f"sku: {item.sku}\\nname: {item.name}\\nqty: {item.qty}\\nprice: {models.format_price(item.price_cents)}")
            print(f"tags: {', '.join(item.tags) or '-'}")
        ''', '''
        def test_show():
            path = fresh()
            assert cli(path, "show", "ABC-123")[1] == "sku: ABC-123\\nname: Widget\\nqty: 4\\nprice: 2.50\\ntags: red, tools\\n"
            assert cli(path, "show", "XYZ-001")[1].endswith("tags: -\\n")
            assert cli(path, "show", "NOP-000") == (1, "", "error: no item NOP-000\\n")
        ''', ["models.price"], "show prints one item"),
    ("report", '''
        p = sub.add_parser("report", help="totals, low stock and value per tag")
        p.add_argument("--threshold", type=int, default=5, help="low stock below this quantity (default 5)")
        ''', '''
        def cmd_report(args, items):
            print(f"items: {len(items)}")
            print(f"units: {sum(item.qty for item in items.values())}")
            print(f"value: {models.format_price(report.total_value(items))}")
            print("low stock:")
            for item in report.low_stock(items, args.threshold):
                print(f"  {item.sku} {item.qty}")
            print("by tag:")
            for tag, cents in report.value_by_tag(items).items():
                print(f"  {tag} {models.format_price(cents)}")
        ''', '''
        def test_report():
            assert cli(fresh(), "report")[1].splitlines() == [
                "items: 3", "units: 17", "value: 30.59", "low stock:", "  XYZ-001 1", "  ABC-123 4", "by tag:",
                "  red 10.00", "  tools 10.60", "  untagged 19.99"]
            assert cli(fresh(), "report", "--threshold", "1")[1].splitlines()[3:5] == ["low stock:", "by tag:"]
            path = fresh()
            cli(path, "adjust", "ABC-123", "1")
            assert cli(path, "report")[1].splitlines()[3:6] == ["low stock:", "  XYZ-001 1", "by tag:"], "default 5"
        ''', ["report.by_tag", "models.price"], "report prints totals, low stock and value per tag"),
    ("search", '''
        p = sub.add_parser("search", help="items whose sku or name contains TEXT")
        p.add_argument("text")
        ''', '''
        def cmd_search(args, items):
            found = search.by_text(items, args.text)
            for item in found:
                print(f"{item.sku}  {item.name}")
            if not found:
                print("no match")
        ''', '''
        def test_search():
            path = fresh()
            assert cli(path, "search", "GET") == (0, "ABC-123  Widget\\nXYZ-001  Gadget\\n", "")
            assert cli(path, "search", "abc-1") == (0, "ABC-123  Widget\\n", "")
            assert cli(path, "search", "nothing") == (0, "no match\\n", "")
        ''', ["search.text"], "search finds items by text"),
    ("export", '''
        sub.add_parser("export", help="the items as CSV on stdout")
        ''', '''
        def cmd_export(args, items):
            csvio.export_csv(items, sys.stdout)
        ''', '''
        def test_export():
            assert cli(fresh(), "export")[1] == (
                "sku,name,qty,price,tags\\nABC-123,Widget,4,2.50,red;tools\\nMNO-500,Gizmo,12,0.05,tools\\n"
                "XYZ-001,Gadget,1,19.99,\\n")
        ''', ["csvio.export"], "export writes CSV"),
    ("import", '''
        p = sub.add_parser("import", help="add the items of a CSV file")
        p.add_argument("csv_path")
        ''', '''
        def cmd_import(args, items):
            try:
                with open(args.csv_path, encoding="utf-8", newline="") as fh:
                    rows = csvio.import_csv(fh)
            except OSError as exc:
                raise InventoryError(f"cannot read {args.csv_path}: {exc.strerror}") from None
            for item in rows:
                items = ops.add_item(items, item)
            print(f"imported {len(rows)}")
            return items
        ''', '''
        def test_import():
            path = fresh()
            csv_path = path.parent / "in.csv"
            csv_path.write_text("sku,name,qty,price,tags\\nDEF-010,Bolt,100,0.10,parts;steel\\nDEF-011,Nut,50,0.05,\\n")
            assert cli(path, "import", str(csv_path)) == (0, "imported 2\\n", "")
            assert store.load(path)["DEF-010"].tags == ("parts", "steel") and len(store.load(path)) == 5
            code, out, err = cli(path, "import", str(csv_path))
            assert code == 1 and "DEF-010 already exists" in err and len(store.load(path)) == 5
            csv_path.write_text("sku,name,qty,price,tags\\nGHI-001,Ok,1,1,\\nGHI-002,Bad,x,1,\\n")
            assert cli(path, "import", str(csv_path)) == (1, "", "error: line 3: bad qty 'x'\\n")
            assert cli(path, "import", str(path.parent / "missing.csv")) == (
                1, "", f"error: cannot read {path.parent / 'missing.csv'}: No such file or directory\\n")
            assert "GHI-001" not in store.load(path)
        ''', ["csvio.import", "ops.add_remove"], "import adds the rows of a CSV file"),
]


def library_nodes():
    n = []
    n.append(node("package", "Create the inventory package with its version", [], "tests/test_package.py passes",
                  ["inventory/__init__.py", "tests/test_package.py"],
                  [cmd(t("package")), contains("inventory/__init__.py", '__version__ = "0.1.0"')],
                  [list_files("."), read("SPEC.md"), read("tests/acceptance.py"), write("inventory/__init__.py", INIT),
                   write("tests/test_package.py", test_file("package", '''
                       import inventory


                       def test_version():
                           parts = inventory.__version__.split(".")
                           assert inventory.__version__ == "0.1.0" and len(parts) == 3 and all(p.isdigit() for p in parts)
                       ''')),
                   run(t("package")), finish("created the package")]))
    n.append(node("models.item", "inventory/models.py: InventoryError and the validated Item dataclass", ["package"],
                  "tests/test_models.py passes", ["inventory/models.py", "tests/test_models.py"],
                  [cmd(t("models")), contains("inventory/models.py", "class Item")],
                  [spec_read("## Items"), write("inventory/models.py", MODELS),
                   write("tests/test_models.py", test_file("models", '''
                       import dataclasses

                       from inventory.models import InventoryError, Item


                       def rejects(*args):
                           try:
                               Item(*args)
                           except InventoryError:
                               return True
                           return False


                       def test_item():
                           item = Item("ABC-123", "  Widget ", 4, 250)
                           assert (item.sku, item.name, item.qty, item.price_cents, item.tags) == ("ABC-123", "Widget", 4, 250, ())
                           assert [f.name for f in dataclasses.fields(Item)] == ["sku", "name", "qty", "price_cents", "tags"]
                           try:
                               item.qty = 5
                           except dataclasses.FrozenInstanceError:
                               pass
                           else:
                               raise AssertionError("Item must be frozen")
                           assert Item("ABC-123", "W", 0, 0).qty == 0


                       def test_validation():
                           assert issubclass(InventoryError, ValueError)
                           for args in (("ABC-1234", "x", 1, 1), ("AB-123", "x", 1, 1), ("abc-123", "x", 1, 1),
                                        ("ABC-123", "", 1, 1), ("ABC-123", "x", -1, 1), ("ABC-123", "x", 1, -1),
                                        ("ABC-123", "x", 1.5, 1), ("ABC-123", "x", True, 1)):
                               assert rejects(*args), args


                       def message(*args):
                           try:
                               Item(*args)
                           except InventoryError as exc:
                               return str(exc)
                           raise AssertionError(f"Item{args} must raise InventoryError")


                       def test_messages():
                           assert message("AB-123", "x", 1, 1) == "bad sku 'AB-123': expected 3 capitals, '-', 3 digits"
                           assert message("ABC-123", " ", 1, 1) == "ABC-123: the name must not be empty"
                           assert message("ABC-123", "x", -1, 1) == "ABC-123: qty must be an int >= 0, not -1"
                           assert message("ABC-123", "x", 1, -2) == "ABC-123: price must be an int >= 0 (cents), not -2"
                           assert Item("ABC-123", "x", 1, 1, ["t"]).tags == ("t",), "tags are stored as a tuple"


                       def test_dict_round_trip():
                           item = Item("XYZ-001", "Gadget", 1, 1999, ("b", "a"))
                           assert item.to_dict() == {"sku": "XYZ-001", "name": "Gadget", "qty": 1, "price_cents": 1999,
                                                     "tags": list(item.tags)}
                           assert Item.from_dict(item.to_dict()) == item
                           assert Item.from_dict({"sku": "XYZ-001", "name": "G", "qty": 1, "price_cents": 2}).tags == ()
                       ''')),
                   run(t("models")), finish("Item validates its fields and converts to and from dicts")]))
    n.append(node("models.tags", "inventory/models.py: normalize_tags, applied by Item", ["models.item"],
                  "tests/test_models.py passes with the tag tests", ["inventory/models.py", "tests/test_models.py"],
                  [cmd(t("models")), contains("inventory/models.py", "def normalize_tags(")],
                  [read("inventory/models.py"),
                   edit("inventory/models.py", "\n\n@dataclass(frozen=True)", "\n\n" + NORMALIZE + "\n\n@dataclass(frozen=True)"),
                   edit("inventory/models.py", 'object.__setattr__(self, "tags", tuple(self.tags))',
                        'object.__setattr__(self, "tags", normalize_tags(self.tags))'),
                   add_test("tests/test_models.py", '''
                       def test_tags():
                           from inventory.models import normalize_tags
                           assert normalize_tags(["B", " a ", "b", "", "  "]) == ("a", "b")
                           assert normalize_tags([]) == ()
                           assert Item("ABC-123", "W", 1, 1, ["Red", "tools", "red"]).tags == ("red", "tools")
                       '''),
                   run(t("models")), finish("tags are normalised")]))
    n.append(node("models.price", "inventory/models.py: parse_price and format_price", ["models.item"],
                  "tests/test_models.py passes with the price tests", ["inventory/models.py", "tests/test_models.py"],
                  [cmd(t("models")), contains("inventory/models.py", "def parse_price(")],
                  [read("inventory/models.py"),
                   edit("inventory/models.py", FROM_DICT_END, FROM_DICT_END + "\n\n\n" + PRICES.rstrip("\n")),
                   add_test("tests/test_models.py", '''
                       def test_prices():
                           from inventory.models import format_price, parse_price
                           assert [parse_price(t) for t in ("12.5", "3", "0.99", "10.05", " 7.10 ", "0")] == [1250, 300, 99, 1005, 710, 0]
                           for bad in ("-1", "1.234", "abc", "", "1.", ".5", "1,50"):
                               assert rejects_price(bad), bad
                           assert [format_price(c) for c in (1250, 5, 0, 100000, 99)] == ["12.50", "0.05", "0.00", "1000.00", "0.99"]
                           try:
                               parse_price("1.234")
                           except InventoryError as exc:
                               assert str(exc) == "bad price '1.234': expected like 12.50", exc


                       def rejects_price(text):
                           from inventory.models import parse_price
                           try:
                               parse_price(text)
                           except InventoryError:
                               return True
                           return False
                       '''),
                   run(t("models")), finish("prices parse to cents and format back")]))
    n.append(node("store.io", "inventory/store.py: load and atomic save of the JSON file", ["models.item"],
                  "tests/test_store.py passes", ["inventory/store.py", "tests/test_store.py"],
                  [cmd(t("store")), contains("inventory/store.py", "os.replace")],
                  [read("inventory/models.py"), write("inventory/store.py", STORE),
                   write("tests/test_store.py", test_file("store", '''
                       import json
                       import tempfile

                       from inventory import store
                       from inventory.models import InventoryError, Item

                       ITEMS = {"XYZ-001": Item("XYZ-001", "Gadget", 1, 1999), "ABC-123": Item("ABC-123", "Widget", 4, 250, ("red",))}


                       def test_round_trip():
                           with tempfile.TemporaryDirectory() as tmp:
                               path = Path(tmp) / "inv.json"
                               assert store.load(path) == {}
                               store.save(path, ITEMS)
                               text = path.read_text()
                               assert text.endswith("}\\n") and text.startswith('{\\n  "version": 1')
                               assert [d["sku"] for d in json.loads(text)["items"]] == ["ABC-123", "XYZ-001"]
                               assert store.load(path) == ITEMS
                               store.save(path, {})
                               assert store.load(path) == {}
                               assert sorted(p.name for p in Path(tmp).iterdir()) == ["inv.json"], "temporary file left"


                       def test_bad_version():
                           with tempfile.TemporaryDirectory() as tmp:
                               path = Path(tmp) / "inv.json"
                               path.write_text('{"version": 2, "items": []}')
                               try:
                                   store.load(path)
                               except InventoryError as exc:
                                   assert str(exc) == f"{path}: unsupported version 2", exc
                               else:
                                   raise AssertionError("version 2 must be rejected")
                       ''')),
                   run(t("store")), finish("the inventory file loads and saves atomically")]))
    n.append(node("store.corrupt", "inventory/store.py: a corrupt file raises InventoryError", ["store.io"],
                  "tests/test_store.py passes with the corrupt-file test", ["inventory/store.py", "tests/test_store.py"],
                  [cmd(t("store")), contains("inventory/store.py", "JSONDecodeError")],
                  [read("inventory/store.py"),
                   edit("inventory/store.py", '    data = json.loads(path.read_text(encoding="utf-8"))\n',
                        '    try:\n        data = json.loads(path.read_text(encoding="utf-8"))\n'
                        '    except json.JSONDecodeError as exc:\n'
                        '        raise InventoryError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None\n'),
                   add_test("tests/test_store.py", '''
                       def test_corrupt():
                           with tempfile.TemporaryDirectory() as tmp:
                               path = Path(tmp) / "inv.json"
                               path.write_text("{not json")
                               try:
                                   store.load(path)
                               except InventoryError as exc:
                                   assert str(exc) == (f"{path}: not valid JSON (Expecting property name enclosed in "
                                                       "double quotes, line 1)"), exc
                               else:
                                   raise AssertionError("a corrupt file must raise InventoryError")
                       '''),
                   run(t("store")), finish("corrupt files raise InventoryError")]))
    n.append(node("ops.add_remove", "inventory/ops.py: add_item and remove_item", ["models.item"],
                  "tests/test_ops.py passes", ["inventory/ops.py", "tests/test_ops.py"],
                  [cmd(t("ops")), contains("inventory/ops.py", "def add_item(")],
                  [spec_read("## Operations"), write("inventory/ops.py", OPS),
                   write("tests/test_ops.py", test_file("ops", '''
                       from inventory import ops
                       from inventory.models import InventoryError, Item

                       W = Item("ABC-123", "Widget", 4, 250)
                       G = Item("XYZ-001", "Gadget", 1, 1999)
                       BASE = {"ABC-123": W, "XYZ-001": G}


                       def fails(fn, *args):
                           try:
                               fn(*args)
                           except InventoryError:
                               return True
                           return False


                       def test_add_remove():
                           items = ops.add_item({}, W)
                           assert items == {"ABC-123": W}
                           both = ops.add_item(items, G)
                           assert both == BASE and items == {"ABC-123": W}, "the argument must not change"
                           assert fails(ops.add_item, both, Item("ABC-123", "Other", 1, 1))
                           assert ops.remove_item(both, "ABC-123") == {"XYZ-001": G} and len(both) == 2
                           assert fails(ops.remove_item, both, "NOP-000")
                       ''')),
                   run(t("ops")), finish("add_item and remove_item return new dicts")]))
    for nid, title, func, body, test, summary in [
        ("ops.adjust", "inventory/ops.py: adjust a quantity", "adjust", OPS_ADJUST, '''
            def test_adjust():
                assert ops.adjust(BASE, "ABC-123", -4)["ABC-123"].qty == 0
                assert ops.adjust(BASE, "ABC-123", 6)["ABC-123"].qty == 10
                assert BASE["ABC-123"].qty == 4
                assert fails(ops.adjust, BASE, "ABC-123", -5)
                try:
                    ops.adjust(BASE, "XYZ-001", -2)
                except InventoryError as exc:
                    assert str(exc) == "XYZ-001: only 1 in stock", exc
                assert fails(ops.adjust, BASE, "NOP-000", 1)
            ''', "adjust changes quantities, never below 0"),
        ("ops.set_price", "inventory/ops.py: set_price", "set_price", OPS_PRICE, '''
            def test_set_price():
                assert ops.set_price(BASE, "XYZ-001", 2500)["XYZ-001"].price_cents == 2500
                assert BASE["XYZ-001"].price_cents == 1999
                assert fails(ops.set_price, BASE, "XYZ-001", -1)
                assert fails(ops.set_price, BASE, "NOP-000", 1)
            ''', "set_price changes a price"),
        ("ops.rename", "inventory/ops.py: rename", "rename", OPS_RENAME, '''
            def test_rename():
                assert ops.rename(BASE, "XYZ-001", " Gadget 2 ")["XYZ-001"].name == "Gadget 2"
                assert BASE["XYZ-001"].name == "Gadget"
                assert fails(ops.rename, BASE, "XYZ-001", "   ")
                assert fails(ops.rename, BASE, "NOP-000", "x")
            ''', "rename changes a name"),
    ]:
        steps = [read("inventory/ops.py")]
        if nid == "ops.adjust":
            steps.append(edit("inventory/ops.py", "from inventory.models import InventoryError\n",
                              "from dataclasses import replace\n\nfrom inventory.models import InventoryError\n"))
        steps += [edit("inventory/ops.py", OPS_END, OPS_END + "\n\n\n" + body.rstrip("\n")),
                  add_test("tests/test_ops.py", test), run(t("ops")), finish(summary)]
        deps = ["ops.add_remove"] if nid == "ops.adjust" else ["ops.adjust"]
        n.append(node(nid, title, deps, f"tests/test_ops.py passes with the {func} test",
                      ["inventory/ops.py", "tests/test_ops.py"],
                      [cmd(t("ops")), contains("inventory/ops.py", f"def {func}(")], steps))
    n.append(node("report.value", "inventory/report.py: total_value and low_stock", ["models.item"],
                  "tests/test_report.py passes", ["inventory/report.py", "tests/test_report.py"],
                  [cmd(t("report")), contains("inventory/report.py", "def low_stock(")],
                  [spec_read("## Reports"), write("inventory/report.py", REPORT),
                   write("tests/test_report.py", test_file("report", '''
                       from inventory import report
                       from inventory.models import Item

                       ITEMS = {i.sku: i for i in (Item("ABC-123", "Widget", 4, 250, ("red", "tools")),
                                                   Item("MNO-500", "Gizmo", 12, 5, ("tools",)),
                                                   Item("XYZ-001", "Gadget with a very long name", 1, 1999),
                                                   Item("DEF-010", "Bolt", 4, 10))}


                       def test_value_and_low_stock():
                           assert report.total_value(ITEMS) == 4 * 250 + 12 * 5 + 1999 + 40
                           assert report.total_value({}) == 0
                           assert [i.sku for i in report.low_stock(ITEMS, 5)] == ["XYZ-001", "ABC-123", "DEF-010"]
                           assert [i.sku for i in report.low_stock(ITEMS, 4)] == ["XYZ-001"]
                           assert report.low_stock(ITEMS, 1) == []
                       ''')),
                   run(t("report")), finish("total_value and low_stock")]))
    report_end_edit = REPORT_END
    n.append(node("report.by_tag", "inventory/report.py: value_by_tag", ["report.value", "models.tags"],
                  "tests/test_report.py passes with the value_by_tag test", ["inventory/report.py", "tests/test_report.py"],
                  [cmd(t("report")), contains("inventory/report.py", "def value_by_tag(")],
                  [read("inventory/report.py"),
                   edit("inventory/report.py", report_end_edit, report_end_edit + "\n\n\n" + REPORT_BY_TAG.rstrip("\n")),
                   add_test("tests/test_report.py", '''
                       def test_value_by_tag():
                           assert report.value_by_tag(ITEMS) == {"red": 1000, "tools": 1060, "untagged": 2039}
                           assert list(report.value_by_tag(ITEMS)) == ["red", "tools", "untagged"]
                           assert report.value_by_tag({}) == {}
                       '''),
                   run(t("report")), finish("value_by_tag sums value per tag")]))
    n.append(node("report.table", "inventory/report.py: format_table", ["report.value", "models.price"],
                  "tests/test_report.py passes with the table test", ["inventory/report.py", "tests/test_report.py"],
                  [cmd(t("report")), contains("inventory/report.py", "def format_table(")],
                  [read("inventory/report.py"),
                   edit("inventory/report.py", '"""Reports over an inventory (dict sku -> Item)."""\n',
                        '"""Reports over an inventory (dict sku -> Item)."""\nfrom inventory.models import format_price\n'),
                   edit("inventory/report.py", report_end_edit, report_end_edit + "\n\n\n" + REPORT_TABLE.rstrip("\n")),
                   add_test("tests/test_report.py", '''
                       def test_format_table():
                           assert report.format_table(ITEMS).split("\\n") == [
                               "SKU     NAME                   QTY     PRICE",
                               "ABC-123 Widget                   4      2.50",
                               "DEF-010 Bolt                     4      0.10",
                               "MNO-500 Gizmo                   12      0.05",
                               "XYZ-001 Gadget with a very       1     19.99",
                           ]
                           assert report.format_table({}) == "SKU     NAME                   QTY     PRICE"
                       '''),
                   run(t("report")), finish("format_table renders a fixed-width table")]))
    n.append(node("search.tags", "inventory/search.py: by_tag", ["models.tags"], "tests/test_search.py passes",
                  ["inventory/search.py", "tests/test_search.py"],
                  [cmd(t("search")), contains("inventory/search.py", "def by_tag(")],
                  [read("inventory/models.py"), write("inventory/search.py", SEARCH),
                   write("tests/test_search.py", test_file("search", '''
                       from inventory import search
                       from inventory.models import Item

                       ITEMS = {i.sku: i for i in (Item("MNO-500", "Gizmo", 12, 5, ("tools",)),
                                                   Item("ABC-123", "Widget", 4, 250, ("red", "tools")),
                                                   Item("XYZ-001", "Gadget", 1, 1999))}


                       def test_by_tag():
                           assert [i.sku for i in search.by_tag(ITEMS, "tools")] == ["ABC-123", "MNO-500"]
                           assert [i.sku for i in search.by_tag(ITEMS, " RED ")] == ["ABC-123"]
                           assert search.by_tag(ITEMS, "blue") == []
                       ''')),
                   run(t("search")), finish("by_tag")]))
    n.append(node("search.text", "inventory/search.py: by_text", ["search.tags"],
                  "tests/test_search.py passes with the by_text test", ["inventory/search.py", "tests/test_search.py"],
                  [cmd(t("search")), contains("inventory/search.py", "def by_text(")],
                  [read("inventory/search.py"),
                   edit("inventory/search.py", "    return [items[sku] for sku in sorted(items) if tag in items[sku].tags]",
                        "    return [items[sku] for sku in sorted(items) if tag in items[sku].tags]\n\n\n"
                        + SEARCH_TEXT.rstrip("\n")),
                   add_test("tests/test_search.py", '''
                       def test_by_text():
                           assert [i.sku for i in search.by_text(ITEMS, "g")] == ["ABC-123", "MNO-500", "XYZ-001"]
                           assert [i.sku for i in search.by_text(ITEMS, "Get")] == ["ABC-123", "XYZ-001"]
                           assert [i.sku for i in search.by_text(ITEMS, "abc")] == ["ABC-123"]
                           assert [i.sku for i in search.by_text(ITEMS, "-")] == ["ABC-123", "MNO-500", "XYZ-001"]
                           assert search.by_text(ITEMS, "zzz") == []
                       '''),
                   run(t("search")), finish("by_text")]))
    n.append(node("csvio.export", "inventory/csvio.py: export_csv", ["models.price", "models.tags"],
                  "tests/test_csvio.py passes", ["inventory/csvio.py", "tests/test_csvio.py"],
                  [cmd(t("csvio")), contains("inventory/csvio.py", "def export_csv(")],
                  [spec_read("## CSV"), write("inventory/csvio.py", CSVIO),
                   write("tests/test_csvio.py", test_file("csvio", '''
                       import io

                       from inventory import csvio
                       from inventory.models import InventoryError, Item

                       ITEMS = {i.sku: i for i in (Item("XYZ-001", "Gadget, large", 1, 1999),
                                                   Item("ABC-123", "Widget", 4, 250, ("red", "tools")))}


                       def test_export():
                           out = io.StringIO()
                           assert csvio.export_csv(ITEMS, out) == 2
                           assert out.getvalue() == ('sku,name,qty,price,tags\\nABC-123,Widget,4,2.50,red;tools\\n'
                                                     'XYZ-001,"Gadget, large",1,19.99,\\n')
                       ''')),
                   run(t("csvio")), finish("export_csv")]))
    n.append(node("csvio.import", "inventory/csvio.py: import_csv with line-numbered errors", ["csvio.export"],
                  "tests/test_csvio.py passes with the import tests", ["inventory/csvio.py", "tests/test_csvio.py"],
                  [cmd(t("csvio")), contains("inventory/csvio.py", "def import_csv(")],
                  [read("inventory/csvio.py"),
                   edit("inventory/csvio.py", CSV_END, CSV_END + "\n\n\n" + CSV_IMPORT.rstrip("\n")),
                   add_test("tests/test_csvio.py", '''
                       def test_import_round_trip():
                           out = io.StringIO()
                           csvio.export_csv(ITEMS, out)
                           assert csvio.import_csv(io.StringIO(out.getvalue())) == [ITEMS["ABC-123"], ITEMS["XYZ-001"]]
                           assert csvio.import_csv(io.StringIO("sku,name,qty,price,tags\\n")) == []


                       def test_import_errors():
                           for text, prefix in (("wrong,header\\n", "line 1: "),
                                                ("sku,name,qty,price,tags\\nABC-123,W,1,1.00,\\nBAD,W,1,1,\\n", "line 3: "),
                                                ("sku,name,qty,price,tags\\nABC-123,W,-1,1.00,\\n", "line 2: "),
                                                ("sku,name,qty,price,tags\\nABC-123,W,1\\n", "line 2: ")):
                               try:
                                   csvio.import_csv(io.StringIO(text))
                               except InventoryError as exc:
                                   assert str(exc).startswith(prefix), (str(exc), prefix)
                               else:
                                   raise AssertionError(f"no error for {text!r}")
                       '''),
                   run(t("csvio")), finish("import_csv is the inverse of export_csv")]))
    return n


# what each subcommand node looks up before writing its handler
LOOKUP = {"add": "def add_item", "remove": "def remove_item", "adjust": "def adjust", "price": "def set_price",
          "rename": "def rename", "show": "def format_price", "report": "def value_by_tag",
          "search": "def by_text", "export": "def export_csv", "import": "def import_csv"}


def cli_nodes():
    n = [node("cli.skeleton", "inventory/cli.py and __main__.py: parser, --file, --version, list, error handling",
              ["store.corrupt", "report.table", "search.tags", "ops.add_remove", "csvio.export"], "tests/test_cli.py passes",
              ["inventory/cli.py", "inventory/__main__.py", "tests/test_cli.py"],
              [cmd(t("cli")), contains("inventory/__main__.py", "main()")],
              [spec_read("## Command line"), write("inventory/cli.py", CLI),
               write("inventory/__main__.py", MAIN), write("tests/test_cli.py", CLI_TEST), run(t("cli")),
               run("python3 tests/run_all.py"),
               finish("python3 -m inventory list works, errors print 'error: ...' and exit 1")])]
    for name, parser, handler, test, needs, summary in SUBCOMMANDS:
        parser_lines = "".join("    " + line + "\n" if line else "\n" for line in dedent(parser).splitlines())
        n.append(node(f"cli.{name}", f"inventory/cli.py: the `{name}` command", ["cli.skeleton"] + needs,
                      f"tests/test_cli.py passes with test_{name}", ["inventory/cli.py", "tests/test_cli.py"],
                      [cmd(t("cli")), contains("inventory/cli.py", f"def cmd_{name}(")],
                      [read("inventory/cli.py"), search(LOOKUP[name]),
                       edit("inventory/cli.py", PARSER_END, parser_lines + PARSER_END),
                       edit("inventory/cli.py", MAIN_DEF, "\n\n" + dedent(handler).rstrip("\n") + MAIN_DEF),
                       add_test("tests/test_cli.py", test), run(t("cli")), finish(summary)]))
    return n


DOCS = "python3 tests/docs_check.py"
README_SECTIONS = [
    ("installation", "Installation", [], "", """
        ## Installation

        No dependencies beyond the standard library. Run it from a checkout:

        ```console
        $ python3 -m inventory --version
        inventory 0.1.0
        ```
        """),
    ("usage", "Usage", ["cli.add", "cli.remove"], "inventory/cli.py", """
        ## Usage

        ```console
        $ python3 -m inventory add ABC-123 Widget 4 2.50 --tag tools --tag metal
        added ABC-123
        $ python3 -m inventory add XYZ-001 Gadget 1 19.99
        added XYZ-001
        $ python3 -m inventory list
        SKU     NAME                   QTY     PRICE
        ABC-123 Widget                   4      2.50
        XYZ-001 Gadget                   1     19.99
        $ python3 -m inventory list --tag metal
        SKU     NAME                   QTY     PRICE
        ABC-123 Widget                   4      2.50
        $ ls *.json
        inventory.json
        ```

        Every command reads the inventory file (another one with --file) and saves it when it changes. On a
        bad value or an unknown SKU it prints an error, changes nothing and fails:

        ```console
        $ python3 -m inventory remove ZZZ-999 2>&1; echo "status $?"
        error: no item ZZZ-999
        status 1
        ```
        """),
    ("commands", "Commands", ["cli.add", "cli.remove", "cli.adjust", "cli.price", "cli.rename", "cli.show",
                              "cli.report", "cli.search", "cli.export", "cli.import"], "inventory/cli.py", """
        ## Commands

        | command | what it does |
        | --- | --- |
        | `list [--tag TAG]` | the items as a table |
        | `add [--tag TAG] sku name qty price` | add a new item |
        | `remove sku` | remove an item |
        | `adjust sku delta` | change a quantity by DELTA |
        | `price sku price` | set the price of an item |
        | `rename sku name` | rename an item |
        | `show sku` | one item in detail |
        | `report [--threshold THRESHOLD]` | totals, low stock and value per tag |
        | `search text` | items whose sku or name contains TEXT |
        | `export` | the items as CSV on stdout |
        | `import csv_path` | add the items of a CSV file |

        The options, as the help shows them:

        ```console
        $ python3 -m inventory --help | sed -n '5p;/^options/,$p'
        Keep track of stock in a JSON file.
        options:
          -h, --help            show this help message and exit
          --file FILE           the inventory file (default: inventory.json)
          --version             show program's version number and exit
        $ python3 -m inventory list --help
        usage: inventory list [-h] [--tag TAG]

        options:
          -h, --help  show this help message and exit
          --tag TAG   only the items with this tag
        $ python3 -m inventory add --help
        usage: inventory add [-h] [--tag TAG] sku name qty price

        positional arguments:
          sku
          name
          qty
          price       like 12.50

        options:
          -h, --help  show this help message and exit
          --tag TAG   a tag (repeatable)
        $ python3 -m inventory price --help
        usage: inventory price [-h] sku price

        positional arguments:
          sku
          price       like 12.50

        options:
          -h, --help  show this help message and exit
        $ python3 -m inventory report --help
        usage: inventory report [-h] [--threshold THRESHOLD]

        options:
          -h, --help            show this help message and exit
          --threshold THRESHOLD
                                low stock below this quantity (default 5)
        ```
        """),
    ("data", "Data file", ["store.corrupt"], "inventory/store.py", """
        ## Data file

        One JSON file, items sorted by SKU, prices in cents, replaced atomically on every save:

        ```console
        $ python3 -m inventory add ABC-123 Widget 4 2.50 --tag tools --tag metal
        added ABC-123
        $ cat inventory.json
        {
          "version": 1,
          "items": [
            {
              "sku": "ABC-123",
              "name": "Widget",
              "qty": 4,
              "price_cents": 250,
              "tags": [
                "metal",
                "tools"
              ]
            }
          ]
        }
        ```
        """),
    ("csv", "CSV format", ["csvio.import", "cli.export", "cli.import", "cli.show"], "inventory/csvio.py", """
        ## CSV format

        ```console
        $ python3 -m inventory add ABC-123 Widget 4 2.50 --tag tools --tag metal
        added ABC-123
        $ python3 -m inventory export
        sku,name,qty,price,tags
        ABC-123,Widget,4,2.50,metal;tools
        ```

        An import adds every row, or none if one is bad (it names the line):

        ```console
        $ printf 'sku,name,qty,price,tags\\nQRS-777,Sprocket,3,1.50,parts\\n' > good.csv
        $ python3 -m inventory import good.csv
        imported 1
        $ python3 -m inventory show QRS-777
        sku: QRS-777
        name: Sprocket
        qty: 3
        price: 1.50
        tags: parts
        $ printf 'sku,name,qty,price,tags\\nbad\\n' > bad.csv
        $ python3 -m inventory import bad.csv 2>&1; echo "status $?"
        error: line 2: expected 5 fields, got 1
        status 1
        ```
        """),
    ("development", "Development", ["cli.import"], "tests/run_all.py", """
        ## Development

        Each module has a test script, run alone or all together by the runner; the acceptance test checks the
        specification end to end, and the docs check runs the examples of this README:

        ```console
        $ ls tests
        acceptance.py
        docs_check.py
        run_all.py
        test_cli.py
        test_csvio.py
        test_models.py
        test_ops.py
        test_package.py
        test_report.py
        test_search.py
        test_store.py
        ```
        """),
]

# The docs check (given, like acceptance.py): every example of README.md runs and prints what the README says,
# the commands table is the parser's, the changelog's newest entry is the package version.
DOCS_CHECK = TEST_PRELUDE + DOCS_LIB + dedent("""
    import argparse

    SECTIONS = ["Installation", "Usage", "Commands", "Data file", "CSV format", "Development"]
    COPY = ("inventory", "tests")  # what the examples run on (a fresh copy each)


    def console(heading):
        text = section(read("README.md"), heading)
        assert text, f"README.md has no '## {heading}' section"
        assert check_console("README.md", text, COPY) >= 1, f"the {heading} section has no example"


    def commands():
        from inventory.cli import build_parser

        sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
        helps = {a.dest: a.help for a in sub._choices_actions}
        want = [(p.format_usage().split(" ", 2)[2].replace("[-h] ", "").replace(" [-h]", "").strip(), helps[name])
                for name, p in sub.choices.items()]
        rows = re.findall(r"^\\| `(.+?)` \\| (.+?) \\|$", section(read("README.md"), "Commands"), re.MULTILINE)
        assert sorted(rows) == sorted(want), f"README.md's commands table (any order):\\n{rows}\\nthe parser:\\n{want}"


    def changelog():
        import inventory

        heads = re.findall(r"^## (\\S+)", read("CHANGELOG.md"), re.MULTILINE)
        assert heads and heads[0] == inventory.__version__, f"newest entry {heads[:1]}, version {inventory.__version__}"


    def order():
        heads = [h for h in re.findall(r"^## (.+)$", read("README.md"), re.MULTILINE)]
        assert heads == SECTIONS, heads


    CHECKS = {"installation": lambda: console("Installation"), "usage": lambda: console("Usage"),
              "commands": lambda: (commands(), console("Commands")), "data": lambda: console("Data file"), "csv": lambda: console("CSV format"),
              "development": lambda: console("Development"), "changelog": changelog, "order": order}

    if __name__ == "__main__":
        main(CHECKS, sys.argv[1:])
    """)


def readme_nodes():
    n = []
    anchor = README0.rstrip("\n").splitlines()[-1]
    prev = None
    for key, heading, deps, source, text in README_SECTIONS:
        deps = list(deps) + ([prev] if prev else []) + ([] if deps else ["cli.skeleton"])
        body = dedent(text).rstrip("\n")
        steps = [read("README.md")] + ([read(source)] if source else []) + [
            edit("README.md", anchor, anchor + "\n\n" + body), run(f"{DOCS} {key}"), finish(f"README: {heading} section")]
        n.append(node(f"readme.{key}", f"README.md: the {heading} section", deps,
                      f"README.md has a '## {heading}' section whose examples run as shown", ["README.md"],
                      [contains("README.md", f"## {heading}\n"), cmd(f"{DOCS} {key}")], steps))
        anchor = body  # the whole previous section: unique, unlike its closing fence
        prev = f"readme.{key}"
    return n


CHANGELOG = dedent('''
    # Changelog

    ## 0.1.0

    - First release: items with SKU, name, quantity, price and tags in a JSON file.
    - Commands: list, add, remove, adjust, price, rename, show, report, search, export, import.
    - CSV import and export; reports of total value, low stock and value per tag.
    ''')


def build():
    nodes = library_nodes() + cli_nodes() + readme_nodes()
    leaves = [x["id"] for x in nodes if not any(x["id"] in y["depends_on"] for y in nodes)]
    nodes.append(node("release", "CHANGELOG.md and the full acceptance run", leaves,
                      "tests/run_all.py and tests/acceptance.py pass", ["CHANGELOG.md"],
                      [cmd("python3 tests/acceptance.py"), cmd("python3 tests/run_all.py"), cmd(DOCS),
                       contains("CHANGELOG.md", "## 0.1.0")],
                      [list_files("."), spec_read("## Documentation"), write("CHANGELOG.md", CHANGELOG),
                       run("python3 tests/run_all.py"), run("python3 tests/acceptance.py"), run(DOCS),
                       finish("inventory 0.1.0 is complete: every test and the acceptance test pass")]))
    files = {"SPEC.md": SPEC, "README.md": README0, "tests/run_all.py": RUN_ALL, "tests/acceptance.py": ACCEPTANCE,
             "tests/docs_check.py": DOCS_CHECK}
    tests = ["models", "store", "ops", "report", "search", "csvio", "cli", "package"]
    goal = {"commands": ["python3 tests/acceptance.py", "python3 tests/run_all.py", DOCS],
            "files": [contains("README.md", f"## {h}\n") for _, h, _, _, _ in README_SECTIONS]
                     + [{"path": f"tests/test_{x}.py", "exists": True} for x in tests]
                     + [{"path": "inventory/__main__.py", "exists": True}, contains("CHANGELOG.md", "## 0.1.0")],
            "criterion": "The package implements SPEC.md (modules, CLI, README sections, per-module tests) and "
                         "the given acceptance test passes unchanged."}
    return family(
        "package",
        ("Build the `inventory` package from SPEC.md: 7 modules (models, store, ops, report, search, csvio, cli "
         "with 11 argparse subcommands run as `python3 -m inventory`), a test script per module, six README "
         "sections and a changelog. Exercises writing new files from a spec, growing modules and tests "
         "incrementally, a command line checked in-process and through `python3 -m`, and documentation."),
        ("Build the Python package `inventory` exactly as SPEC.md describes: the modules, the command line "
         "`python3 -m inventory` with every subcommand, one test script per module under tests/ (plain "
         "`python3 tests/test_x.py` scripts), the README.md sections and CHANGELOG.md. Standard library only. "
         "Do not edit tests/acceptance.py, tests/run_all.py or tests/docs_check.py (it runs the README's examples). "
         "Done when `python3 tests/acceptance.py`, `python3 tests/run_all.py` and `python3 tests/docs_check.py` "
         "pass."),
        files, goal, nodes)


if __name__ == "__main__":
    write_family(build(), "package.json")
    sys.exit(0)
