"""The hardened read loop and the stdio / TCP servers that use it in place of pygls' own.

See server/limits.py for the whole hardening story.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from typing import TYPE_CHECKING, Any, Awaitable, BinaryIO, Callable

from pygls.io_ import StdoutWriter

from . import startup_gc
from .framing import Complaints, Framer, Unrecoverable
from .gate import Gate

if TYPE_CHECKING:
    from .limits import Limits

log = logging.getLogger("mimo_lsp.server.limits")  # one logger for the whole transport hardening

CHUNK = 64 * 1024


class _QuietDeserializeErrors(logging.Filter):
    """pygls logs a full traceback per message it cannot structure; the Gate logs one line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Unable to deserialize message")


_quiet = _QuietDeserializeErrors()


async def run_hardened(protocol: Any, read_chunk: Callable[[], Awaitable[bytes]], limits: Limits) -> int:
    """Read, check and dispatch messages until the stream ends (0) or cannot be resynchronised (1).

    The `exit` notification raises SystemExit from pygls' handler; it is not caught here.
    """
    logging.getLogger("pygls.protocol.json_rpc").addFilter(_quiet)
    complain = Complaints()
    framer = Framer(read_chunk, limits, complain)
    gate = Gate(protocol, limits, complain)
    while True:
        try:
            frame = await framer.next_frame()
        except Unrecoverable as exc:
            log.error("closing the connection: cannot resynchronise the JSON-RPC stream: %s", exc)
            return 1
        if frame is None:
            log.info("client closed the stream")
            return 0
        try:
            gate.frame(frame, framer)
        except ConnectionError as exc:  # the client's end is gone (broken pipe, reset socket)
            log.error("cannot answer the client: %s", exc)
            return 0
        except Exception:  # a bug here must cost one message, not the server
            log.exception("dropped a %d-byte message after an internal error", frame.declared)
        startup_gc.resume()


def _thread_reader(stream: BinaryIO) -> Callable[[], Awaitable[bytes]]:
    """Chunks from a blocking stream, read by a daemon thread (it never holds up interpreter exit)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=8)
    try:  # the raw fd: a daemon thread blocked inside a BufferedReader aborts interpreter shutdown
        fd = stream.fileno()
        read: Callable[[int], bytes] = lambda n: os.read(fd, n)
    except (AttributeError, OSError, ValueError):
        read = getattr(stream, "read1", None) or stream.read

    def pump() -> None:
        while True:
            try:
                data = read(CHUNK)
            except (OSError, ValueError):
                data = b""
            try:
                asyncio.run_coroutine_threadsafe(queue.put(data), loop).result()
            except Exception:  # the loop is gone
                return
            if not data:
                return

    threading.Thread(target=pump, name="mimo-lsp-stdin", daemon=True).start()
    return queue.get


def serve_stdio(server: Any, limits: Limits, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> int:
    """`server.start_io` with the hardened read loop. Returns the process exit code."""
    server.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))

    async def main() -> int:
        return await run_hardened(server.protocol, _thread_reader(stdin or sys.stdin.buffer), limits)

    code = 0
    try:
        code = asyncio.run(main())
    except BrokenPipeError:
        log.error("connection to the client is lost; shutting down")
    except KeyboardInterrupt:
        pass
    except SystemExit as exc:  # `exit`: 0 after `shutdown`, 1 otherwise (pygls decides)
        code = exc.code if isinstance(exc.code, int) else 0
    finally:
        server.shutdown()
    return code


def serve_tcp(server: Any, host: str, port: int, limits: Limits) -> int:
    """`server.start_tcp` with the hardened read loop (one client, like pygls)."""

    async def main() -> int:
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            server.protocol.set_writer(writer)
            try:
                code = await run_hardened(server.protocol, lambda: reader.read(CHUNK), limits)
            except (ConnectionError, SystemExit) as exc:
                code = exc.code if isinstance(exc, SystemExit) and isinstance(exc.code, int) else 0
            writer.close()
            if not done.done():
                done.set_result(code)

        tcp = await asyncio.start_server(connection, host, port)
        log.info("serving on %s", ", ".join(str(s.getsockname()) for s in tcp.sockets))
        async with tcp:
            return await done

    try:
        return asyncio.run(main())
    except KeyboardInterrupt:
        return 0
    finally:
        server.shutdown()
