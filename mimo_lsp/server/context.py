"""What command handlers may ask of the running server: a narrow interface, so that the handlers
(`commands`, `index_features`) never import the pygls server class (`app`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Protocol

if TYPE_CHECKING:
    from mimo_lsp.server.backend import Backend


class ServerContext(Protocol):
    init_options: dict[str, Any]

    @property
    def backend(self) -> "Backend": ...

    def default_workspace(self) -> Path:
        """The first workspace folder (raises a user error when there is none)."""
        ...

    def open_text(self, path: Path) -> str | None:
        """The text of the file's open editor buffer, or None when it is not open."""
        ...

    def begin_progress(self, task_id: str, goal: str) -> None: ...

    async def apply_buffer_edit(self, path: Path, text: str) -> str | None:
        """Replace an open buffer's text through workspace/applyEdit; returns why it failed, or None."""
        ...

    def index_progress(self, root: Path) -> Callable[[str, int, int], None]: ...

    def refresh_review(self) -> None:
        """Clients re-ask for review lenses and hints (after a decision)."""
        ...

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run on the server's event loop (from any thread)."""
        ...


def workspace_of(ctx: ServerContext, given: str | None) -> Path:
    """The request's workspace (default: the first folder); a path that is not a folder is a user error."""
    workspace = Path(given) if given else ctx.default_workspace()
    if not workspace.is_dir():
        raise FileNotFoundError(f"workspace is not a directory: {workspace}")
    return workspace
