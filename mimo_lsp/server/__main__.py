"""`mimo-lsp`: start the language server on stdio (default) or TCP for debugging."""

from __future__ import annotations

import argparse
import logging
import sys


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="mimo-lsp", description="mimo-lsp language server")
    ap.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (default)")
    ap.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP socket instead (debugging)")
    ap.add_argument("--log-file", help="write logs here (stderr otherwise)")
    ap.add_argument("--log-level", default="WARNING")
    args = ap.parse_args(argv)
    logging.basicConfig(filename=args.log_file, level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from mimo_lsp.server.app import create_server

    server = create_server()
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        if not port.isdigit():
            ap.error("--tcp expects HOST:PORT")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io(sys.stdin.buffer, sys.stdout.buffer)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
