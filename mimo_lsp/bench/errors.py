"""Error models of the noisy oracle: how its mistakes are distributed over a task.

FRAMEWORK BENCHMARK DOUBLE (see oracle.py). Selected with `--errors`, seeded, combinable with `+`:

- `iid`: every call is right with probability p, independently (the original model).
- `beta:K`: each node's success probability is drawn once per task from Beta(p*K, (1-p)*K) (mean p,
  concentration K; smaller K = more spread), and every call made for that node's work uses it. A task
  has easy nodes and hard ones, and a hard node stays hard across retries and replans.
- `sticky:SHARE,Q[,B[,O]]`: each node carries, with probability SHARE, a persistent misconception: one
  wrong value in what it writes (a mutant of one of its reference steps, `mutation.py`: a number, an
  operator, a name, a default, a string; in docs a number, a name or a command; the kind is drawn
  uniformly among the kinds the node's text offers, then one mutant of that kind, on a line that stays
  in the finished workspace). In every fresh context
  (an executor attempt, a replanned or repair node, the flat loop's single run) the misconception is held
  with probability Q, drawn once for that context; a model that holds it writes the wrong value whenever
  it writes that code, also when "repairing" the file, and takes the wrong version for done. It is broken
  for good (the model understood) with probability B (default 0.5) by a *changed strategy*: a fresh
  context for a node whose prompt carries a failure summary of the node's earlier work, i.e. a retry
  prompt (`Attempt N.`, N >= 2: the failed attempts listed, the files rolled back, "use a DIFFERENT
  approach") or a repair node planned from failing completion criteria; each misconception about a file
  that node writes gets one such chance per context (a later node that rewrites the file can carry the
  misconception into its own work, and its failure summary is then about it). A rejected finish seen inside
  the same context (the agent's node checks, the gated flat loop's goal gate) breaks it with probability
  O (default 0): the wrong code and the model's own reasoning for it are still in its window, which is
  where a systematic error persists. O > 0 measures how much the result depends on that choice.

Why this is fair: a misconception is something the model believes, so repeating the same question in
the same context gets the same answer (Q per context, not per call), and only new information in a new
context can change it. The agent and the baselines are judged by the same rule; what differs is whether
their machinery creates such a context. B and O are parameters, not facts about any model.

Combinations: `beta:2+sticky:0.1,0.9` (Beta per-node probabilities and misconceptions together).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from mimo_lsp.bench.mutation import DOC_KINDS, is_doc, locate, step_mutants, step_text, substitute


@dataclass(frozen=True)
class ErrorModel:
    beta_k: float | None = None
    sticky_share: float = 0.0
    sticky_q: float = 0.0
    sticky_break: float = 0.5
    sticky_observe: float = 0.0

    @property
    def spec(self) -> str:
        parts = []
        if self.beta_k is not None:
            parts.append(f"beta:{self.beta_k:g}")
        if self.sticky_share > 0:
            s = f"sticky:{self.sticky_share:g},{self.sticky_q:g}"
            if self.sticky_break != 0.5 or self.sticky_observe:
                s += f",{self.sticky_break:g}"
            if self.sticky_observe:
                s += f",{self.sticky_observe:g}"
            parts.append(s)
        return "+".join(parts) or "iid"


def parse_error_model(spec: str | None) -> ErrorModel:
    """`iid`, `beta:K`, `sticky:SHARE,Q[,B[,O]]`, or several joined with `+`. ValueError on anything else."""
    fields: dict[str, Any] = {}
    for part in (spec or "iid").replace(" ", "").split("+"):
        name, _, args = part.partition(":")
        try:
            nums = [float(x) for x in args.split(",")] if args else []
        except ValueError:
            raise ValueError(f"error model {part!r}: arguments must be numbers") from None
        if name == "iid" and not nums:
            continue
        if name == "beta" and len(nums) == 1 and nums[0] > 0:
            fields["beta_k"] = nums[0]
        elif name == "sticky" and 2 <= len(nums) <= 4 and all(0 <= x <= 1 for x in nums):
            fields.update(sticky_share=nums[0], sticky_q=nums[1])
            if len(nums) > 2:
                fields["sticky_break"] = nums[2]
            if len(nums) > 3:
                fields["sticky_observe"] = nums[3]
        else:
            raise ValueError(f"unknown error model {part!r}: use iid, beta:K (K > 0) or sticky:SHARE,Q[,B[,O]] "
                             "(each in 0..1), joined with '+'")
    return ErrorModel(**fields)


@dataclass(frozen=True)
class Misconception:
    node: str   # reference node id
    path: str
    old: str    # a window of lines of the node's reference text, unique where it appears
    new: str    # the same window with one wrong value
    kind: str
    what: str

    def apply(self, text: str) -> str:
        return substitute(text, self.old, self.new)

    def present(self, text: str | None) -> bool:
        return text is not None and ("\n" + self.old + "\n") in ("\n" + text + "\n")


def node_success_p(model: ErrorModel, p: float, order: list[dict[str, Any]], seed: int) -> dict[str, float]:
    """Each node's probability of a right answer for this task (p for every node under iid)."""
    if model.beta_k is None or p >= 1 or p <= 0:
        return {n["id"]: p for n in order}
    rng = random.Random(f"beta:{seed}")
    a, b = p * model.beta_k, (1 - p) * model.beta_k
    return {n["id"]: rng.betavariate(a, b) for n in order}


def misconceptions(model: ErrorModel, order: list[dict[str, Any]], trace: Any, seed: int) -> dict[str, Misconception]:
    """At most one misconception per node, for SHARE of the nodes (seeded; the same for every mode)."""
    if model.sticky_share <= 0:
        return {}
    rng = random.Random(f"sticky:{seed}")
    out: dict[str, Misconception] = {}
    for node in order:
        chosen = rng.random() < model.sticky_share
        pick = rng.random()  # drawn for every node, so one node's candidates do not shift the others
        if not chosen:
            continue
        cands = _candidates(node, trace)
        if not cands:
            continue
        kinds = sorted({c.kind for c in cands})
        kind = kinds[int(pick * len(kinds))]
        of_kind = [c for c in cands if c.kind == kind]
        out[node["id"]] = of_kind[int((pick * len(kinds) % 1) * len(of_kind))]
    return out


def _candidates(node: dict[str, Any], trace: Any) -> list[Misconception]:
    out: list[Misconception] = []
    for g in trace.node_steps.get(node["id"], []):
        step = trace.steps[g][1]
        if g not in trace.after or step["path"].startswith("tests/"):
            continue
        path = step["path"]
        lines = (step_text(step) or "").split("\n")
        states = [trace.after[g]] + ([trace.final[path]] if path in trace.final else [])
        for lm in step_mutants(step, doc_text=trace.final.get(path), before=trace.before.get(g)):
            if is_doc(path) and lm.kind not in DOC_KINDS:
                continue
            if not all(("\n" + lines[lm.line] + "\n") in ("\n" + s + "\n") for s in states):
                continue  # the line does not reach the end of the task: a later step rewrites it
            where = locate(lines, lm.line, states)
            if where is None:
                continue
            a, b = where
            old = "\n".join(lines[a:b])
            new = "\n".join(lines[a:lm.line] + [lm.new] + lines[lm.line + 1:b])
            if old != new:
                out.append(Misconception(node["id"], path, old, new, lm.kind, lm.what))
    return out


REJECTED = "Observation (FAILED):\nfinish rejected"
