"""`mimo-lsp`: start the language server on stdio (default) or TCP for debugging."""

from __future__ import annotations

import logging
import sys
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse


def is_loopback(host: str) -> bool:
    import ipaddress
    import socket

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name: every address it resolves to must be loopback
        try:
            infos = socket.getaddrinfo(host, None)
        except OSError:
            return False
        return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


DEFAULTS = SimpleNamespace(stdio=True, tcp=None, allow_remote=False, log_file=None, log_level="WARNING",
                              max_message_bytes=None, max_json_depth=None)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # What an editor starts (no arguments, or --stdio) skips the parser: building argparse's help formatter
    # imports shutil and the compression modules, time the editor waits for `initialize`.
    args = DEFAULTS if argv in ([], ["--stdio"]) else parser().parse_args(argv)
    return serve(args)


def parser() -> argparse.ArgumentParser:
    import argparse

    ap = argparse.ArgumentParser(prog="mimo-lsp", description="mimo-lsp language server")
    ap.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (default)")
    ap.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP socket instead (debugging; loopback only)")
    ap.add_argument("--allow-remote", action="store_true",
                    help="let --tcp bind a non-loopback address: anyone who reaches it can run the agent")
    ap.add_argument("--log-file", help="write logs here (stderr otherwise)")
    ap.add_argument("--log-level", default="WARNING")
    ap.add_argument("--max-message-bytes", metavar="SIZE",
                    help="largest JSON-RPC message accepted, e.g. 16MiB (env MIMO_LSP_MAX_MESSAGE_BYTES; default 16MiB)")
    ap.add_argument("--max-json-depth", metavar="N",
                    help="deepest JSON nesting accepted (env MIMO_LSP_MAX_JSON_DEPTH; default 64)")
    return ap


def serve(args: Any) -> int:
    from mimo_lsp.server import startup_gc

    startup_gc.pause()  # until the first message is answered (server/startup_gc.py)
    from mimo_lsp.server.app import create_server
    from mimo_lsp.server.limits import Limits
    from mimo_lsp.server.transport import serve_stdio, serve_tcp

    try:
        limits = Limits.resolve(args.max_message_bytes, args.max_json_depth)
    except ValueError as exc:  # e.g. a bad MIMO_LSP_MAX_MESSAGE_BYTES
        parser().error(str(exc))
    logging.basicConfig(filename=args.log_file, level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = create_server()
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        if not port.isdigit():
            parser().error("--tcp expects HOST:PORT")
        host = host.strip("[]") or "127.0.0.1"
        if not is_loopback(host) and not args.allow_remote:
            parser().error(f"--tcp {args.tcp}: {host} is not a loopback address; the server runs commands for whoever "
                     "connects. Use 127.0.0.1, or add --allow-remote if you really mean it")
        return serve_tcp(server, host, int(port), limits)
    return serve_stdio(server, limits, sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    raise SystemExit(main())
