"""Experience distillation: after a task, its failures and what fixed them become short lessons.

A lesson says what went wrong and what worked, names the sub-task, and links to the task it came from
(its `task_id`). Lessons live in the workspace's memory store, so later tasks (and later sessions)
retrieve the ones similar to their goal and sub-tasks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mimo_lsp.agent.memory import Memory, MemoryStore


@dataclass
class NodeHistory:
    node_id: str
    title: str
    failures: list[str] = field(default_factory=list)  # one line per failed attempt (kind: detail)
    rejected_checks: list[str] = field(default_factory=list)  # premature finishes: the failing check
    outcome: str = ""  # "done: <summary>" | "failed: <detail>"


def distill(goal: str, histories: list[NodeHistory], goal_rejections: list[str]) -> list[str]:
    lessons: list[str] = []
    for h in histories:
        if not h.failures and not h.rejected_checks:
            continue
        what_failed = "; ".join((h.failures + [f"finish rejected: {c}" for c in h.rejected_checks])[:3])
        if h.outcome.startswith("done"):
            lessons.append(f"Sub-task '{h.title}': went wrong first ({_cut(what_failed)}); what worked after "
                           f"{len(h.failures) + 1} attempt(s): {_cut(h.outcome[5:].strip())}")
        else:
            lessons.append(f"Sub-task '{h.title}' failed ({_cut(what_failed)}); avoid that approach and check "
                           "the sub-task's own tests before finishing")
    for g in goal_rejections[:2]:
        lessons.append(f"Task '{_cut(goal, 80)}': stopping early was rejected because {_cut(g)}; run the "
                       "completion checks before declaring the work done")
    return lessons


def store_lessons(memory: MemoryStore, task_id: str, lessons: list[str]) -> list[int]:
    return [i for i in (memory.add("lesson", text, task_id) for text in lessons) if i is not None]


def list_lessons(memory: MemoryStore) -> list[Memory]:
    return memory.all(("lesson",))


def _cut(text: str, n: int = 220) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
