"""The server's application state, created on the first command: workspace services, the index, the
task assembly and the task service, all configured from the client's initializationOptions."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable

from mimo_lsp.app.index import configure_index
from mimo_lsp.app.setup import TaskAssembly
from mimo_lsp.app.tasks import TaskService
from mimo_lsp.app.workspace import WorkspaceServices
from mimo_lsp.config import IndexSettings
from mimo_lsp.index.service import IndexService
from mimo_lsp.safety.trust import TrustReport

log = logging.getLogger(__name__)


class Backend:
    def __init__(self, overrides: dict[str, Any], notify: Callable[[Any], None], confirm: Callable[..., Any] | None,
                 buffer_guard: Callable[[Path], str | None] | None, default_workspace: Callable[[], Path],
                 show_warning: Callable[[str], None] = lambda message: None,
                 buffer_text: Callable[[Path], str | None] | None = None) -> None:
        self.services = WorkspaceServices(overrides)
        self.index = IndexService()
        self._default_workspace = default_workspace
        self.index_settings = self._index_settings()
        configure_index(self.index, self.index_settings)
        self._shown: set[tuple[str, str]] = set()
        self._show_warning = show_warning
        self.assembly = TaskAssembly(overrides, index=self.index, buffer_guard=buffer_guard, buffer_text=buffer_text,
                                     confirm=confirm,
                                     on_untrusted=self._untrusted)
        self.tasks = TaskService(self.assembly, notify, self.services)

    def _index_settings(self) -> IndexSettings:
        """Index options are per server (one embedder): the first workspace's settings, else the defaults."""
        try:
            return self.services.settings(self._default_workspace()).index
        except Exception as exc:  # no folder open, or its config is broken: say so, use defaults
            log.info("index settings: using the defaults (%s)", exc)
            return IndexSettings()

    def _untrusted(self, report: TrustReport) -> None:
        """Shown once per workspace and config version; each task's audit trail names the keys too."""
        key = (report.workspace, report.digest)
        if key not in self._shown:
            self._shown.add(key)
            log.warning("%s", report.message())
            self._show_warning(report.message())

    def close(self) -> None:
        self.tasks.cancel_all()
        self.index.close()  # stop index threads, save the vector graph
