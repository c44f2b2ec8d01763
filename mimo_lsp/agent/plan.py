"""The plan: a DAG of sub-tasks with contracts (allowed files, step budget, checks), validated.

A node's `checks` are executable: a command that must exit 0, or a file predicate. Replanning
(`merge_replan`) swaps the not-yet-done part of the DAG for a revised one; done nodes never change.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator


def _one_shape_schema(schema: dict) -> None:
    """The JSON schema a model sees (and llama.cpp's grammar enforces): exactly one of the valid shapes,
    so a constrained model cannot produce `{}` or a path without a predicate."""
    text = {"type": "string", "minLength": 1, "maxLength": 300}

    def shape(**props: dict) -> dict:
        return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}

    variants = [shape(command=text), shape(path=text, contains=text), shape(path=text, not_contains=text),
                shape(path=text, exists={"type": "boolean"}), shape(path=text, matches=text)]
    for key in list(schema):
        if key not in ("title", "description"):
            del schema[key]
    schema["anyOf"] = variants


class CheckSpec(BaseModel):
    """One executable check: `command` (exit 0) or a predicate on `path` (exists/contains/not_contains/matches)."""

    model_config = ConfigDict(json_schema_extra=_one_shape_schema)

    command: Optional[str] = Field(None, max_length=300)
    path: Optional[str] = Field(None, max_length=200)
    exists: Optional[bool] = None
    contains: Optional[str] = Field(None, max_length=300)
    not_contains: Optional[str] = Field(None, max_length=300)
    matches: Optional[str] = Field(None, max_length=300)

    @model_validator(mode="after")
    def _one_kind(self) -> "CheckSpec":
        if (self.command is None) == (self.path is None):
            raise ValueError("a check has either 'command' or 'path'")
        if self.path is not None and all(v is None for v in (self.exists, self.contains, self.not_contains,
                                                              self.matches)):
            raise ValueError(f"file check on {self.path!r} needs exists, contains, not_contains or matches")
        return self

    def label(self) -> str:
        if self.command is not None:
            return f"command `{self.command}` exits 0"
        for key in ("exists", "contains", "not_contains", "matches"):
            value = getattr(self, key)
            if value is not None:
                return f"{self.path} {key} {value!r}"
        return str(self.path)


class PlanNode(BaseModel):
    # Tight bounds double as grammar limits: a small model cannot ramble inside a string forever.
    id: str = Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_-]+$")
    title: str = Field(min_length=1, max_length=120)
    depends_on: list[str] = Field(default_factory=list, max_length=24)
    expected_output: str = Field(min_length=1, max_length=200)
    # Contract: globs of the files this node may change (empty = any), its step budget (None = the
    # settings' default) and checks that must pass before the node may finish.
    files: list[str] = Field(default_factory=list, max_length=16)
    max_steps: Optional[int] = Field(None, ge=1, le=100)
    checks: list[CheckSpec] = Field(default_factory=list, max_length=6)

    def allows(self, path: str) -> bool:
        return not self.files or any(fnmatch.fnmatchcase(path, g) for g in self.files)


PLAN_NODE_CAP = 64  # no plan, however configured, holds more nodes (done ones included)


class Plan(BaseModel):
    nodes: list[PlanNode] = Field(min_length=1, max_length=PLAN_NODE_CAP)

    @model_validator(mode="after")
    def _drop_verbatim_repeats(self) -> "Plan":
        """A node repeated verbatim (a small model's repetition loop) means nothing twice: keep the first.
        Different nodes sharing an id stay an error (topological_order reports it)."""
        seen: list[PlanNode] = []
        for node in self.nodes:
            if node not in seen:
                seen.append(node)
        self.nodes = seen
        return self


def plan_schema(max_nodes: int) -> dict:
    """The Plan schema with the node count bounded by `max_nodes`: llama.cpp's grammar then closes the
    list at the cap, so a small model that repeats a node cannot run to the token limit."""
    schema = Plan.model_json_schema()
    schema["properties"]["nodes"]["maxItems"] = max(1, min(max_nodes, PLAN_NODE_CAP))
    return schema


class PlanError(ValueError):
    """The plan is not a valid DAG; the message says why so the model can correct it."""


def topological_order(plan: Plan, max_nodes: int | None = None, known: set[str] | None = None) -> list[PlanNode]:
    """Kahn's algorithm, stable in the plan's own order. Raises PlanError on any defect.

    `known` are ids outside this plan that nodes may depend on (done nodes, when replanning).
    """
    known = known or set()
    if max_nodes is not None and len(plan.nodes) > max_nodes:
        raise PlanError(f"plan has {len(plan.nodes)} nodes; at most {max_nodes} allowed")
    by_id: dict[str, PlanNode] = {}
    for node in plan.nodes:
        if node.id in by_id or node.id in known:
            raise PlanError(f"duplicate node id '{node.id}'")
        by_id[node.id] = node
    for node in plan.nodes:
        for dep in node.depends_on:
            if dep == node.id:
                raise PlanError(f"node '{node.id}' depends on itself")
            if dep not in by_id and dep not in known:
                raise PlanError(f"node '{node.id}' depends on unknown id '{dep}'")
    remaining = {n.id: set(n.depends_on) - known for n in plan.nodes}
    order: list[PlanNode] = []
    while remaining:
        ready = [n for n in plan.nodes if n.id in remaining and not remaining[n.id]]
        if not ready:
            raise PlanError(f"dependency cycle among nodes {sorted(remaining)}")
        for node in ready:
            order.append(node)
            del remaining[node.id]
            for deps in remaining.values():
                deps.discard(node.id)
    return order


def merge_replan(done: list[PlanNode], revised: Plan, max_nodes: int | None = None) -> list[PlanNode]:
    """Done nodes stay as they were (first, in order); the revised nodes replace everything else.

    A revised node may depend on done nodes; it may not reuse a done node's id.
    """
    done_ids = {n.id for n in done}
    return list(done) + topological_order(revised, max_nodes, known=done_ids)


def _literal_prefix(glob: str) -> str:
    cut = min((i for i, ch in enumerate(glob) if ch in "*?["), default=len(glob))
    return glob[:cut]


def files_disjoint(a: PlanNode, b: PlanNode) -> bool:
    """True only when no path can match both nodes' `files` (conservative: two globs count as overlapping
    unless their literal prefixes diverge, e.g. `src/a/*` and `src/b/*`). A node without `files` may
    write anywhere, so it overlaps everything."""
    if not a.files or not b.files:
        return False
    for ga in a.files:
        for gb in b.files:
            pa, pb = _literal_prefix(ga), _literal_prefix(gb)
            if pa.startswith(pb) or pb.startswith(pa):
                return False
    return True


def plan_lines(nodes: list[PlanNode], status: Mapping[str, str] | None = None) -> str:
    status = status or {}
    return "\n".join(f"- {n.id}: {n.title}" + (f" [{status[n.id]}]" if n.id in status else "") for n in nodes)
