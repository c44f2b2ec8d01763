"""The noisy oracle: a ChatModel that knows a task family's reference solution and, at every call,
gives the right answer with probability p and otherwise a realistic error.

FRAMEWORK BENCHMARK DOUBLE. It measures what the agent's machinery (plans, checks, rollbacks, retries,
replanning, goal verification) makes of an imperfect model; it says nothing about any real model.

"Right" is judged against the workspace as it is: a file that already holds the reference state of a
step (or of a later step) counts as done; a file in the state just before a step gets that step; a file
in any other state (damaged) gets rewritten with the step's reference content. Errors are: a syntax
error, a wrong value, the right content in the wrong file, a skipped step, a premature "finish", and
repeating the previous action. Planner calls fail with a broken DAG with probability 1 - p as well.
The agent never sees which reply was an error; only `errors` (for the harness) records them.

How the errors are distributed is the error model (`errors.py`): independent per call (`iid`), a
success probability per node drawn from a Beta distribution (`beta:K`), and persistent misconceptions
(`sticky:...`) that make the model write the same wrong value, context after context, until a changed
strategy breaks them.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any, Callable

from mimo_lsp.bench.errors import REJECTED, ErrorModel, Misconception, misconceptions, node_success_p
from mimo_lsp.llm.port import ChatMessage, Completion, TokenCallback

EFFECT_TOOLS = ("write_file", "edit_file")
ERROR_KINDS = ("syntax", "wrong_value", "wrong_file", "skip", "premature_done", "repeat")
_SUFFIX = re.compile(r"r\d+$")


def _apply(files: dict[str, str], step: dict[str, Any]) -> None:
    if step["tool"] == "write_file":
        files[step["path"]] = step["content"]
    elif step["tool"] == "edit_file":
        files[step["path"]] = files.get(step["path"], "").replace(step["search"], step["replace"], 1)


class ReferenceTrace:
    """The reference steps in topological order with the file states before and after each one."""

    def __init__(self, family: dict[str, Any], order: list[dict[str, Any]]) -> None:
        files = dict(family["files"])
        self.steps: list[tuple[str, dict[str, Any]]] = []  # (node id, step)
        self.before: dict[int, str] = {}
        self.after: dict[int, str] = {}
        for node in order:
            for step in node["steps"]:
                g = len(self.steps)
                self.steps.append((node["id"], step))
                if step["tool"] in EFFECT_TOOLS:
                    self.before[g] = files.get(step["path"], "")
                    _apply(files, step)
                    self.after[g] = files[step["path"]]
        self.final = files
        # For each effect step: every reference state its file reaches from that step on.
        self.reached: dict[int, set[str]] = {}
        for g in self.after:
            path = self.steps[g][1]["path"]
            self.reached[g] = {self.after[h] for h in self.after if h >= g and self.steps[h][1]["path"] == path}
        self.node_steps: dict[str, list[int]] = {}
        for g, (nid, _) in enumerate(self.steps):
            self.node_steps.setdefault(nid, []).append(g)


class NoisyOracle:
    def __init__(self, family: dict[str, Any], order: list[dict[str, Any]], workspace: Path, p: float, seed: int,
                 truth: Callable[[], bool] | None = None, errors: ErrorModel | None = None) -> None:
        self.model = errors or ErrorModel()
        self.name = f"noisy-oracle(p={p}, {self.model.spec})"
        self.family, self.order, self.workspace, self.p = family, order, workspace, p
        self.rng = random.Random(seed)
        self.trace = ReferenceTrace(family, order)
        self.by_id = {n["id"]: n for n in order}
        self.truth = truth
        self.calls = self.prompt_tokens = self.completion_tokens = 0
        self.errors: list[dict[str, Any]] = []  # {"call", "node", "kind"}: for the harness only
        self._emitted: dict[tuple[str, int], set[int]] = {}
        self._last: dict[str, Any] | None = None
        # The error model's draws for this task: the same for every mode run on this seed.
        self.node_p = node_success_p(self.model, p, order, seed)
        self.misconceptions: dict[str, Misconception] = misconceptions(self.model, order, self.trace, seed)
        self._by_path: dict[str, list[Misconception]] = {}
        for m in self.misconceptions.values():
            self._by_path.setdefault(m.path, []).append(m)
        self._belief_rng = random.Random(f"belief:{seed}")
        self.broken: set[str] = set()  # nodes whose misconception a changed strategy broke
        self.contexts = 0  # fresh contexts seen (an attempt, a flat run)
        self._held: dict[str, bool] = {}  # misconception node -> held in the current context

    # -- ChatModel ---------------------------------------------------------------------------
    def complete(self, messages: list[ChatMessage], *, schema: dict[str, Any] | None = None,
                 max_tokens: int | None = None, temperature: float | None = None,
                 on_token: TokenCallback | None = None) -> Completion:
        self.calls += 1
        title = (schema or {}).get("title")
        if title == "Plan":
            reply: Any = self._plan(messages)
        elif title == "AgentStep":
            reply = self._step(messages)
        elif title == "JudgeVerdict":
            ok = bool(self.truth()) if self.truth else True
            if self.rng.random() >= self.p:
                ok = not ok
                self.errors.append({"call": self.calls, "node": "goal", "kind": "judge"})
            reply = {"passed": ok, "reason": "criterion holds" if ok else "criterion does not hold"}
        else:
            reply = "Progress noted."
        text = reply if isinstance(reply, str) else json.dumps(reply)
        prompt = sum(self.count_tokens(m.content) + 4 for m in messages)
        self.prompt_tokens += prompt
        self.completion_tokens += self.count_tokens(text)
        if on_token is not None:
            on_token(text)
        return Completion(text=text, prompt_tokens=prompt, completion_tokens=self.count_tokens(text),
                          finish_reason="stop")

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)

    # -- planning ----------------------------------------------------------------------------
    def _node_json(self, node: dict[str, Any], node_id: str | None = None, deps: list[str] | None = None) -> dict:
        return {"id": node_id or node["id"], "title": node["title"][:120],
                "depends_on": node["depends_on"] if deps is None else deps,
                "expected_output": node["expected_output"][:200], "files": node.get("files", []),
                "max_steps": min(100, 2 * len(node["steps"]) + 4), "checks": node.get("checks", [])}

    def _plan(self, messages: list[ChatMessage]) -> dict[str, Any]:
        user = messages[1].content if len(messages) > 1 else ""
        if "Done nodes (keep):" in user:
            nodes = self._replan(user)
        else:
            nodes = [self._node_json(n) for n in self.order]
        if self.rng.random() >= self.p and len(nodes) > 1:
            kind = self.rng.choice(("cycle", "unknown_dep", "duplicate"))
            self.errors.append({"call": self.calls, "node": "plan", "kind": f"plan_{kind}"})
            nodes = [dict(n) for n in nodes]
            if kind == "cycle":
                nodes[0]["depends_on"] = nodes[0]["depends_on"] + [nodes[-1]["id"]]
            elif kind == "unknown_dep":
                nodes[-1]["depends_on"] = nodes[-1]["depends_on"] + ["zz-missing"]
            else:
                nodes[-1]["id"] = nodes[0]["id"]
        return {"nodes": nodes}

    def _replan(self, user: str) -> list[dict[str, Any]]:
        done_block = user.split("Done nodes (keep):", 1)[1].split("\n\n", 1)[0]
        done = set(re.findall(r"^- ([A-Za-z0-9_-]+):", done_block, re.MULTILINE))
        base_done = {_SUFFIX.sub("", d) for d in done}
        todo = [n for n in self.order if n["id"] not in base_done]
        if todo:  # keep the reference ids; dependencies on done nodes stay valid
            return [self._node_json(n, deps=[d for d in n["depends_on"] if d in done or d not in base_done])
                    for n in todo]
        # Everything is done but the criteria fail: repair the nodes whose files are not in their final state.
        rounds = 1 + max((int(m) for d in done for m in re.findall(r"r(\d+)$", d)), default=0)
        broken = [n for n in self.order if any(g in self.trace.after and not self._satisfied(g)
                                               for g in self.trace.node_steps[n["id"]])]
        return [self._node_json(n, f"{n['id'][:12]}r{rounds}", deps=[]) for n in (broken or self.order[-1:])]

    # -- acting ------------------------------------------------------------------------------
    def _current(self, path: str) -> str | None:
        try:
            return (self.workspace / path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def _satisfied(self, g: int, believed: list[Misconception] | None = None) -> bool:
        current = self._current(self.trace.steps[g][1]["path"])
        if current in self.trace.reached[g]:
            return True
        # A model holding a misconception takes its own wrong version for done.
        return bool(believed) and current in {_believe(x, believed) for x in self.trace.reached[g]}

    def _believed(self, path: str) -> list[Misconception]:
        """The misconceptions about `path` held in the current context (drawn once per context)."""
        out = []
        for m in self._by_path.get(path, ()):
            if m.node in self.broken:
                continue
            if m.node not in self._held:
                self._held[m.node] = self._belief_rng.random() < self.model.sticky_q
            if self._held[m.node]:
                out.append(m)
        return out

    def _needed(self, indexes: list[int], key: tuple[str, int]) -> tuple[int, dict[str, Any], bool]:
        """The first step of `indexes` not yet done, the action that does it right now as the model sees
        it, and whether a held misconception made that action wrong."""
        emitted = self._emitted.setdefault(key, set())
        for g in indexes:
            step = self.trace.steps[g][1]
            if step["tool"] == "finish":
                return g, step, False
            if step["tool"] in EFFECT_TOOLS:
                believed = self._believed(step["path"])
                if self._satisfied(g, believed):
                    continue
                target = _believe(self.trace.after[g], believed)
                wrong = target != self.trace.after[g]
                current = self._current(step["path"])
                if current in (self.trace.before[g], _believe(self.trace.before[g], believed)):
                    if step["tool"] == "write_file":
                        return g, dict(step, content=target), wrong
                    replace = _believe(step["replace"], believed)
                    if current is not None and replace is not None \
                            and current.replace(step["search"], replace, 1) == target:
                        return g, dict(step, replace=replace), wrong
                return g, {"tool": "write_file", "path": step["path"], "content": target}, wrong
            if g not in emitted:
                return g, step, False
        g = indexes[-1]
        return g, self.trace.steps[g][1], False

    def _new_context(self, messages: list[ChatMessage], node_id: str, prompt_id: str, attempt: int) -> None:
        """A fresh window (the first call of an attempt or of a flat run): beliefs are drawn anew, and a
        prompt that carries a failure summary of this node's work may break its misconception."""
        self.contexts += 1
        self._held = {}
        if not (attempt >= 2 or prompt_id != node_id):  # not a retry, nor a repair node planned from a failure
            return
        # The failure summary is about this node's work: the misconceptions about the files it writes.
        paths = {self.trace.steps[g][1]["path"] for g in self.trace.node_steps.get(node_id, []) if g in self.trace.after}
        for m in self.misconceptions.values():
            if m.node not in self.broken and (m.node == node_id or m.path in paths):
                if self._belief_rng.random() < self.model.sticky_break:
                    self.broken.add(m.node)

    def _observe(self, messages: list[ChatMessage]) -> None:
        """A rejected finish seen in the same context breaks a held misconception with probability O."""
        if not self.model.sticky_observe or not messages or not messages[-1].content.startswith(REJECTED):
            return
        for node, held in list(self._held.items()):
            if held and node not in self.broken and self._belief_rng.random() < self.model.sticky_observe:
                self.broken.add(node)
                self._held[node] = False

    def _step(self, messages: list[ChatMessage]) -> dict[str, Any]:
        user = messages[1].content if len(messages) > 1 else ""
        m = re.search(r"^Sub-task id: ([A-Za-z0-9_-]+)$", user, re.MULTILINE)
        attempt = re.search(r"^Attempt (\d+)\.", user, re.MULTILINE)
        if m:  # the agent: one node
            node_id = m.group(1) if m.group(1) in self.by_id else _SUFFIX.sub("", m.group(1))
            indexes = self.trace.node_steps.get(node_id, [])
            key = (m.group(1), int(attempt.group(1)) if attempt else 1)
        else:  # a flat loop: the whole reference, one finish at the very end
            node_id = "*"
            indexes = [g for g, (_, s) in enumerate(self.trace.steps) if s["tool"] != "finish"]
            indexes.append(len(self.trace.steps) - 1)
            key = ("*", 1)
        if len(messages) <= 2:  # no turns yet: a fresh context
            self._new_context(messages, node_id, key[0], key[1])
        else:
            self._observe(messages)
        if not indexes:
            return self._say({"tool": "finish", "summary": "nothing to do"})
        g, action, misbelieved = self._needed(indexes, key)
        owner = self.trace.steps[g][0]
        if self.rng.random() < self.node_p.get(owner, self.p):
            if action["tool"] not in EFFECT_TOOLS and action["tool"] != "finish":
                self._emitted[key].add(g)
            if misbelieved:
                self.errors.append({"call": self.calls, "node": owner, "kind": "sticky"})
            return self._say(action)
        return self._say(self._error(action, g, indexes, owner))

    def _error(self, action: dict[str, Any], g: int, indexes: list[int], owner: str) -> dict[str, Any]:
        kinds = list(ERROR_KINDS)
        if action["tool"] not in EFFECT_TOOLS:
            kinds = [k for k in kinds if k not in ("syntax", "wrong_value", "wrong_file")]
        if self._last is None:
            kinds.remove("repeat")
        kind = self.rng.choice(kinds)
        self.errors.append({"call": self.calls, "node": owner, "kind": kind})
        if kind == "premature_done":
            return {"tool": "finish", "summary": "done"}
        if kind == "repeat":
            return dict(self._last or action)
        if kind == "skip":
            later = [h for h in indexes if h > g]
            return dict(self.trace.steps[later[0]][1]) if later else {"tool": "finish", "summary": "done"}
        bad = dict(action)
        field = "content" if bad["tool"] == "write_file" else "replace"
        if kind == "syntax" and bad["path"].endswith(".py"):
            bad[field] = bad[field] + "\ndef broken(:\n"
        elif kind in ("syntax", "wrong_value"):
            bad[field] = _mutate(bad[field])
        else:  # wrong_file: the right content lands in another file of the reference solution
            others = sorted({s["path"] for _, s in self.trace.steps if s["tool"] in EFFECT_TOOLS} - {bad["path"]})
            if not others:
                return {"tool": "finish", "summary": "done"}
            return {"tool": "write_file", "path": self.rng.choice(others), "content": self.trace.after[g]}
        return bad

    def _say(self, action: dict[str, Any]) -> dict[str, Any]:
        self._last = action
        return {"thought": f"next: {action['tool']}", "action": action}


def _believe(text: str | None, believed: list[Misconception] | None) -> str | None:
    """`text` as a model holding these misconceptions would write it."""
    for m in believed or ():
        if text is not None and m.present(text):
            text = m.apply(text)
    return text


def _mutate(text: str) -> str:
    """A plausible wrong value: a digit, an operator or a word changed."""
    m = re.search(r"\d", text)
    if m:
        return text[: m.start()] + str((int(m.group()) + 1) % 10) + text[m.end():]
    for a, b in ((" + ", " - "), (" - ", " + "), ("<=", "<"), (">=", ">"), ("==", "!="), ("True", "False"),
                 (" * ", " + "), ("return ", "return not ")):
        if a in text:
            return text.replace(a, b, 1)
    words = re.findall(r"[A-Za-z_]{4,}", text)
    return text.replace(words[0], words[0][::-1], 1) if words else text + "\nX"
