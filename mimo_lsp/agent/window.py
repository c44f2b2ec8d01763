"""The executor's short-term window: the contract first, then the turns, compacted to fit.

Compaction goes in stages until the messages fit the model's context: (1) all turns verbatim; (2) tool
outputs of older turns pruned (the action stays); (3) older turns reduced to one line each; (4) the
oldest one-liners dropped (their count is kept). The head (goal, plan, node contract, progress
summary) is rebuilt and re-sent with every window, so compaction can never lose it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from mimo_lsp.llm.port import ChatMessage


@dataclass
class Turn:
    assistant: str  # the model's JSON reply
    observation: str  # what the tool returned, as shown to the model
    line: str  # one-line summary: "step 12: edit_file {...} -> ok"


def build_window(head: list[ChatMessage], turns: list[Turn], fits: Callable[[list[ChatMessage]], bool],
                 recent: int = 4) -> tuple[list[ChatMessage], int]:
    """Returns the messages and the compaction stage used (1 = none)."""
    def assemble(verbatim: list[Turn], pruned: list[Turn], lines: list[Turn], dropped: int) -> list[ChatMessage]:
        msgs = list(head)
        if lines or dropped:
            text = (f"({dropped} earlier steps omitted)\n" if dropped else "") + "\n".join(t.line for t in lines)
            msgs.append(ChatMessage(role="user", content="Earlier steps:\n" + text))
        for t in pruned:
            msgs += [ChatMessage(role="assistant", content=t.assistant),
                     ChatMessage(role="user", content=f"[output pruned] {t.line}")]
        for t in verbatim:
            msgs += [ChatMessage(role="assistant", content=t.assistant), ChatMessage(role="user", content=t.observation)]
        return msgs

    msgs = assemble(turns, [], [], 0)
    if fits(msgs):
        return msgs, 1
    keep = min(recent, len(turns))
    old, new = turns[: len(turns) - keep], turns[len(turns) - keep:]
    msgs = assemble(new, old, [], 0)
    if fits(msgs):
        return msgs, 2
    while True:
        for verbatim in range(len(new), -1, -1):  # shrink the verbatim tail last
            msgs = assemble(new[len(new) - verbatim:], [], old + new[: len(new) - verbatim], 0)
            if fits(msgs):
                return msgs, 3
            if verbatim <= 1:
                break
        break
    lines = old + new[:-1] if new else old
    last = new[-1:] if new else []
    dropped = 0
    while lines:
        lines = lines[1:]
        dropped += 1
        msgs = assemble(last, [], lines, dropped)
        if fits(msgs):
            return msgs, 4
    return assemble(last, [], [], dropped), 4
