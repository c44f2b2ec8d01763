"""Command dispatch: one table `{command: Command(params model, handler, how it runs)}`; every handler
takes the parsed params and returns one pydantic wire model (camelCase JSON). User errors (unknown
task, bad path, bad config, a running task) become JSON-RPC InvalidParams with their message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Literal

from pydantic import BaseModel, ValidationError
from pygls.exceptions import JsonRpcInvalidParams

from mimo_lsp.app.errors import USER_ERRORS
from mimo_lsp.protocol.payloads import Wire


@dataclass(frozen=True)
class Command:
    params: type[BaseModel]
    handler: Callable[..., Any]  # (ctx, params) -> Wire, or an awaitable of one
    # "loop": quick, on the event loop; "thread": blocking work off the loop; "async": a coroutine.
    runs: Literal["loop", "thread", "async"] = "loop"


def parse_params(model: type[BaseModel], args: tuple[Any, ...]) -> Any:
    """Commands take one object argument; anything else is a JSON-RPC invalid-params error."""
    if len(args) > 1:
        raise JsonRpcInvalidParams(f"expected one argument object, got {len(args)} arguments")
    raw = args[0] if args else {}
    if raw == [] or raw is None:  # Lua clients (Neovim) encode an empty table as []
        raw = {}
    if not isinstance(raw, dict):
        raise JsonRpcInvalidParams(f"expected an object argument, got {type(raw).__name__}")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "<root>"
        raise JsonRpcInvalidParams(f"invalid {model.__name__}: {loc}: {first['msg']}") from None


def user_error(exc: BaseException) -> JsonRpcInvalidParams:
    return JsonRpcInvalidParams(str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc))


def _wire(result: Any) -> Any:
    return result.wire() if isinstance(result, Wire) else result


def dispatch_now(command: Command, ctx: Any, args: tuple[Any, ...]) -> Any:
    """A quick command, answered on the event loop before the next message is read."""
    params = parse_params(command.params, args)
    try:
        return _wire(command.handler(ctx, params))
    except USER_ERRORS as exc:
        raise user_error(exc) from None


async def dispatch_off_loop(command: Command, ctx: Any, args: tuple[Any, ...],
                            run_in_thread: Callable[..., Awaitable[Any]]) -> Any:
    params = parse_params(command.params, args)
    try:
        if command.runs == "async":
            return _wire(await command.handler(ctx, params))
        return _wire(await run_in_thread(command.handler, ctx, params))
    except USER_ERRORS as exc:
        raise user_error(exc) from None
