"""mimo.task.events after a server restart: the task's notifications come back from the event log."""

from __future__ import annotations

from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcException

from mimo_lsp.app.event_log import EventLog, read_events
from tests.conftest import fix_add_script, write_script
from tests.lsp_client import start_client, stop_client


def test_log_round_trip_skips_a_torn_line_and_refuses_odd_ids(tmp_path: Path):
    (tmp_path / ".mimo").mkdir()
    (tmp_path / ".mimo" / "journal.sqlite").write_bytes(b"")
    log = EventLog(tmp_path, "t-1")
    for seq in (1, 2, 3):
        log.append({"taskId": "t-1", "seq": seq, "kind": "node"})
    log.close()
    with (tmp_path / ".mimo" / "events" / "t-1.jsonl").open("a") as fh:
        fh.write('{"taskId": "t-1", "seq": 4, "ki')  # the process died mid-write
    assert [e["seq"] for e in read_events(tmp_path, "t-1", 1)] == [2, 3]
    EventLog(tmp_path, "t-1").close()  # a resumed task starts its log again
    assert read_events(tmp_path, "t-1", 0) == []
    for bad in ("../journal", ".hidden", "a/b", ""):
        with pytest.raises(KeyError):
            read_events(tmp_path, bad, 0)
    with pytest.raises(KeyError):
        read_events(tmp_path, "never-ran", 0)


async def test_events_replay_from_a_new_server(calc_workspace: Path, tmp_path: Path):
    first = await start_client(calc_workspace)
    try:
        started = await first.command("mimo.task.start", {"goal": "fix add",
                                                          "model": write_script(tmp_path / "s.json", fix_add_script())})
        task = started["taskId"]
        await first.wait_done(task)
        live = first.events[task]
    finally:
        await stop_client(first)

    second = await start_client(calc_workspace)  # a new process: nothing of the task in memory
    try:
        replay = (await second.command("mimo.task.events", {"taskId": task}))["events"]
        assert [(e["seq"], e["kind"]) for e in replay] == [(e["seq"], e["_method"]) for e in live]
        replayed_plan = next(e for e in replay if e["kind"] == "plan")
        assert replayed_plan["nodes"] == next(e for e in live if e["_method"] == "plan")["nodes"]
        assert replay[-1]["outcome"] == live[-1]["outcome"]
        later = (await second.command("mimo.task.events", {"taskId": task, "afterSeq": len(live) - 1}))["events"]
        assert [e["kind"] for e in later] == ["done"]
        for bad in ("no-such-task", "../../etc/passwd"):
            with pytest.raises(JsonRpcException, match="unknown task id"):
                await second.command("mimo.task.events", {"taskId": bad})
    finally:
        await stop_client(second)
