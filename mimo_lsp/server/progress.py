"""$/progress (workDoneProgress) for tasks and for background indexing, so every LSP client shows
something for free. Called on the event loop; index reports arrive from indexer threads."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from lsprotocol import types

log = logging.getLogger(__name__)


class TaskProgress:
    """One progress token per running task: begin at start, a report per plan / node event, end at done."""

    def __init__(self, ls: Any) -> None:
        self.ls = ls
        self._tokens: dict[str, str] = {}
        self._runs = 0

    def begin(self, task_id: str, goal: str) -> None:
        caps = self.ls.client_capabilities.window
        if not (caps and caps.work_done_progress):
            return
        self._runs += 1
        token = f"mimo-task-{task_id}#{self._runs}"  # a resumed task is a new run: a new token
        self._tokens[task_id] = token
        wdp = self.ls.work_done_progress

        def created(*_: Any) -> None:
            wdp.begin(token, types.WorkDoneProgressBegin(title="mimo", message=goal[:100]))

        wdp.create(token, created)

    def event(self, event: Any) -> None:
        token = self._tokens.get(event.task_id)
        if token is None:
            return
        wdp = self.ls.work_done_progress
        if event.kind == "plan":
            wdp.report(token, types.WorkDoneProgressReport(message=f"plan: {len(event.nodes)} sub-tasks"))
        elif event.kind == "node":
            wdp.report(token, types.WorkDoneProgressReport(message=f"{event.node_id}: {event.status}"))
        elif event.kind == "done":
            wdp.end(token, types.WorkDoneProgressEnd(message=f"{event.outcome}: {event.reason[:200]}"))
            self._tokens.pop(event.task_id, None)


class IndexProgress:
    """$/progress for one workspace's background indexing: begin on the first report, end at idle."""

    def __init__(self, ls: Any, root: Path) -> None:
        self.ls, self.root = ls, root
        self.token: str | None = None
        self.begun = False
        self._n = 0

    def __call__(self, stage: str, done: int, total: int) -> None:  # from indexer threads
        loop = self.ls.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._on_loop, stage, done, total)

    def _on_loop(self, stage: str, done: int, total: int) -> None:
        caps = self.ls.client_capabilities.window if self.ls.client_capabilities else None
        if not (caps and caps.work_done_progress):
            return
        wdp = self.ls.work_done_progress
        try:
            if stage == "idle":
                if self.token is not None and self.begun:
                    wdp.end(self.token, types.WorkDoneProgressEnd(message="index up to date"))
                    self.token, self.begun = None, False
                return
            if self.token is None:
                self._n += 1
                token = self.token = f"mimo-index-{abs(hash(self.root)) % 10**8}-{self._n}"

                def created(*_: Any) -> None:
                    if self.token == token:
                        wdp.begin(token, types.WorkDoneProgressBegin(title="mimo index", message=self.root.name,
                                                                     percentage=0))
                        self.begun = True

                wdp.create(token, created)
                return
            if self.begun and total:
                wdp.report(self.token, types.WorkDoneProgressReport(
                    message=f"{stage} {done}/{total}", percentage=min(100, int(100 * done / total))))
        except Exception:  # a client gone away must not take the server down
            log.exception("index progress")
