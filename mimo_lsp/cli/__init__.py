"""`mimo`: the same agent core, headless. Each sub-module parses its commands' flags, calls the
application layer (`mimo_lsp.app`) and prints; nothing here assembles the agent itself."""

from __future__ import annotations

import argparse


def build_parser() -> argparse.ArgumentParser:
    from mimo_lsp.cli import agent, index, models, run, workspace

    ap = argparse.ArgumentParser(prog="mimo", description="mimo coding agent, headless")
    sub = ap.add_subparsers(dest="cmd", required=True)

    def command(name: str, help: str, func, *, task: bool = False) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help)
        if task:
            p.add_argument("task")
        p.add_argument("--workspace", "-w", default=".")
        p.add_argument("--json", action="store_true")
        p.set_defaults(func=func)
        return p

    run.register(sub, command)
    index.register(sub)
    workspace.register(sub, command)
    agent.register(sub)
    models.register(sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)
