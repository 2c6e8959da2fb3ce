"""The `codex-lsp` argument parser and the dispatch of its commands: serve an editor
(default), `exec`, `demo`, `schema`, `login`, `logout`. Each command imports what it needs
when it runs."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `codex-lsp`."""
    parser = argparse.ArgumentParser(
        prog="codex-lsp",
        description="A Codex-style coding agent served to editors as a language server.",
    )
    parser.add_argument("--stdio", action="store_true", help="serve over stdin/stdout (default)")
    parser.add_argument("--tcp", action="store_true", help="serve over TCP")
    parser.add_argument("--host", default="127.0.0.1", help="TCP host (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=2087, help="TCP port (default 2087)")
    parser.add_argument("--log-file", help="also write logs to this file")
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING, ERROR")
    sub = parser.add_subparsers(dest="command")

    ex = sub.add_parser("exec", help="run one turn in the current directory")
    ex.add_argument("prompt", help="what to ask the agent")
    ex.add_argument("--json", action="store_true", help="print notifications as JSON lines")
    ex.add_argument("-m", "--model", help="model to use")
    ex.add_argument("--provider", help="model provider id from config.toml")
    ex.add_argument("-C", "--cd", dest="cwd", help="working directory")

    demo = sub.add_parser("demo", help="a scripted turn against a bundled, simulated model")
    demo.add_argument("--json", action="store_true", help="print notifications as JSON lines")

    schema = sub.add_parser("schema", help="write the protocol's JSON Schema")
    schema.add_argument("--out", default="schemas", help="output directory (default schemas/)")

    login = sub.add_parser("login", help="store an OpenAI API key read from stdin")
    login.add_argument(
        "--with-api-key",
        action="store_true",
        help="read the key from stdin (the default; accepted for Codex compatibility)",
    )
    login_sub = login.add_subparsers(dest="login_command")
    login_sub.add_parser("status", help="show whether a key is available and from where")
    sub.add_parser("logout", help="remove the stored API key from every credential store")
    return parser


def _serve(args: argparse.Namespace) -> int:
    from lsprotocol import types as lsp

    from ..core.config.loader import codex_home
    from ..logs import ClientLogHandler, setup_logging
    from ..server.app import create_server

    setup_logging(args.log_level, args.log_file)
    server = create_server(codex_home())
    kinds = {
        logging.ERROR: lsp.MessageType.Error,
        logging.WARNING: lsp.MessageType.Warning,
        logging.INFO: lsp.MessageType.Info,
    }

    def send(level: int, message: str) -> None:
        kind = kinds.get(level, lsp.MessageType.Error if level > 40 else lsp.MessageType.Log)
        server.window_log_message(lsp.LogMessageParams(type=kind, message=message))

    logging.getLogger("codex_lsp").addHandler(ClientLogHandler(send))
    # Start-up objects live as long as the process: keep full collections from scanning them.
    gc.freeze()
    from ..server.serve import serve_stdio, serve_tcp

    if args.tcp:
        return asyncio.run(serve_tcp(server, args.host, args.port))
    return asyncio.run(serve_stdio(server))


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = build_parser().parse_args(argv)
    if args.command == "schema":
        from ..protocol.schema import write_schemas

        written = write_schemas(Path(args.out))
        print(f"wrote {len(written)} schema files to {args.out}")
        return 0
    if args.command == "exec":
        from ..core.config.loader import codex_home
        from ..logs import setup_logging
        from .exec_run import run_exec

        setup_logging("WARNING")
        return asyncio.run(
            run_exec(
                args.prompt,
                home=codex_home(),
                json_mode=args.json,
                model=args.model,
                provider=args.provider,
                cwd=args.cwd,
            )
        )
    if args.command in ("login", "logout"):
        from ..core.config.loader import codex_home
        from ..logs import setup_logging
        from . import auth

        setup_logging("WARNING")
        if args.command == "logout":
            return auth.run_logout(codex_home())
        if args.login_command == "status":
            return auth.run_login_status(codex_home())
        return auth.run_login(codex_home())
    if args.command == "demo":
        from ..logs import setup_logging
        from .demo import run_demo

        setup_logging("WARNING")
        return asyncio.run(run_demo(json_mode=args.json))
    return _serve(args)


if __name__ == "__main__":
    sys.exit(main())
