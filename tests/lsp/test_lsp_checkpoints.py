"""Checkpoint commands and resume through the real server, including a kill -9 of the server itself."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcException

from tests.conftest import write_script
from tests.lsp_client import start_client, stop_client
from tests.unit.test_restore_resume import SLOW, tree


def _done_count(ws: Path) -> int:
    db = ws / ".mimo" / "journal.sqlite"
    if not db.exists():
        return 0
    with contextlib.closing(sqlite3.connect(str(db), timeout=5)) as con:
        try:
            return con.execute("SELECT count(*) FROM actions WHERE state='done'").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


async def test_server_killed_mid_task_then_resumed_restored_and_inspected(calc_workspace: Path, tmp_path: Path):
    (calc_workspace / ".mimo").mkdir()
    (calc_workspace / ".mimo" / "config.toml").write_text("[agent]\nmax_steps_per_node = 20\n")
    model = write_script(tmp_path / "slow.json", SLOW)
    original = tree(calc_workspace)

    first = await start_client(calc_workspace)
    started = await first.command("mimo.task.start", {"goal": "work", "model": model})
    task_id = started["taskId"]
    for _ in range(600):
        if _done_count(calc_workspace) >= 4:
            break
        await asyncio.sleep(0.02)
    first.client._server.kill()  # kill -9 of the language server, mid-task
    await first.client._server.wait()
    with contextlib.suppress(Exception):
        await first.client.stop()

    lsp = await start_client(calc_workspace)
    try:
        status = await lsp.command("mimo.task.status", {"taskId": task_id})
        assert status["tasks"][0]["status"] == "interrupted"
        resumed = await lsp.command("mimo.task.resume", {"taskId": task_id})
        assert resumed["taskId"] == task_id
        done = await lsp.wait_done(task_id)
        assert done["outcome"] == "unverified", done["reason"]
        assert (calc_workspace / "log.txt").read_text() == "".join(f"{i}\n" for i in range(10))
        replayed = [e for e in lsp.events[task_id] if e["_method"] == "step" and e["replayed"]]
        assert len(replayed) >= 4

        listed = (await lsp.command("mimo.checkpoint.list", {"taskId": task_id}))["checkpoints"]
        agent = [c for c in listed if c["tool"] == "run_command" and c["state"] == "done"]
        assert [c["step"] for c in agent] == list(range(1, 11))
        diff = (await lsp.command("mimo.checkpoint.diff", {"taskId": task_id, "fromCheckpoint": 0}))["diff"]
        assert "+++ b/log.txt" in diff and "+9" in diff
        one = (await lsp.command("mimo.checkpoint.diff", {"taskId": task_id, "fromCheckpoint": agent[0]["id"],
                                                          "toCheckpoint": agent[1]["id"]}))["diff"]
        assert "+1\n" in one and "+2\n" not in one

        (calc_workspace / "f0.txt").write_text("user edit\n")
        report = await lsp.command("mimo.checkpoint.restore", {"taskId": task_id, "checkpointId": 0, "mode": "files"})
        assert [c["path"] for c in report["conflicts"]] == ["f0.txt"]
        assert (calc_workspace / "f0.txt").read_text() == "user edit\n"
        now = tree(calc_workspace)
        now.pop("f0.txt")
        assert now == {k: v for k, v in original.items() if not k.startswith(".mimo")}

        stats = await lsp.command("mimo.checkpoint.stats", {})
        assert stats["tasks"] == 1 and stats["checkpoints"] >= 11 and stats["totalBytes"] > 0
        gc = await lsp.command("mimo.checkpoint.gc", {})
        assert gc["deletedTasks"] == []  # under the cap: nothing to delete
        with pytest.raises(JsonRpcException, match="has no checkpoint 99999"):
            await lsp.command("mimo.checkpoint.restore", {"taskId": task_id, "checkpointId": 99999})
    finally:
        await stop_client(lsp)
