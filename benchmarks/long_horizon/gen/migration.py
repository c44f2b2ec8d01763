"""Generate families/migration.json (and families/small_migration.json with --small or --all).

`acme`, a tiny user directory, moves from its 1.x API to 2.0:

    get_user(uid) -> dict | None          find_user(user_id) -> User | None
    all_users(active_only=False) -> dicts list_users(*, active_only=False) -> list[User]
    fetch_config() -> dict                load_settings(overrides=None) -> Settings
    send_mail(to, subject, body)          send_message(Message(to, subject, body))
    fmt_date(d)                           format_date(d, style="iso")

The plan follows the usual expand / migrate / contract pattern: add the new API next to the old one
(library nodes), move every caller and doc over (one node per file and API), then remove the old
names (one node per library module, depending on every caller of that API), then the changelog.
The tests of the new API and of the callers' behaviour are given; tests/test_no_legacy.py (goal
only) checks that no old name is left.
"""

from __future__ import annotations

import sys

from common import (DOCS_LIB, TEST_PRELUDE, cmd, contains, dedent, edit, family, finish, list_files, node, not_contains,
                    read, run, search, write, write_family)

OLD_NAMES = ["get_user", "all_users", "fetch_config", "send_mail", "fmt_date"]

STORE = dedent('''
    """In-memory data behind the acme API (it stands in for a database)."""
    import datetime

    USERS = [
        {"id": 1, "name": "Ada Lovelace", "email": "ada@example.org", "active": True,
         "created": datetime.date(2021, 3, 5)},
        {"id": 2, "name": "Alan Turing", "email": "alan@example.org", "active": False,
         "created": datetime.date(2020, 11, 23)},
        {"id": 3, "name": "Grace Hopper", "email": "grace@navy.example.mil", "active": True,
         "created": datetime.date(2022, 1, 9)},
        {"id": 4, "name": "Edsger Dijkstra", "email": "ewd@example.nl", "active": True,
         "created": datetime.date(2019, 7, 30)},
    ]

    CONFIG = {"smtp_host": "mail.example.org", "smtp_port": 587, "sender": "noreply@example.org",
              "report_title": "Acme user report", "date_style": "iso"}

    OUTBOX = []  # mails "sent" by acme.mailer
    ''')

MODELS = dedent('''
    """Value types of the acme 2.0 API."""
    import datetime
    from dataclasses import dataclass


    @dataclass(frozen=True)
    class User:
        id: int
        name: str
        email: str
        active: bool
        created: datetime.date

        @property
        def domain(self):
            """The part of the email address after the '@'."""
            return self.email.rsplit("@", 1)[1]


    @dataclass(frozen=True)
    class Settings:
        smtp_host: str
        smtp_port: int
        sender: str
        report_title: str
        date_style: str = "iso"


    @dataclass(frozen=True)
    class Message:
        to: str
        subject: str
        body: str
    ''')

USERS_OLD = dedent('''
    """User lookups."""
    from acme import store


    def get_user(uid):
        """The user with this id as a dict, or None."""
        for row in store.USERS:
            if row["id"] == uid:
                return dict(row)
        return None


    def all_users(active_only=False):
        """Every user as a dict, in id order; only the active ones if active_only."""
        rows = sorted(store.USERS, key=lambda r: r["id"])
        return [dict(r) for r in rows if r["active"] or not active_only]
    ''')

USERS_NEW_FUNCS = "\n\n\n" + dedent('''
    def find_user(user_id):
        """The User with this id, or None."""
        for row in store.USERS:
            if row["id"] == user_id:
                return User(**row)
        return None


    def list_users(*, active_only=False):
        """Every User in id order; only the active ones if active_only."""
        rows = sorted(store.USERS, key=lambda r: r["id"])
        return [User(**r) for r in rows if r["active"] or not active_only]
    ''').rstrip("\n")

USERS_OLD_FUNCS = USERS_OLD.split('from acme import store\n', 1)[1].rstrip("\n")

CONFIG_OLD = dedent('''
    """Configuration."""
    from acme import store


    def fetch_config():
        """The configuration as a dict (a copy)."""
        return dict(store.CONFIG)
    ''')

CONFIG_NEW_FUNC = "\n\n\n" + dedent('''
    def load_settings(overrides=None):
        """The configuration as a Settings object; overrides (a dict) replaces single values."""
        values = dict(store.CONFIG)
        values.update(overrides or {})
        return Settings(**values)
    ''').rstrip("\n")

MAILER_OLD = dedent('''
    """Outgoing mail (recorded in store.OUTBOX instead of being sent)."""
    from acme import store
    from acme.config import fetch_config


    def send_mail(to, subject, body):
        """Queue a mail; returns its index in the outbox."""
        if "@" not in to:
            raise ValueError(f"bad address: {to}")
        store.OUTBOX.append({"from": fetch_config()["sender"], "to": to, "subject": subject, "body": body})
        return len(store.OUTBOX) - 1
    ''')

MAILER_SEND_MAIL_OLD = MAILER_OLD.split("\n\n\n", 1)[1].rstrip("\n")
MAILER_WRAPPER = dedent('''
    def send_mail(to, subject, body):
        """Deprecated: use send_message(Message(to, subject, body))."""
        return send_message(Message(to, subject, body))
    ''').rstrip("\n")
MAILER_SEND_MESSAGE = dedent('''
    def send_message(message):
        """Queue a Message; returns its index in the outbox."""
        if "@" not in message.to:
            raise ValueError(f"bad address: {message.to}")
        store.OUTBOX.append({"from": load_settings().sender, "to": message.to, "subject": message.subject,
                             "body": message.body})
        return len(store.OUTBOX) - 1
    ''').rstrip("\n")

DATES_OLD = dedent('''
    """Date formatting."""


    def fmt_date(d):
        """d as YYYY-MM-DD."""
        return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"
    ''')
DATES_FMT_OLD = DATES_OLD.split("\n\n\n", 1)[1].rstrip("\n")
DATES_FORMAT = dedent('''
    MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December"]


    def format_date(d, style="iso"):
        """d as text: "iso" 2024-03-05, "us" 03/05/2024, "long" 5 March 2024; ValueError for another style."""
        if style == "iso":
            return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"
        if style == "us":
            return f"{d.month:02d}/{d.day:02d}/{d.year:04d}"
        if style == "long":
            return f"{d.day} {MONTHS[d.month - 1]} {d.year}"
        raise ValueError(f"unknown date style: {style}")
    ''').rstrip("\n")
DATES_WRAPPER = "\n\n\n" + dedent('''
    def fmt_date(d):
        """Deprecated: use format_date(d)."""
        return format_date(d)
    ''').rstrip("\n")

INIT_OLD = dedent('''
    """acme: a tiny user directory with mail notifications."""
    from acme.config import fetch_config
    from acme.dates import fmt_date
    from acme.mailer import send_mail
    from acme.users import all_users, get_user

    __version__ = "1.4.0"
    __all__ = ["all_users", "fetch_config", "fmt_date", "get_user", "send_mail"]
    ''')
INIT_NEW = dedent('''
    """acme: a tiny user directory with mail notifications."""
    from acme.config import load_settings
    from acme.dates import format_date
    from acme.mailer import send_message
    from acme.models import Message, Settings, User
    from acme.users import find_user, list_users

    __version__ = "1.4.0"
    __all__ = ["Message", "Settings", "User", "find_user", "format_date", "list_users", "load_settings",
               "send_message"]
    ''')

REPORT = dedent('''
    """Text reports about users."""
    from acme.config import fetch_config
    from acme.dates import fmt_date
    from acme.users import all_users, get_user


    def user_report(uid):
        """One line about a user, or 'no user N'."""
        user = get_user(uid)
        if user is None:
            return f"no user {uid}"
        state = "active" if user["active"] else "inactive"
        return f"#{user['id']} {user['name']} <{user['email']}> {state}, since {fmt_date(user['created'])}"


    def active_summary():
        """The report title, one line per active user, then the count."""
        cfg = fetch_config()
        lines = [cfg["report_title"]]
        for user in all_users(active_only=True):
            lines.append(f"- {user['name']} ({user['email']})")
        lines.append(f"{len(lines) - 1} active user(s)")
        return "\\n".join(lines)
    ''')

