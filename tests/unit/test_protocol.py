"""The protocol is modelled once: the command table follows the catalog, notifications follow their
models, and the checked-in JSON Schema (what the editor clients are tested against) is current."""

from __future__ import annotations

import json
import typing

import pytest

from mimo_lsp.agent.events import CheckpointEvent, DoneEvent, NodeEvent, PlanEvent, StepEvent, TokenEvent
from mimo_lsp.protocol import payloads
from mimo_lsp.protocol.catalog import COMMAND_TYPES
from mimo_lsp.protocol.notifications import to_wire
from mimo_lsp.protocol.schema import SCHEMA_PATH, render
from mimo_lsp.server.commands import COMMANDS


def test_checked_in_schema_is_current():
    """Regenerate with `python -m mimo_lsp.protocol.schema --write` after changing a payload."""
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render()


def test_every_handler_returns_the_catalogued_result():
    for name, cmd in COMMANDS.items():
        params, result = COMMAND_TYPES[name]
        assert cmd.params is params, name
        hints = typing.get_type_hints(cmd.handler, globalns={**cmd.handler.__globals__, "W": payloads})
        assert hints["return"] is result, name


def test_notifications_are_camel_case_and_complete():
    plan = {"id": "a", "title": "t", "depends_on": [], "expected_output": "x", "files": [], "max_steps": None,
            "checks": [{"path": "a.py", "not_contains": "x"}], "status": "pending"}
    events = [PlanEvent(task_id="t", seq=1, nodes=[plan]), NodeEvent(task_id="t", seq=2, node_id="a", status="running"),
              StepEvent(task_id="t", seq=3, node_id="a", step=1, tool="edit_file", args={"old_text": "x"}),
              CheckpointEvent(task_id="t", seq=4, checkpoint_id=1, node_id="a", step=1),
              TokenEvent(task_id="t", seq=5, text="x"),
              DoneEvent(task_id="t", seq=6, outcome="verified", stats={"node_rejections": 1, "model_calls": 2},
                        check={"passed": True, "command": "c", "exit_code": 0, "output": "",
                               "results": [{"check": "c", "passed": True, "evidence": "", "exit_code": 0}]})]
    wire = [to_wire(e) for e in events]
    assert wire[0]["nodes"][0]["dependsOn"] == [] and wire[0]["nodes"][0]["checks"][0]["notContains"] == "x"
    assert wire[2]["args"] == {"old_text": "x"}, "tool arguments pass through as the model wrote them"
    assert wire[3]["checkpointId"] == 1
    assert wire[5]["stats"]["nodeRejections"] == 1 and wire[5]["check"]["exitCode"] == 0
    schema = json.loads(SCHEMA_PATH.read_text())
    for event, payload in zip(events, wire):
        props = schema["definitions"][schema["notifications"]["mimo/task/" + event.kind]]["properties"]
        assert set(payload) <= set(props), event.kind


def test_a_core_field_the_wire_does_not_know_fails_loudly():
    class Drifted(NodeEvent):
        renamed_detail: str = "x"

    with pytest.raises(ValueError):
        to_wire(Drifted(task_id="t", seq=1, node_id="a", status="done"))
