"""Prompt texts, in one place so they can be read and tuned together."""

from __future__ import annotations

import json
import re

from mimo_lsp.agent.plan import PlanNode

# The examples in these prompts are built from the task itself: a small model copies its example almost
# verbatim, and a copied example about the task at hand (its goal, a file it names) is a usable plan or
# first step, where a fixed example ("fix the date parser", "src/app.py") sent it after code that is not there.
# A file path: an optional folder part, a name of 2+ characters (not "e.g" or "i.e"), a letter-led suffix.
_SUFFIXES = set("py pyi js jsx ts tsx mjs go rs java kt kts scala swift c h cc cpp hpp cs rb php lua sh sql "
                "html css vue md rst txt json toml yaml yml ini cfg xml".split())
_PATH = re.compile(r"(?<![\w/.-])((?:[\w-]+/)*[\w-]{2,}\.[A-Za-z][A-Za-z0-9]{0,7})(?![\w/-])")


def _title(text: str, limit: int = 60) -> str:
    """The start of `text`, cut at a word boundary: a short example title keeps a small model's titles short."""
    text = " ".join(text.split()).split(". ")[0].rstrip(".")
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") or text[:limit]


def planner_system(goal: str) -> str:
    path = example_path(goal)
    nodes = [{"id": "n1", "title": f"Read {path}" if path else "Find the code to change", "depends_on": [],
              "expected_output": "the code to change is known"},
             {"id": "n2", "title": _title(goal), "depends_on": ["n1"],
              "expected_output": "the change is made and the checks pass"}]
    return f"""You are the planner of a coding agent working in a software repository.
Split the user's goal into a small plan: a list of sub-tasks that form a DAG.
Reply with JSON only, for example:
{json.dumps({"nodes": nodes})}
Rules: ids are short and unique; depends_on lists ids of earlier nodes only; 1 to 5 nodes for a small goal;
each expected_output says what will be true when the node is done (a file changed, a test passing).
Optional per node: "files" (globs of the only files it may change), "max_steps" (its step budget),
"checks" (each {{"command": "..."}} that must exit 0, or {{"path": "...", "contains": "..."}})."""


def planner_user(goal: str, context: str, check: str | None, memory: str = "") -> str:
    parts = [f"Goal: {goal}"]
    if check:
        parts.append(f"Completion criteria (checked before the task may finish):\n{check}")
    if memory:
        parts.append(f"Lessons and notes from earlier work in this repository:\n{memory}")
    parts.append(f"Workspace:\n{context}")
    return "\n\n".join(parts)


def replanner_system(goal: str) -> str:
    return planner_system(goal) + """
You are REVISING a plan after a failure. Done nodes stay done: do not repeat them and do not reuse their
ids. Reply with the nodes that remain to be done (new ones may depend on done ids), changed so that the
failure does not happen again."""


def replanner_user(goal: str, done: str, remaining: str, failure: str, context: str) -> str:
    return "\n\n".join([
        f"Goal: {goal}",
        f"Done nodes (keep):\n{done or '(none)'}",
        f"Remaining nodes of the current plan:\n{remaining or '(none)'}",
        f"What failed:\n{failure}",
        f"Workspace:\n{context}",
    ])


def named_paths(*texts: str) -> list[str]:
    """The file paths named in `texts`, in order, each once (dotted names like acme.dates are not paths)."""
    out: list[str] = []
    for text in texts:
        for match in _PATH.finditer(text or ""):
            if match.group(1).rsplit(".", 1)[1].lower() in _SUFFIXES and match.group(1) not in out:
                out.append(match.group(1))
    return out


def example_path(*texts: str) -> str | None:
    """The first file path named in `texts` (a node's files, its title, the goal), for the executor's example."""
    return next(iter(named_paths(*texts)), None)


def executor_system(path: str | None = None) -> str:
    """`path`: a file the task names; the example reads it. Without one the example lists the repository."""
    action = {"tool": "read_file", "path": path} if path else {"tool": "list_files", "path": "."}
    example = json.dumps({"thought": "I need to see the code first", "action": action})
    return f"""You are a coding agent. You work on ONE sub-task of a plan, inside a repository.
Each reply is one JSON object: {{"thought": "why", "action": {{"tool": NAME, ...arguments}}}}, for example
{example}
Tools:
- read_file {{"path", "start_line", "end_line"}}: show a file with line numbers (end_line 0 = to the end)
- list_files {{"path"}}: list files under a directory
- search_code {{"query", "k"}}: find code by meaning
- write_file {{"path", "content"}}: create or replace a whole file
- edit_file {{"path", "search", "replace"}}: replace text that occurs exactly once
- run_command {{"command", "timeout_s"}}: run a shell command in the repository root
- finish {{"summary"}}: the sub-task is done; say what changed
Read before you edit. Keep edits minimal. Call finish when the expected output holds: its checks are
run then, and a finish whose checks fail is rejected."""


def node_prompt(goal: str, plan: str, node: PlanNode, criteria: str | None, *, attempt: int = 1,
                failures: list[str] | None = None, memory: str = "", progress: str = "", budget: int = 0) -> str:
    contract = [f"Sub-task id: {node.id}", f"Your sub-task: {node.title}", f"Expected output: {node.expected_output}"]
    if node.files:
        contract.append("You may change only: " + ", ".join(node.files))
    if node.checks:
        contract.append("Checks run when you finish: " + "; ".join(c.label() for c in node.checks))
    if budget:
        contract.append(f"Step budget: {budget}")
    parts = [f"Overall goal: {goal}", f"Plan:\n{plan}", "\n".join(contract)]
    if criteria:
        parts.append(f"The whole task is accepted when: {criteria}")
    if memory:
        parts.append(f"Relevant notes and lessons:\n{memory}")
    if attempt > 1:
        parts.append(f"Attempt {attempt}. Earlier attempts failed and were rolled back (files are as before the "
                     "first attempt):\n" + "\n".join(f"- {f}" for f in (failures or [])) +
                     "\nUse a DIFFERENT approach this time; do not repeat what failed.")
    if progress:
        parts.append(f"Progress so far in this attempt:\n{progress}")
    return "\n\n".join(parts)