ADMIN = dedent('''
    """Admin views."""
    from acme.config import fetch_config
    from acme.users import all_users, get_user


    def describe(uid):
        """'Name <email>' of a user; KeyError if there is none."""
        user = get_user(uid)
        if user is None:
            raise KeyError(uid)
        return f"{user['name']} <{user['email']}>"


    def email_domains():
        """{domain: number of users} over all users, sorted by domain."""
        counts = {}
        for user in all_users():
            domain = user["email"].rsplit("@", 1)[1]
            counts[domain] = counts.get(domain, 0) + 1
        return dict(sorted(counts.items()))


    def admin_contact():
        """Where the admins can be reached: 'host:port (sender)'."""
        cfg = fetch_config()
        return f"{cfg['smtp_host']}:{cfg['smtp_port']} ({cfg['sender']})"
    ''')

NOTIFY = dedent('''
    """Notifications by mail."""
    from acme.config import fetch_config
    from acme.mailer import send_mail
    from acme.users import all_users, get_user


    def welcome(uid):
        """Mail the welcome message to a user; returns the outbox index. KeyError if there is no such user."""
        user = get_user(uid)
        if user is None:
            raise KeyError(uid)
        title = fetch_config()["report_title"]
        return send_mail(user["email"], f"Welcome to {title}", f"Hello {user['name']}, welcome aboard.")


    def broadcast(subject, body):
        """Mail every active user; returns how many mails were queued."""
        sent = 0
        for user in all_users(active_only=True):
            send_mail(user["email"], subject, body)
            sent += 1
        return sent
    ''')

CLI = dedent('''
    """Command line: python3 -m app.cli show UID | list [--active] | report | domains | whoami"""
    import argparse
    import sys

    from acme.config import fetch_config
    from acme.dates import fmt_date
    from acme.users import all_users, get_user
    from app.admin import email_domains
    from app.report import active_summary


    def main(argv=None, out=None):
        out = out or sys.stdout
        parser = argparse.ArgumentParser(prog="acme")
        sub = parser.add_subparsers(dest="cmd", required=True)
        show = sub.add_parser("show", help="one user")
        show.add_argument("uid", type=int)
        listing = sub.add_parser("list", help="all users")
        listing.add_argument("--active", action="store_true", help="only active users")
        sub.add_parser("report", help="summary of the active users")
        sub.add_parser("domains", help="users per email domain")
        sub.add_parser("whoami", help="the sender address")
        args = parser.parse_args(argv)
        if args.cmd == "show":
            user = get_user(args.uid)
            if user is None:
                print(f"no user {args.uid}", file=out)
                return 1
            print(f"{user['name']} joined {fmt_date(user['created'])}", file=out)
        elif args.cmd == "list":
            for user in all_users(active_only=args.active):
                print(f"{user['id']}\\t{user['name']}", file=out)
        elif args.cmd == "report":
            print(active_summary(), file=out)
        elif args.cmd == "domains":
            for domain, count in email_domains().items():
                print(f"{domain}\\t{count}", file=out)
        elif args.cmd == "whoami":
            print(fetch_config()["sender"], file=out)
        return 0


    if __name__ == "__main__":
        sys.exit(main())
    ''')

EXPORT = dedent('''
    """Write the users as CSV: python3 scripts/export_users.py [--active] > users.csv"""
    import csv
    import sys
    from pathlib import Path

    sys.dont_write_bytecode = True
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

    from acme.dates import fmt_date  # noqa: E402
    from acme.users import all_users  # noqa: E402


    def export_csv(stream, active_only=False):
        """Write id,name,email,created rows; returns the number of users written."""
        writer = csv.writer(stream, lineterminator="\\n")
        writer.writerow(["id", "name", "email", "created"])
        users = all_users(active_only=active_only)
        for user in users:
            writer.writerow([user["id"], user["name"], user["email"], fmt_date(user["created"])])
        return len(users)


    if __name__ == "__main__":
        export_csv(sys.stdout, active_only="--active" in sys.argv[1:])
    ''')

README = dedent('''
    # acme

    A tiny user directory with mail notifications.

    ## Quick start

    ```python
    from acme.users import all_users, get_user

    user = get_user(1)
    print(user["name"], user["email"])
    for u in all_users(active_only=True):
        print(u["id"], u["name"])
    ```

    ## Configuration

    Settings come from `fetch_config()`, which returns a dict:

    ```python
    from acme.config import fetch_config

    cfg = fetch_config()
    print(cfg["smtp_host"], cfg["smtp_port"])
    ```

    docs/config.md lists every key.

    ## Command line

    `python3 -m app.cli show 1`, `python3 -m app.cli list --active`, `report`, `domains`, `whoami`.
    `python3 scripts/export_users.py > users.csv` writes every user as CSV.
    ''')

API_DOC = dedent('''
    # acme API reference

    ## acme.users

    - `get_user(uid)`: the user with this id as a dict (`id`, `name`, `email`, `active`, `created`), or `None`.
    - `all_users(active_only=False)`: every user as a dict, in id order.

    ## acme.config

    - `fetch_config()`: the configuration as a dict; see docs/config.md.

    ## acme.mailer

    - `send_mail(to, subject, body)`: queue a mail from the configured sender; returns its outbox index.
      Raises `ValueError` for an address without `@`.

    ## acme.dates

    - `fmt_date(d)`: a `datetime.date` as `YYYY-MM-DD`.
    ''')

CONFIG_DOC = dedent('''
    # Configuration

    `acme.config.fetch_config()` returns a dict with these keys:

    | key | default | meaning |
    | --- | --- | --- |
    | `smtp_host` | `mail.example.org` | mail server |
    | `smtp_port` | `587` | mail server port |
    | `sender` | `noreply@example.org` | From address of every mail |
    | `report_title` | `Acme user report` | first line of `active_summary()` and the welcome subject |
    | `date_style` | `iso` | how dates are written |

    Read a value with `fetch_config()["sender"]`.
    ''')

CHANGELOG = dedent('''
    # Changelog

    ## 1.4.0

    - `app.cli whoami` prints the sender address.
    - `scripts/export_users.py --active` exports only the active users.

    ## 1.3.0

    - `all_users(active_only=True)` filters out inactive users.
    ''')

# ---------------------------------------------------------------- tests (given; they define the target)

T_MODELS = TEST_PRELUDE + dedent('''
    import dataclasses
    import datetime

    from acme.models import Message, Settings, User

    u = User(id=7, name="Kay", email="kay@lab.example", active=True, created=datetime.date(2020, 1, 2))
    assert u.domain == "lab.example"
    odd = User(id=8, name="Odd", email='"a@b"@odd.example', active=False, created=datetime.date(2020, 1, 2))
    assert odd.domain == "odd.example", "the domain is what follows the last @"
    assert [f.name for f in dataclasses.fields(User)] == ["id", "name", "email", "active", "created"]
    try:
        u.name = "other"
    except dataclasses.FrozenInstanceError:
        pass
    else:
        raise AssertionError("User must be frozen")
    s = Settings(smtp_host="h", smtp_port=25, sender="a@b", report_title="T")
    assert s.date_style == "iso"
    assert [f.name for f in dataclasses.fields(Settings)] == ["smtp_host", "smtp_port", "sender", "report_title",
                                                              "date_style"]
    m = Message("x@y", "s", "b")
    assert (m.to, m.subject, m.body) == ("x@y", "s", "b")
    for obj, field in ((s, "sender"), (m, "to")):
        try:
            setattr(obj, field, "other")
        except dataclasses.FrozenInstanceError:
            pass
        else:
            raise AssertionError(f"{type(obj).__name__} must be frozen")
    print("ok: models")
    ''')

T_USERS = TEST_PRELUDE + dedent('''
    import datetime

    from acme.models import User
    from acme.users import find_user, list_users

    ada = find_user(1)
    assert isinstance(ada, User)
    assert ada == User(1, "Ada Lovelace", "ada@example.org", True, datetime.date(2021, 3, 5))
    assert find_user(2).active is False
    assert find_user(99) is None
    assert [u.id for u in list_users()] == [1, 2, 3, 4]
    assert [u.id for u in list_users(active_only=True)] == [1, 3, 4]
    assert all(isinstance(u, User) for u in list_users())
    try:
        list_users(True)
    except TypeError:
        pass
    else:
        raise AssertionError("active_only must be keyword-only")
    print("ok: users")
    ''')

