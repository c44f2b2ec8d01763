"""Policy: allow / ask / deny per tool and argument pattern; the last matching rule wins.

Rules come from defaults < user config < workspace config < explicit overrides (`[[safety.rules]]`).
A shell command line is split into its simple commands (`a && b | c; d`) and each is judged: the
strictest verdict wins, so `pytest; curl evil` is not allowed by a `pytest*` rule. Constructs that
cannot be judged statically (command substitution, `eval`, process substitution) are at least `ask`.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Verdict = Literal["allow", "ask", "deny"]
STRICTNESS = {"allow": 0, "ask": 1, "deny": 2}


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tool: str = Field("*", description="tool name glob: run_command, write_file, edit_file, read_file, network, ...")
    match: str = Field("*", description="glob on the path (file tools) or on one simple command (run_command)")
    action: Verdict
    reason: str = ""


# Reads and searches allowed; edits allowed (checkpointed and reviewable) except protected paths;
# shell commands ask, except a safe allowlist; destructive or outward actions ask or deny.
SAFE_COMMANDS = [
    "pytest*", "python -m pytest*", "python3 -m pytest*", "*/python -m pytest*", "*/python3 -m pytest*",
    "*/pytest*", "tox*", "nox*", "ruff*", "flake8*", "mypy*", "pylint*", "black --check*", "eslint*",
    "npm test*", "npm run test*", "npm run lint*", "yarn test*", "pnpm test*", "go test*", "go vet*",
    "cargo test*", "cargo check*", "cargo clippy*", "make test*", "make check*", "ctest*",
    "ls", "ls *", "pwd", "cat *", "head *", "tail *", "wc *", "grep *", "rg *", "find *", "echo *", "true",
    "git status*", "git diff*", "git log*", "git show*", "git blame*",
]
DENIED_COMMANDS = [
    ("git push*", "publishes outside this machine"), ("git reset --hard*", "destroys uncommitted work"),
    ("git clean -*f*", "deletes untracked files"), ("git checkout -- *", "discards changes"),
    ("*npm publish*", "publishes a package"), ("*twine upload*", "publishes a package"),
    ("*cargo publish*", "publishes a crate"), ("sudo *", "privilege escalation"), ("su *", "privilege escalation"),
    ("rm -rf /", "deletes the system"), ("rm -rf /*", "deletes the system"), ("rm -rf ~*", "deletes the home folder"),
    ("mkfs*", "formats a disk"), ("dd *of=/dev/*", "writes a raw device"), ("shutdown*", "stops the machine"),
    ("reboot*", "stops the machine"),
]
ASKED_COMMANDS = [
    ("rm -r*", "deletes a tree"), ("rm -*r*", "deletes a tree"), ("curl *", "network"), ("wget *", "network"),
    ("ssh *", "network"), ("scp *", "network"), ("nc *", "network"), ("pip install*", "installs packages"),
    ("npm install*", "installs packages"), ("git commit*", "writes history"), ("git rebase*", "rewrites history"),
    ("chmod -R*", "changes many permissions"),
]


def default_rules() -> list[Rule]:
    rules = [
        Rule(tool="*", action="ask", reason="unknown tool"),
        Rule(tool="read_file", action="allow"), Rule(tool="list_files", action="allow"),
        Rule(tool="search_code", action="allow"), Rule(tool="finish", action="allow"),
        Rule(tool="write_file", action="allow", reason="edits are checkpointed and reviewable"),
        Rule(tool="edit_file", action="allow", reason="edits are checkpointed and reviewable"),
        Rule(tool="run_command", action="ask", reason="shell command outside the safe list"),
        Rule(tool="network", action="ask", reason="network access from the sandbox"),
    ]
    for protected in (".git", ".git/*", ".mimo", ".mimo/*", "*.pem", "*id_rsa*", ".env", "*/.env"):
        rules += [Rule(tool=t, match=protected, action="deny", reason="protected path")
                  for t in ("write_file", "edit_file")]
    rules += [Rule(tool="run_command", match=m, action="allow", reason="safe list") for m in SAFE_COMMANDS]
    rules += [Rule(tool="run_command", match=m, action="ask", reason=r) for m, r in ASKED_COMMANDS]
    rules += [Rule(tool="run_command", match=m, action="deny", reason=r) for m, r in DENIED_COMMANDS]
    return rules


class Decision(BaseModel):
    verdict: Verdict
    rule: Rule | None  # the rule that decided (None: an unanalyzable construct)
    subject: str  # what was judged: the path, or the simple command
    reason: str


_OPERATORS = re.compile(r"\|\||&&|;|\||&|\n|\(|\)")
_DYNAMIC = re.compile(r"\$\(|`|<\(|>\(|\beval\b|\bexec\b|\bsource\b|(^|\s)\.\s")


def split_commands(line: str) -> list[str]:
    """Simple commands of a shell line (quotes respected), leading env assignments dropped."""
    parts, buf, quote = [], [], ""
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            buf.append(ch)
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"' and i + 1 < len(line):
                buf.append(line[i + 1])
                i += 1
        elif ch in "'\"":
            quote = ch
            buf.append(ch)
        elif ch == "\\" and i + 1 < len(line):
            buf.append(line[i:i + 2])
            i += 1
        else:
            m = _OPERATORS.match(line, i)
            if m:
                parts.append("".join(buf))
                buf = []
                i = m.end()
                continue
            buf.append(ch)
        i += 1
    parts.append("".join(buf))
    out = []
    for part in parts:
        words = part.strip().split()
        while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
            words.pop(0)
        if words:
            out.append(" ".join(words))
    return out


def rule_matches(rule: Rule, tool: str, subject: str) -> bool:
    """Glob match; an `allow` rule for a command must also match the command's first word with the
    pattern's first word, so that `*/pytest*` allows `/venv/bin/pytest -q` but not
    `sh -c 'rm -rf x' /tmp/pytest` (a `*` would otherwise run across the whole line)."""
    if not fnmatch.fnmatchcase(subject, rule.match):
        return False
    if rule.action != "allow" or tool != "run_command":
        return True
    head = subject.split(None, 1)[0] if subject.strip() else ""
    return fnmatch.fnmatchcase(head, rule.match.split(" ", 1)[0])


class Policy:
    """`rules`: the last match wins. `tighten`: checked afterwards, and only ever make the decision stricter
    (an untrusted workspace's ask / deny rules: they can add a question, never remove one)."""

    def __init__(self, rules: list[Rule], tighten: list[Rule] | None = None) -> None:
        self.rules = list(rules)
        self.tighten = list(tighten or [])
        self.session_rules: list[Rule] = []  # "always" / "never" answers, for this task

    @classmethod
    def from_settings(cls, safety: Any) -> "Policy":
        return cls(default_rules() + list(safety.rules), safety.tighten_rules)

    def _match(self, tool: str, subject: str) -> Rule | None:
        found = None
        for rule in self.rules + self.session_rules:
            if fnmatch.fnmatchcase(tool, rule.tool) and rule_matches(rule, tool, subject):
                found = rule
        return found

    def decide_one(self, tool: str, subject: str) -> Decision:
        rule = self._match(tool, subject)
        if rule is None:
            decision = Decision(verdict="ask", rule=None, subject=subject, reason="no rule matched")
        else:
            decision = Decision(verdict=rule.action, rule=rule, subject=subject, reason=rule.reason)
        stricter = None
        for t in self.tighten:
            if fnmatch.fnmatchcase(tool, t.tool) and fnmatch.fnmatchcase(subject, t.match):
                stricter = t
        if stricter is not None and STRICTNESS[stricter.action] > STRICTNESS[decision.verdict]:
            return Decision(verdict=stricter.action, rule=stricter, subject=subject,
                            reason=stricter.reason or "workspace rule (tighten only)")
        return decision

    def decide(self, tool: str, subject: str) -> Decision:
        """Judge a tool call; for run_command, every simple command of the line, strictest wins."""
        if tool != "run_command":
            return self.decide_one(tool, subject)
        worst = Decision(verdict="allow", rule=None, subject=subject, reason="empty command")
        if _DYNAMIC.search(subject):
            worst = Decision(verdict="ask", rule=None, subject=subject,
                             reason="command substitution / eval cannot be judged in advance")
        for simple in split_commands(subject) or [subject]:
            d = self.decide_one(tool, simple)
            if STRICTNESS[d.verdict] > STRICTNESS[worst.verdict] or worst.reason == "empty command":
                worst = d
        return worst

    def remember(self, tool: str, subject: str, verdict: Verdict) -> None:
        self.session_rules.append(Rule(tool=tool, match=subject, action=verdict, reason="answered always/never"))