T_CONFIG = TEST_PRELUDE + dedent('''
    from acme import store
    from acme.config import load_settings
    from acme.models import Settings

    s = load_settings()
    assert isinstance(s, Settings)
    assert (s.smtp_host, s.smtp_port, s.sender) == ("mail.example.org", 587, "noreply@example.org")
    assert s.report_title == "Acme user report" and s.date_style == "iso"
    t = load_settings({"smtp_port": 2525, "date_style": "long"})
    assert (t.smtp_port, t.date_style, t.smtp_host) == (2525, "long", "mail.example.org")
    assert store.CONFIG["smtp_port"] == 587, "overrides must not change the stored configuration"
    print("ok: config")
    ''')

T_MAILER = TEST_PRELUDE + dedent('''
    from acme import store
    from acme.mailer import send_message
    from acme.models import Message

    store.OUTBOX.clear()
    assert send_message(Message("a@x.org", "Hi", "Body")) == 0
    assert send_message(Message("b@x.org", "Re", "More")) == 1
    assert store.OUTBOX[0] == {"from": "noreply@example.org", "to": "a@x.org", "subject": "Hi", "body": "Body"}
    assert store.OUTBOX[1]["to"] == "b@x.org"
    try:
        send_message(Message("nobody", "s", "b"))
    except ValueError as exc:
        assert str(exc) == "bad address: nobody", exc
    else:
        raise AssertionError("an address without @ must raise ValueError")
    assert len(store.OUTBOX) == 2
    print("ok: mailer")
    ''')

T_DATES = TEST_PRELUDE + dedent('''
    import datetime

    from acme.dates import format_date

    d = datetime.date(2024, 3, 5)
    assert format_date(d) == "2024-03-05"
    assert format_date(d, "iso") == "2024-03-05"
    assert format_date(d, style="us") == "03/05/2024"
    assert format_date(d, style="long") == "5 March 2024"
    assert format_date(datetime.date(999, 12, 31), "long") == "31 December 999"
    assert format_date(datetime.date(999, 12, 31)) == "0999-12-31"
    assert format_date(datetime.date(2021, 1, 20), "us") == "01/20/2021"
    months = [format_date(datetime.date(2024, month, 1), "long").split()[1] for month in range(1, 13)]
    assert months == ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                      "October", "November", "December"], months
    try:
        format_date(d, "roman")
    except ValueError as exc:
        assert str(exc) == "unknown date style: roman", exc
    else:
        raise AssertionError("an unknown style must raise ValueError")
    print("ok: dates")
    ''')

T_API = TEST_PRELUDE + dedent('''
    import acme
    from acme import config, dates, mailer, models, users

    assert acme.__all__ == ["Message", "Settings", "User", "find_user", "format_date", "list_users",
                            "load_settings", "send_message"], acme.__all__
    assert acme.find_user is users.find_user and acme.list_users is users.list_users
    assert acme.load_settings is config.load_settings and acme.send_message is mailer.send_message
    assert acme.format_date is dates.format_date and acme.User is models.User
    for old in ("get_user", "all_users", "fetch_config", "send_mail", "fmt_date"):
        assert not hasattr(acme, old), f"acme still exports {old}"
    print("ok: api")
    ''')

T_REPORT = TEST_PRELUDE + dedent('''
    from app.report import active_summary, user_report

    assert user_report(1) == "#1 Ada Lovelace <ada@example.org> active, since 2021-03-05"
    assert user_report(2) == "#2 Alan Turing <alan@example.org> inactive, since 2020-11-23"
    assert user_report(42) == "no user 42"
    assert active_summary() == "\\n".join([
        "Acme user report",
        "- Ada Lovelace (ada@example.org)",
        "- Grace Hopper (grace@navy.example.mil)",
        "- Edsger Dijkstra (ewd@example.nl)",
        "3 active user(s)",
    ])
    print("ok: report")
    ''')

T_ADMIN = TEST_PRELUDE + dedent('''
    from app.admin import admin_contact, describe, email_domains

    assert describe(3) == "Grace Hopper <grace@navy.example.mil>"
    try:
        describe(9)
    except KeyError as exc:
        assert exc.args == (9,), exc.args
    else:
        raise AssertionError("describe(9) must raise KeyError")
    assert email_domains() == {"example.nl": 1, "example.org": 2, "navy.example.mil": 1}
    assert list(email_domains()) == ["example.nl", "example.org", "navy.example.mil"]
    assert admin_contact() == "mail.example.org:587 (noreply@example.org)"
    print("ok: admin")
    ''')

T_NOTIFY = TEST_PRELUDE + dedent('''
    from acme import store
    from app.notify import broadcast, welcome

    store.OUTBOX.clear()
    assert welcome(4) == 0
    assert store.OUTBOX[0] == {"from": "noreply@example.org", "to": "ewd@example.nl",
                               "subject": "Welcome to Acme user report",
                               "body": "Hello Edsger Dijkstra, welcome aboard."}
    try:
        welcome(77)
    except KeyError as exc:
        assert exc.args == (77,), exc.args
    else:
        raise AssertionError("welcome(77) must raise KeyError")
    assert broadcast("Maintenance", "Down at noon.") == 3
    assert [m["to"] for m in store.OUTBOX[1:]] == ["ada@example.org", "grace@navy.example.mil", "ewd@example.nl"]
    assert all(m["subject"] == "Maintenance" and m["body"] == "Down at noon." for m in store.OUTBOX[1:])
    print("ok: notify")
    ''')

T_CLI = TEST_PRELUDE + dedent('''
    import io
    import subprocess

    from app.cli import main


    def call(*argv):
        out = io.StringIO()
        code = main(list(argv), out=out)
        return code, out.getvalue()


    assert call("show", "1") == (0, "Ada Lovelace joined 2021-03-05\\n")
    assert call("show", "5") == (1, "no user 5\\n")
    assert call("list") == (0, "1\\tAda Lovelace\\n2\\tAlan Turing\\n3\\tGrace Hopper\\n4\\tEdsger Dijkstra\\n")
    assert call("list", "--active")[1].splitlines() == ["1\\tAda Lovelace", "3\\tGrace Hopper", "4\\tEdsger Dijkstra"]
    assert call("report")[1].splitlines()[-1] == "3 active user(s)"
    assert call("domains")[1] == "example.nl\\t1\\nexample.org\\t2\\nnavy.example.mil\\t1\\n"
    assert call("whoami") == (0, "noreply@example.org\\n")
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-S", "-B", "-m", "app.cli", "show", "3"], cwd=root, capture_output=True,
                          text=True)
    assert proc.returncode == 0 and proc.stdout == "Grace Hopper joined 2022-01-09\\n", proc.stdout + proc.stderr
    print("ok: cli")
    ''')

T_EXPORT = TEST_PRELUDE + dedent('''
    import importlib.util
    import io

    spec = importlib.util.spec_from_file_location("export_users", Path(__file__).resolve().parent.parent
                                                  / "scripts" / "export_users.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)

    out = io.StringIO()
    assert mod.export_csv(out) == 4
    assert out.getvalue().splitlines() == [
        "id,name,email,created",
        "1,Ada Lovelace,ada@example.org,2021-03-05",
        "2,Alan Turing,alan@example.org,2020-11-23",
        "3,Grace Hopper,grace@navy.example.mil,2022-01-09",
        "4,Edsger Dijkstra,ewd@example.nl,2019-07-30",
    ]
    out = io.StringIO()
    assert mod.export_csv(out, active_only=True) == 3
    assert "Alan Turing" not in out.getvalue()
    print("ok: export")
    ''')

T_NO_LEGACY = TEST_PRELUDE + dedent('''
    import acme
    from acme import config, dates, mailer, users

    OLD = ["get_user", "all_users", "fetch_config", "send_mail", "fmt_date"]
    root = Path(__file__).resolve().parent.parent
    scanned = [p for d in ("acme", "app", "scripts", "docs") for p in sorted((root / d).rglob("*"))
               if p.is_file() and p.suffix in (".py", ".md") and p.name != "migration.md"]
    scanned.append(root / "README.md")
    left = [f"{p.relative_to(root)}: {name}" for p in scanned for name in OLD if name in p.read_text()]
    assert not left, "old API names are still used:\\n" + "\\n".join(left)
    for module in (users, config, mailer, dates):
        for name in OLD:
            assert not hasattr(module, name), f"{module.__name__}.{name} still exists"
    assert acme.__version__ == "2.0.0", acme.__version__
    changelog = (root / "CHANGELOG.md").read_text()
    assert changelog.index("## 2.0.0") < changelog.index("## 1.4.0"), "2.0.0 must be the newest entry"
    print(f"ok: no legacy names in {len(scanned)} files")
    ''')

RUN_ALL = dedent('''
    """Run every tests/test_*.py in its own process; exit 1 if any fails."""
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


def t(name):
    return f"python3 tests/test_{name}.py"


def lib_nodes():
    """Expand: the new API next to the old one."""
    users_import = "from acme import store\n"
    return [
        node("lib.models", "Add acme/models.py with the User, Settings and Message dataclasses", [],
             "tests/test_models.py passes", ["acme/models.py"],
             [cmd(t("models")), contains("acme/models.py", "class User")],
             [list_files("acme"), read("acme/store.py"), read("tests/test_models.py"), write("acme/models.py", MODELS),
              run(t("models")), finish("added the User, Settings and Message dataclasses")]),
        node("lib.users", "Add find_user and list_users (returning User) next to the old functions", ["lib.models"],
             "tests/test_users.py passes", ["acme/users.py"],
             [cmd(t("users")), contains("acme/users.py", "def find_user("), contains("acme/users.py", "def list_users(")],
             [read("acme/users.py"), read("tests/test_users.py"),
              edit("acme/users.py", users_import, users_import + "from acme.models import User\n"),
              edit("acme/users.py", 'return [dict(r) for r in rows if r["active"] or not active_only]',
                   'return [dict(r) for r in rows if r["active"] or not active_only]' + USERS_NEW_FUNCS),
              run(t("users")), finish("find_user and list_users return User objects; the old functions still work")]),
        node("lib.config", "Add load_settings (returning Settings) next to fetch_config", ["lib.models"],
             "tests/test_config.py passes", ["acme/config.py"],
             [cmd(t("config")), contains("acme/config.py", "def load_settings(")],
             [read("acme/config.py"), read("tests/test_config.py"),
              edit("acme/config.py", "from acme import store\n", "from acme import store\nfrom acme.models import Settings\n"),
              edit("acme/config.py", "    return dict(store.CONFIG)", "    return dict(store.CONFIG)" + CONFIG_NEW_FUNC),
              run(t("config")), finish("load_settings returns a Settings object and takes overrides")]),
        node("lib.mailer", "Add send_message(Message); send_mail becomes a wrapper around it",
             ["lib.models", "lib.config"], "tests/test_mailer.py and tests/test_notify.py pass", ["acme/mailer.py"],
             [cmd(t("mailer")), cmd(t("notify")), contains("acme/mailer.py", "def send_message(")],
             [read("acme/mailer.py"), read("tests/test_mailer.py"),
              edit("acme/mailer.py", "from acme.config import fetch_config\n",
                   "from acme.config import load_settings\nfrom acme.models import Message\n"),
              edit("acme/mailer.py", MAILER_SEND_MAIL_OLD, MAILER_SEND_MESSAGE + "\n\n\n" + MAILER_WRAPPER),
              run(t("mailer")), run(t("notify")),
              finish("send_message takes a Message and uses load_settings; send_mail delegates to it")]),
        node("lib.dates", "Add format_date(d, style) with iso/us/long styles; fmt_date delegates to it", [],
             "tests/test_dates.py passes", ["acme/dates.py"],
             [cmd(t("dates")), cmd(t("report")), cmd(t("export")), contains("acme/dates.py", "def format_date(")],
             [read("acme/dates.py"), read("tests/test_dates.py"),
              edit("acme/dates.py", DATES_FMT_OLD, DATES_FORMAT + DATES_WRAPPER),
              run(t("dates")), run(t("export")),
              finish("format_date supports iso, us and long; fmt_date is a wrapper")]),
        node("lib.init", "Export the 2.0 API (and only it) from acme/__init__.py",
             ["lib.users", "lib.config", "lib.mailer", "lib.dates"], "tests/test_api.py passes", ["acme/__init__.py"],
             [cmd(t("api")), not_contains("acme/__init__.py", "get_user")],
             [read("acme/__init__.py"), read("tests/test_api.py"), search("from acme import"),
              write("acme/__init__.py", INIT_NEW), run(t("api")), run(t("cli")),
              finish("acme exports find_user, list_users, load_settings, send_message, format_date and the models")]),
    ]


def caller_nodes():
    """Migrate: one node per caller file and API."""
    n = []
    # app/report.py
    n.append(node("report.users", "app/report.py: user_report uses find_user and User attributes", ["lib.users"],
                  "tests/test_report.py passes; user_report no longer calls get_user", ["app/report.py"],
                  [cmd(t("report")), not_contains("app/report.py", "get_user")],
                  [search("get_user("), read("app/report.py"), read("tests/test_report.py"), run(t("report")),
                   edit("app/report.py", "from acme.users import all_users, get_user",
                        "from acme.users import all_users, find_user"),
                   edit("app/report.py", '''    user = get_user(uid)
    if user is None:
        return f"no user {uid}"
    state = "active" if user["active"] else "inactive"
    return f"#{user['id']} {user['name']} <{user['email']}> {state}, since {fmt_date(user['created'])}"''',
                        '''    user = find_user(uid)
    if user is None:
        return f"no user {uid}"
    state = "active" if user.active else "inactive"
    return f"#{user.id} {user.name} <{user.email}> {state}, since {fmt_date(user.created)}"'''),
                   run(t("report")), finish("user_report uses find_user")]))
    n.append(node("report.summary", "app/report.py: active_summary uses list_users and load_settings",
                  ["report.users", "lib.config"], "tests/test_report.py passes; no all_users or fetch_config left",
                  ["app/report.py"],
                  [cmd(t("report")), not_contains("app/report.py", "all_users"),
                   not_contains("app/report.py", "fetch_config")],
                  [read("app/report.py"),
                   edit("app/report.py", "from acme.config import fetch_config", "from acme.config import load_settings"),
                   edit("app/report.py", "from acme.users import all_users, find_user",
                        "from acme.users import find_user, list_users"),
                   edit("app/report.py", '''    cfg = fetch_config()
    lines = [cfg["report_title"]]
    for user in all_users(active_only=True):
        lines.append(f"- {user['name']} ({user['email']})")''', '''    lines = [load_settings().report_title]
    for user in list_users(active_only=True):
        lines.append(f"- {user.name} ({user.email})")'''),
                   run(t("report")), finish("active_summary uses list_users and Settings")]))
    n.append(node("report.dates", "app/report.py: format_date instead of fmt_date", ["report.users", "lib.dates"],
                  "tests/test_report.py passes; no fmt_date left", ["app/report.py"],
                  [cmd(t("report")), not_contains("app/report.py", "fmt_date")],
                  [read("app/report.py"),
                   edit("app/report.py", "from acme.dates import fmt_date", "from acme.dates import format_date"),
                   edit("app/report.py", "since {fmt_date(user.created)}", "since {format_date(user.created)}"),
                   run(t("report")), finish("report dates use format_date")]))
    # app/admin.py
    n.append(node("admin.users", "app/admin.py: describe and email_domains use find_user / list_users",
                  ["lib.users"], "tests/test_admin.py passes; no get_user or all_users left", ["app/admin.py"],
                  [cmd(t("admin")), not_contains("app/admin.py", "get_user"), not_contains("app/admin.py", "all_users")],
                  [read("app/admin.py"), read("tests/test_admin.py"), read("acme/models.py"), run(t("admin")),
                   edit("app/admin.py", "from acme.users import all_users, get_user",
                        "from acme.users import find_user, list_users"),
                   edit("app/admin.py", '''    user = get_user(uid)
    if user is None:
        raise KeyError(uid)
    return f"{user['name']} <{user['email']}>"''', '''    user = find_user(uid)
    if user is None:
        raise KeyError(uid)
    return f"{user.name} <{user.email}>"'''),
                   edit("app/admin.py", '''    for user in all_users():
        domain = user["email"].rsplit("@", 1)[1]
        counts[domain] = counts.get(domain, 0) + 1''', '''    for user in list_users():
        counts[user.domain] = counts.get(user.domain, 0) + 1'''),
                   run(t("admin")), finish("admin views use User objects (User.domain for the domains)")]))
    n.append(node("admin.config", "app/admin.py: admin_contact uses load_settings", ["lib.config"],
                  "tests/test_admin.py passes; no fetch_config left", ["app/admin.py"],
                  [cmd(t("admin")), not_contains("app/admin.py", "fetch_config")],
                  [read("app/admin.py"),
                   edit("app/admin.py", "from acme.config import fetch_config", "from acme.config import load_settings"),
                   edit("app/admin.py", '''    cfg = fetch_config()
    return f"{cfg['smtp_host']}:{cfg['smtp_port']} ({cfg['sender']})"''', '''    settings = load_settings()
    return f"{settings.smtp_host}:{settings.smtp_port} ({settings.sender})"'''),
                   run(t("admin")), finish("admin_contact reads Settings attributes")]))
    # app/notify.py
    n.append(node("notify.users", "app/notify.py: welcome and broadcast use find_user / list_users", ["lib.users"],
                  "tests/test_notify.py passes; no get_user or all_users left", ["app/notify.py"],
                  [cmd(t("notify")), not_contains("app/notify.py", "get_user"), not_contains("app/notify.py", "all_users")],
                  [read("app/notify.py"), read("tests/test_notify.py"), run(t("notify")),
                   edit("app/notify.py", "from acme.users import all_users, get_user",
                        "from acme.users import find_user, list_users"),
                   edit("app/notify.py", '''    user = get_user(uid)
    if user is None:
        raise KeyError(uid)
    title = fetch_config()["report_title"]
    return send_mail(user["email"], f"Welcome to {title}", f"Hello {user['name']}, welcome aboard.")''',
                        '''    user = find_user(uid)
    if user is None:
        raise KeyError(uid)
    title = fetch_config()["report_title"]
    return send_mail(user.email, f"Welcome to {title}", f"Hello {user.name}, welcome aboard.")'''),
                   edit("app/notify.py", '''    for user in all_users(active_only=True):
        send_mail(user["email"], subject, body)''', '''    for user in list_users(active_only=True):
        send_mail(user.email, subject, body)'''),
                   run(t("notify")), finish("notify looks users up with find_user / list_users")]))
    n.append(node("notify.config", "app/notify.py: the welcome title comes from load_settings",
                  ["notify.users", "lib.config"], "tests/test_notify.py passes; no fetch_config left", ["app/notify.py"],
                  [cmd(t("notify")), not_contains("app/notify.py", "fetch_config")],
                  [read("app/notify.py"),
                   edit("app/notify.py", "from acme.config import fetch_config", "from acme.config import load_settings"),
                   edit("app/notify.py", 'title = fetch_config()["report_title"]', "title = load_settings().report_title"),
                   run(t("notify")), finish("welcome reads the title from Settings")]))
    n.append(node("notify.mail", "app/notify.py: send_message(Message(...)) instead of send_mail",
                  ["notify.users", "lib.mailer"], "tests/test_notify.py passes; no send_mail left", ["app/notify.py"],
                  [cmd(t("notify")), not_contains("app/notify.py", "send_mail")],
                  [read("app/notify.py"), read("acme/mailer.py"),
                   edit("app/notify.py", "from acme.mailer import send_mail",
                        "from acme.mailer import send_message\nfrom acme.models import Message"),
                   edit("app/notify.py",
                        'return send_mail(user.email, f"Welcome to {title}", f"Hello {user.name}, welcome aboard.")',
                        'return send_message(Message(user.email, f"Welcome to {title}", f"Hello {user.name}, welcome aboard."))'),
                   edit("app/notify.py", "        send_mail(user.email, subject, body)",
                        "        send_message(Message(user.email, subject, body))"),
                   run(t("notify")), finish("notify sends Message objects with send_message")]))
    # app/cli.py
    n.append(node("cli.users", "app/cli.py: show and list use find_user / list_users", ["lib.users"],
                  "tests/test_cli.py passes; no get_user or all_users left", ["app/cli.py"],
                  [cmd(t("cli")), not_contains("app/cli.py", "get_user"), not_contains("app/cli.py", "all_users")],
                  [read("app/cli.py"), read("tests/test_cli.py"), run(t("cli")),
                   edit("app/cli.py", "from acme.users import all_users, get_user",
                        "from acme.users import find_user, list_users"),
                   edit("app/cli.py", '''        user = get_user(args.uid)
        if user is None:
            print(f"no user {args.uid}", file=out)
            return 1
        print(f"{user['name']} joined {fmt_date(user['created'])}", file=out)''',
                        '''        user = find_user(args.uid)
        if user is None:
            print(f"no user {args.uid}", file=out)
            return 1
        print(f"{user.name} joined {fmt_date(user.created)}", file=out)'''),
                   edit("app/cli.py", '''        for user in all_users(active_only=args.active):
            print(f"{user['id']}\\t{user['name']}", file=out)''', '''        for user in list_users(active_only=args.active):
            print(f"{user.id}\\t{user.name}", file=out)'''),
                   run(t("cli")), finish("cli show/list use the User API")]))
    n.append(node("cli.config", "app/cli.py: whoami uses load_settings", ["lib.config"],
                  "tests/test_cli.py passes; no fetch_config left", ["app/cli.py"],
                  [cmd(t("cli")), not_contains("app/cli.py", "fetch_config")],
                  [read("app/cli.py"),
                   edit("app/cli.py", "from acme.config import fetch_config", "from acme.config import load_settings"),
                   edit("app/cli.py", 'print(fetch_config()["sender"], file=out)', "print(load_settings().sender, file=out)"),
                   run(t("cli")), finish("whoami prints Settings.sender")]))
    n.append(node("cli.dates", "app/cli.py: format_date instead of fmt_date", ["cli.users", "lib.dates"],
                  "tests/test_cli.py passes; no fmt_date left", ["app/cli.py"],
                  [cmd(t("cli")), not_contains("app/cli.py", "fmt_date")],
                  [read("app/cli.py"),
                   edit("app/cli.py", "from acme.dates import fmt_date", "from acme.dates import format_date"),
                   edit("app/cli.py", "joined {fmt_date(user.created)}", "joined {format_date(user.created)}"),
                   run(t("cli")), finish("cli dates use format_date")]))
    # scripts/export_users.py
    n.append(node("export.users", "scripts/export_users.py: list_users and User attributes", ["lib.users"],
                  "tests/test_export.py passes; no all_users left", ["scripts/export_users.py"],
                  [cmd(t("export")), not_contains("scripts/export_users.py", "all_users")],
                  [read("scripts/export_users.py"), read("tests/test_export.py"), run(t("export")),
                   edit("scripts/export_users.py", "from acme.users import all_users  # noqa: E402",
                        "from acme.users import list_users  # noqa: E402"),
                   edit("scripts/export_users.py", '''    users = all_users(active_only=active_only)
    for user in users:
        writer.writerow([user["id"], user["name"], user["email"], fmt_date(user["created"])])''',
                        '''    users = list_users(active_only=active_only)
    for user in users:
        writer.writerow([user.id, user.name, user.email, fmt_date(user.created)])'''),
                   run(t("export")), finish("export uses list_users")]))
    n.append(node("export.dates", "scripts/export_users.py: format_date instead of fmt_date",
                  ["export.users", "lib.dates"], "tests/test_export.py passes; no fmt_date left",
                  ["scripts/export_users.py"],
                  [cmd(t("export")), not_contains("scripts/export_users.py", "fmt_date")],
                  [read("scripts/export_users.py"),
                   edit("scripts/export_users.py", "from acme.dates import fmt_date  # noqa: E402",
                        "from acme.dates import format_date  # noqa: E402"),
                   edit("scripts/export_users.py", "fmt_date(user.created)", "format_date(user.created)"),
                   run(t("export")), finish("export dates use format_date")]))
    return n


def removal_nodes():
    """Contract: drop the old names once nothing calls them."""
    users_callers = ["lib.init", "report.summary", "admin.users", "notify.users", "cli.users", "export.users"]
    return [
        node("remove.users", "Remove get_user and all_users from acme/users.py", users_callers,
             "no get_user / all_users in acme/users.py; every caller test passes", ["acme/users.py"],
             [cmd(t("users")), cmd(t("report")), cmd(t("cli")), not_contains("acme/users.py", "get_user"),
              not_contains("acme/users.py", "all_users")],
             [search("get_user("), search("all_users("), read("acme/users.py"),
              edit("acme/users.py", USERS_OLD_FUNCS + "\n", ""),
              run(t("users")), run(t("report")), run(t("admin")), run(t("cli")), run(t("export")),
              finish("the 1.x user functions are gone")]),
        node("remove.config", "Remove fetch_config from acme/config.py",
             ["lib.init", "lib.mailer", "report.summary", "admin.config", "notify.config", "cli.config"],
             "no fetch_config in acme/config.py; config and caller tests pass", ["acme/config.py"],
             [cmd(t("config")), cmd(t("admin")), not_contains("acme/config.py", "fetch_config")],
             [search("fetch_config"), read("acme/config.py"),
              edit("acme/config.py", "\n\n\n" + dedent('''
                  def fetch_config():
                      """The configuration as a dict (a copy)."""
                      return dict(store.CONFIG)'''), ""),
              run(t("config")), run(t("admin")), run(t("notify")), finish("fetch_config is gone")]),
        node("remove.mailer", "Remove the send_mail wrapper from acme/mailer.py", ["lib.init", "notify.mail"],
             "no send_mail in acme/mailer.py; mailer and notify tests pass", ["acme/mailer.py"],
             [cmd(t("mailer")), cmd(t("notify")), not_contains("acme/mailer.py", "send_mail")],
             [search("send_mail"), read("acme/mailer.py"),
              edit("acme/mailer.py", "\n\n\n" + MAILER_WRAPPER, ""),
              run(t("mailer")), run(t("notify")), finish("send_mail is gone")]),
        node("remove.dates", "Remove the fmt_date wrapper from acme/dates.py",
             ["lib.init", "report.dates", "cli.dates", "export.dates"],
             "no fmt_date in acme/dates.py; dates and caller tests pass", ["acme/dates.py"],
             [cmd(t("dates")), cmd(t("export")), not_contains("acme/dates.py", "fmt_date")],
             [search("fmt_date"), read("acme/dates.py"), edit("acme/dates.py", DATES_WRAPPER, ""),
              run(t("dates")), run(t("report")), run(t("export")), finish("fmt_date is gone")]),
    ]


def doc_nodes():
    return [
        node("docs.readme_quickstart", "README.md: quick start with find_user / list_users", ["lib.users"],
             "README quick start shows the 2.0 user API", ["README.md"],
             [not_contains("README.md", "get_user"), not_contains("README.md", "all_users"),
              contains("README.md", "find_user(1)"), cmd(DOCS + " readme")],
             [search("get_user all_users README"), read("README.md"), read("tests/test_docs.py"),
              edit("README.md", '''```python
from acme.users import all_users, get_user

user = get_user(1)
print(user["name"], user["email"])
for u in all_users(active_only=True):
    print(u["id"], u["name"])
```''', README_QUICKSTART),
              run(DOCS + " readme"),
              finish("README quick start uses find_user / list_users")]),
        node("docs.readme_config", "README.md: configuration through load_settings", ["docs.readme_quickstart",
                                                                                      "lib.config"],
             "README configuration section shows load_settings", ["README.md"],
             [not_contains("README.md", "fetch_config"), contains("README.md", "load_settings()"),
              cmd(DOCS + " readme")],
             [read("README.md"), read("acme/config.py"),
              edit("README.md", '''Settings come from `fetch_config()`, which returns a dict:

```python
from acme.config import fetch_config

cfg = fetch_config()
print(cfg["smtp_host"], cfg["smtp_port"])
```

docs/config.md lists every key.''', README_CONFIG),
              run(DOCS + " readme"),
              finish("README configuration section uses load_settings")]),
        node("docs.api_users", "docs/api.md: the acme.users section and a new acme.models section",
             ["lib.users"], "docs/api.md documents find_user, list_users and the models", ["docs/api.md"],
             [not_contains("docs/api.md", "get_user"), contains("docs/api.md", "## acme.models"),
              cmd(DOCS + " api")],
             [read("docs/api.md"), read("acme/users.py"), read("tests/test_docs.py"),
              edit("docs/api.md", '''## acme.users

- `get_user(uid)`: the user with this id as a dict (`id`, `name`, `email`, `active`, `created`), or `None`.
- `all_users(active_only=False)`: every user as a dict, in id order.''', API_USERS),
              run(DOCS + " api"),
              finish("documented acme.models and acme.users")]),
        node("docs.api_config", "docs/api.md: load_settings", ["docs.api_users", "lib.config"],
             "docs/api.md documents load_settings", ["docs/api.md"],
             [not_contains("docs/api.md", "fetch_config"), contains("docs/api.md", "load_settings(overrides=None)"),
              cmd(DOCS + " api")],
             [read("docs/api.md"), read("acme/config.py"),
              edit("docs/api.md", "- `fetch_config()`: the configuration as a dict; see docs/config.md.",
                   "- `load_settings(overrides=None)`: the configuration as a Settings object; the overrides dict\n"
                   "  replaces single values. See docs/config.md."),
              run(DOCS + " api"),
              finish("documented load_settings")]),
        node("docs.api_mailer", "docs/api.md: send_message", ["docs.api_users", "lib.mailer"],
             "docs/api.md documents send_message", ["docs/api.md"],
             [not_contains("docs/api.md", "send_mail"), contains("docs/api.md", "send_message(message)"),
              cmd(DOCS + " api")],
             [read("docs/api.md"), read("acme/mailer.py"),
              edit("docs/api.md", "- `send_mail(to, subject, body)`: queue a mail from the configured sender; "
                                  "returns its outbox index.\n  Raises `ValueError` for an address without `@`.",
                   "- `send_message(message)`: queue a Message from the configured sender; returns its outbox index.\n"
                   "  Raises ValueError for an address without an at sign."),
              run(DOCS + " api"),
              finish("documented send_message")]),
        node("docs.api_dates", "docs/api.md: format_date and its styles", ["docs.api_users", "lib.dates"],
             "docs/api.md documents format_date", ["docs/api.md"],
             [not_contains("docs/api.md", "fmt_date"), contains("docs/api.md", "format_date(d, style='iso')"),
              cmd(DOCS + " api")],
             [read("docs/api.md"), read("acme/dates.py"),
              edit("docs/api.md", "- `fmt_date(d)`: a `datetime.date` as `YYYY-MM-DD`.", API_DATES),
              run(DOCS + " api"),
              finish("documented format_date")]),
        node("docs.config", "docs/config.md: Settings fields instead of dict keys", ["lib.config"],
             "docs/config.md documents load_settings and Settings", ["docs/config.md"],
             [not_contains("docs/config.md", "fetch_config"), contains("docs/config.md", "load_settings()"),
              cmd(DOCS + " config")],
             [read("docs/config.md"), read("acme/models.py"), read("tests/test_docs.py"),
              write("docs/config.md", CONFIG_DOC_NEW), run(DOCS + " config"),
              finish("docs/config.md describes Settings")]),
        node("docs.migration", "docs/migration.md: a 1.x -> 2.0 migration guide",
             ["remove.users", "remove.config", "remove.mailer", "remove.dates"],
             "docs/migration.md maps every old name to the new API", ["docs/migration.md"],
             [contains("docs/migration.md", "| `get_user(uid)` | `find_user(user_id)`"),
              contains("docs/migration.md", "send_message(Message("), cmd(DOCS + " migration")],
             [search("def find_user"), read("docs/api.md"), read("tests/test_docs.py"),
              write("docs/migration.md", MIGRATION_DOC), run(DOCS + " migration"),
              finish("wrote the migration guide")]),
    ]


DOCS = "python3 tests/test_docs.py"
README_QUICKSTART = dedent("""
    ```pycon
    >>> from acme.users import find_user, list_users
    >>> user = find_user(1)  # a User, or None
    >>> print(user.name, user.email)
    Ada Lovelace ada@example.org
    >>> for u in list_users(active_only=True):
    ...     print(u.id, u.name)
    1 Ada Lovelace
    3 Grace Hopper
    4 Edsger Dijkstra
    ```""").strip("\n")
README_CONFIG = dedent("""
    Settings come from a frozen dataclass; single values can be overridden:

    ```pycon
    >>> from acme.config import load_settings
    >>> settings = load_settings()
    >>> print(settings.smtp_host, settings.smtp_port)
    mail.example.org 587
    >>> load_settings({"smtp_port": 2525}).smtp_port
    2525
    ```

    docs/config.md lists every field.""").strip("\n")
API_USERS = dedent("""
    ## acme.models

    Frozen dataclasses:

    - `User(id, name, email, active, created)`
    - `Settings(smtp_host, smtp_port, sender, report_title, date_style='iso')`
    - `Message(to, subject, body)`

    ```pycon
    >>> from acme.users import find_user
    >>> find_user(3).domain  # the part of the email address after the last @
    'navy.example.mil'
    ```

    ## acme.users

    - `find_user(user_id)`: the user with this id (a User), or None.
    - `list_users(*, active_only=False)`: every user in id order (Users).""").strip("\n")
API_DATES = dedent("""
    - `format_date(d, style='iso')`: a date as text in one of three styles; ValueError for any other style.

    ```pycon
    >>> import datetime
    >>> from acme.dates import format_date
    >>> [format_date(datetime.date(2024, 3, 5), style) for style in ("iso", "us", "long")]
    ['2024-03-05', '03/05/2024', '5 March 2024']
    ```""").strip("\n")
CONFIG_DOC_NEW = dedent("""
    # Configuration

    The configuration is a frozen dataclass. Its fields and their defaults:

    ```pycon
    >>> from acme.config import load_settings
    >>> load_settings()
    Settings(smtp_host='mail.example.org', smtp_port=587, sender='noreply@example.org', report_title='Acme user report', date_style='iso')
    >>> load_settings({"sender": "x@y"}).sender
    'x@y'
    ```

    | field | meaning |
    | --- | --- |
    | `smtp_host` | mail server |
    | `smtp_port` | mail server port |
    | `sender` | From address of every mail |
    | `report_title` | first line of the active-user report and the welcome subject |
    | `date_style` | how dates are written |
    """)
MIGRATION_DOC = dedent("""
    # Migrating from acme 1.x to 2.0

    The new functions return frozen dataclasses instead of dicts: read fields as attributes. The old
    functions are removed:

    | 1.x | 2.0 |
    | --- | --- |
    | `get_user(uid)` | `find_user(user_id)` |
    | `all_users(active_only=False)` | `list_users(*, active_only=False)` |
    | `fetch_config()` | `load_settings(overrides=None)` |
    | `send_mail(to, subject, body)` | `send_message(message)` |
    | `fmt_date(d)` | `format_date(d, style='iso')` |

    A mail is a Message now:

    ```pycon
    >>> from acme.mailer import send_message
    >>> from acme.models import Message
    >>> from acme.store import OUTBOX
    >>> send_message(Message("ada@example.org", "Hi", "Hello"))
    0
    >>> OUTBOX[0]
    {'from': 'noreply@example.org', 'to': 'ada@example.org', 'subject': 'Hi', 'body': 'Hello'}
    ```
    """)
CHANGELOG_2 = dedent("""
    # Changelog

    ## 2.0.0

    - Breaking: the API returns frozen dataclasses instead of dicts.
    - `get_user` -> `find_user`
    - `all_users` -> `list_users` (its argument is keyword-only now)
    - `fetch_config` -> `load_settings`
    - `send_mail` -> `send_message`
    - `fmt_date` -> `format_date`
    - See docs/migration.md.
    """)

# The docs check (given): the shared checker plus what this family's docs must say.
T_DOCS = TEST_PRELUDE + DOCS_LIB + dedent("""
    import dataclasses
    import importlib

    TARGET = "2.0.0"  # the release this migration makes
    OLD_API = {"get_user": "uid", "all_users": "active_only=False", "fetch_config": "", "send_mail": "to, subject, body",
               "fmt_date": "d"}
    RENAMES = {"get_user": ("acme.users", "find_user"), "all_users": ("acme.users", "list_users"),
               "fetch_config": ("acme.config", "load_settings"), "send_mail": ("acme.mailer", "send_message"),
               "fmt_date": ("acme.dates", "format_date")}
    MODULES = ["acme.models", "acme.users", "acme.config", "acme.mailer", "acme.dates"]


    def readme():
        assert check_pycon("README.md") >= 1, "README.md shows its examples as ```pycon blocks"
        check_paths("README.md")


    def api():
        check_api("docs/api.md", skip=OLD_API)
        check_pycon("docs/api.md")
        check_paths("docs/api.md")


    def api_complete():
        documented = [(m, n) for m, n, _ in check_api("docs/api.md")]
        public = []
        for name in MODULES:
            mod = importlib.import_module(name)
            public += [(name, n) for n, obj in vars(mod).items() if not n.startswith("_")
                       and (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == name]
        assert sorted(documented) == sorted(public), f"docs/api.md documents {documented}, the API is {public}"


    def config():
        from acme.models import Settings

        check_pycon("docs/config.md")
        fields = re.findall(r"^\\| `(\\w+)` \\|", read("docs/config.md"), re.MULTILINE)
        assert fields == [f.name for f in dataclasses.fields(Settings)], fields


    def migration():
        text = read("docs/migration.md")
        major, minor = TARGET.split(".")[:2]
        old, new = f"{int(major) - 1}.x", f"{major}.{minor}"
        assert text.startswith(f"# Migrating from acme {old} to {new}\\n"), text.splitlines()[0]
        assert f"| {old} | {new} |" in text, "the table's header names the two versions"
        rows = re.findall(r"^\\| `(\\w+)\\((.*?)\\)` \\| `(\\w+)\\((.*?)\\)` \\|$", text, re.MULTILINE)
        assert sorted(r[0] for r in rows) == sorted(OLD_API), rows
        for old_name, old_params, new_name, new_params in rows:
            assert old_params == OLD_API[old_name], f"1.x had {old_name}({OLD_API[old_name]})"
            module, name = RENAMES[old_name]
            assert new_name == name, f"{old_name} became {name}, not {new_name}"
            want = params(getattr(importlib.import_module(module), name))
            assert new_params.replace('"', "'") == want, f"{name}({new_params}) but the code has {name}({want})"
        check_pycon("docs/migration.md")


    def changelog():
        text = read("CHANGELOG.md")
        entry = text.split(f"## {TARGET}\\n", 1)[1].split("\\n## ", 1)[0]
        pairs = sorted(re.findall(r"`(\\w+)` -> `(\\w+)`", entry))
        assert pairs == sorted((o, n) for o, (_, n) in RENAMES.items()), pairs
        check_paths("CHANGELOG.md")


    CHECKS = {"readme": readme, "api": api, "api_complete": api_complete, "config": config, "migration": migration,
              "changelog": changelog}

    if __name__ == "__main__":
        main(CHECKS, sys.argv[1:])
    """)


def changelog_node(deps):
    return node("release", "CHANGELOG.md 2.0.0 entry and version 2.0.0", deps,
                "tests/run_all.py passes (no legacy names anywhere)", ["CHANGELOG.md", "acme/__init__.py"],
                [cmd(t("no_legacy")), cmd(DOCS + " changelog"), cmd("python3 tests/run_all.py"),
                 contains("CHANGELOG.md", "## 2.0.0")],
                [list_files("."), read("CHANGELOG.md"), read("tests/test_no_legacy.py"),
                 edit("CHANGELOG.md", "# Changelog\n", CHANGELOG_2),
                 edit("acme/__init__.py", '__version__ = "1.4.0"', '__version__ = "2.0.0"'),
                 run(t("no_legacy")), run("python3 tests/run_all.py"), finish("released 2.0.0; the whole suite passes")])


BASE_FILES = {
    "acme/store.py": STORE, "acme/users.py": USERS_OLD, "acme/config.py": CONFIG_OLD, "acme/mailer.py": MAILER_OLD,
    "acme/dates.py": DATES_OLD, "acme/__init__.py": INIT_OLD, "app/__init__.py": '"""Applications built on acme."""\n',
    "app/report.py": REPORT, "app/admin.py": ADMIN, "app/notify.py": NOTIFY, "app/cli.py": CLI,
    "scripts/export_users.py": EXPORT, "README.md": README, "docs/api.md": API_DOC, "docs/config.md": CONFIG_DOC,
    "CHANGELOG.md": CHANGELOG, "tests/run_all.py": RUN_ALL,
    "tests/test_models.py": T_MODELS, "tests/test_users.py": T_USERS, "tests/test_config.py": T_CONFIG,
    "tests/test_mailer.py": T_MAILER, "tests/test_dates.py": T_DATES, "tests/test_api.py": T_API,
    "tests/test_report.py": T_REPORT, "tests/test_admin.py": T_ADMIN, "tests/test_notify.py": T_NOTIFY,
    "tests/test_cli.py": T_CLI, "tests/test_export.py": T_EXPORT, "tests/test_no_legacy.py": T_NO_LEGACY,
    "tests/test_docs.py": T_DOCS,
}

MIGRATED = ["acme/users.py", "acme/config.py", "acme/mailer.py", "acme/dates.py", "acme/__init__.py",
            "app/report.py", "app/admin.py", "app/notify.py", "app/cli.py", "scripts/export_users.py", "README.md",
            "docs/api.md", "docs/config.md"]


def build_big():
    nodes = lib_nodes() + caller_nodes() + removal_nodes() + doc_nodes()
    leaves = [x["id"] for x in nodes if not any(x["id"] in y["depends_on"] for y in nodes)]
    nodes.append(changelog_node(leaves))
    preds = [not_contains(p, name) for p in MIGRATED for name in OLD_NAMES if name in BASE_FILES[p]]
    goal = {"commands": ["python3 tests/run_all.py"],
            "files": preds + [contains("acme/models.py", "class Settings"), contains("CHANGELOG.md", "## 2.0.0"),
                              contains("docs/migration.md", "find_user")],
            "criterion": "Every caller, doc and the library use only the 2.0 API; the old names are gone "
                         "(except in CHANGELOG.md and docs/migration.md); the given tests pass unchanged."}
    return family(
        "migration",
        ("API migration of the `acme` package from 1.x to 2.0 across 15 files (library, callers, a script, docs, "
         "changelog): five functions renamed, dicts replaced by dataclasses, one keyword-only argument. Exercises "
         "the expand / migrate / contract order: new API first, then each caller, removal of the old names only "
         "after every caller moved, docs and release notes last."),
        ("Migrate the acme package to its 2.0 API and remove the 1.x API: get_user(uid) -> find_user(user_id) "
         "returning an acme.models.User dataclass (or None); all_users(active_only=False) -> "
         "list_users(*, active_only=False) returning Users; fetch_config() -> load_settings(overrides=None) "
         "returning a Settings dataclass; send_mail(to, subject, body) -> send_message(Message(to, subject, body)); "
         "fmt_date(d) -> format_date(d, style='iso') with styles iso, us (03/05/2024) and long (5 March 2024). "
         "Create acme/models.py (User, Settings, Message as frozen dataclasses), update every caller (app/, "
         "scripts/), acme/__init__.py (export only the new API), README.md and docs/, add docs/migration.md "
         "with an old -> new table, a 2.0.0 CHANGELOG entry and version 2.0.0. Behaviour of the apps must not "
         "change. Do not edit tests/. Done when `python3 tests/run_all.py` passes."),
        BASE_FILES, goal, nodes)


def build_small():
    """CI-sized: only the fmt_date -> format_date rename, through two callers."""
    files = {k: v for k, v in BASE_FILES.items() if k in (
        "acme/dates.py", "acme/store.py", "scripts/export_users.py", "tests/test_dates.py", "tests/test_export.py",
        "tests/run_all.py")}
    files["acme/__init__.py"] = '"""acme: a tiny user directory with mail notifications."""\n'
    files["acme/users.py"] = USERS_OLD
    files["app/__init__.py"] = BASE_FILES["app/__init__.py"]
    files["app/report.py"] = dedent('''
        """Text reports about users."""
        from acme.dates import fmt_date
        from acme.users import get_user


        def joined(uid):
            """'Name joined YYYY-MM-DD', or 'no user N'."""
            user = get_user(uid)
            if user is None:
                return f"no user {uid}"
            return f"{user['name']} joined {fmt_date(user['created'])}"
        ''')
    files["tests/test_report.py"] = TEST_PRELUDE + dedent('''
        from app.report import joined

        assert joined(1) == "Ada Lovelace joined 2021-03-05"
        assert joined(4) == "Edsger Dijkstra joined 2019-07-30"
        assert joined(8) == "no user 8"
        print("ok: report")
        ''')
    files["tests/test_no_legacy.py"] = TEST_PRELUDE + dedent('''
        from acme import dates

        root = Path(__file__).resolve().parent.parent
        for rel in ("acme/dates.py", "app/report.py", "scripts/export_users.py"):
            assert "fmt_date" not in (root / rel).read_text(), f"{rel} still uses fmt_date"
        assert not hasattr(dates, "fmt_date")
        print("ok: no fmt_date")
        ''')
    nodes = [
        node("lib.dates", "Add format_date(d, style) with iso/us/long styles; fmt_date delegates to it", [],
             "tests/test_dates.py passes", ["acme/dates.py"],
             [cmd(t("dates")), cmd(t("report")), cmd(t("export")), contains("acme/dates.py", "def format_date(")],
             [read("acme/dates.py"), read("tests/test_dates.py"),
              edit("acme/dates.py", DATES_FMT_OLD, DATES_FORMAT + DATES_WRAPPER),
              run(t("dates")), finish("format_date supports iso, us and long; fmt_date is a wrapper")]),
        node("report.dates", "app/report.py: format_date instead of fmt_date", ["lib.dates"],
             "tests/test_report.py passes; no fmt_date left", ["app/report.py"],
             [cmd(t("report")), not_contains("app/report.py", "fmt_date")],
             [read("app/report.py"),
              edit("app/report.py", "from acme.dates import fmt_date", "from acme.dates import format_date"),
              edit("app/report.py", "{fmt_date(user['created'])}", "{format_date(user['created'])}"),
              run(t("report")), finish("report uses format_date")]),
        node("export.dates", "scripts/export_users.py: format_date instead of fmt_date", ["lib.dates"],
             "tests/test_export.py passes; no fmt_date left", ["scripts/export_users.py"],
             [cmd(t("export")), not_contains("scripts/export_users.py", "fmt_date")],
             [read("scripts/export_users.py"),
              edit("scripts/export_users.py", "from acme.dates import fmt_date  # noqa: E402",
                   "from acme.dates import format_date  # noqa: E402"),
              edit("scripts/export_users.py", 'fmt_date(user["created"])', 'format_date(user["created"])'),
              run(t("export")), finish("export uses format_date")]),
        node("remove.dates", "Remove the fmt_date wrapper from acme/dates.py", ["report.dates", "export.dates"],
             "no fmt_date anywhere; every test passes", ["acme/dates.py"],
             [cmd("python3 tests/run_all.py"), not_contains("acme/dates.py", "fmt_date")],
             [search("fmt_date"), edit("acme/dates.py", DATES_WRAPPER, ""), run("python3 tests/run_all.py"),
              finish("fmt_date is gone")]),
    ]
    goal = {"commands": ["python3 tests/run_all.py"],
            "files": [not_contains(p, "fmt_date") for p in ("acme/dates.py", "app/report.py", "scripts/export_users.py")]}
    return family(
        "small-migration",
        "CI-sized API migration: rename acme.dates.fmt_date(d) to format_date(d, style) with new styles, move the two "
        "callers over, then remove the old name.",
        ("Replace acme.dates.fmt_date(d) with format_date(d, style='iso') supporting the styles iso (2024-03-05), "
         "us (03/05/2024) and long (5 March 2024), ValueError otherwise. Move app/report.py and "
         "scripts/export_users.py to format_date, then remove fmt_date. Do not edit tests/. "
         "Done when `python3 tests/run_all.py` passes."),
        files, goal, nodes)


def main(argv):
    which = argv[0] if argv else "--all"
    if which in ("--all", "--big"):
        write_family(build_big(), "migration.json")
    if which in ("--all", "--small"):
        write_family(build_small(), "small_migration.json")


if __name__ == "__main__":
    main(sys.argv[1:])
