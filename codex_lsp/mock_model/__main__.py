"""CLI: run the mock model server as a separate process.

``python -m codex_lsp.mock_model --host 127.0.0.1 --port 0 [--script FILE.json]
[--port-file PATH]`` prints exactly one line ``{"url": "...", "port": N}`` to stdout once
listening, queues the scripted responses, and serves until SIGTERM/SIGINT (exit code 0).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path

from codex_lsp.mock_model.script import MockResponse, load_script
from codex_lsp.mock_model.server import MockModelServer

__all__ = ["main", "parse_args", "serve"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse command-line arguments."""
    parser = argparse.ArgumentParser(
        prog="python -m codex_lsp.mock_model", description="Scriptable mock OpenAI model API."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--script", type=Path, help="JSON list of MockResponse objects to queue")
    parser.add_argument("--default", type=Path, help="JSON MockResponse used when queue is empty")
    parser.add_argument("--port-file", type=Path, help="write the bound port to this file")
    parser.add_argument("--model", action="append", dest="models", help="advertised model ids")
    parser.add_argument("--require-api-key", help="reject requests without this bearer key")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> int:
    """Run the server until SIGTERM/SIGINT; returns the exit code."""
    default = (
        MockResponse.model_validate_json(args.default.read_text(encoding="utf-8"))
        if args.default
        else None
    )
    server = MockModelServer(
        host=args.host,
        port=args.port,
        default=default,
        models=args.models,
        require_api_key=args.require_api_key,
    )
    if args.script:
        server.enqueue(*load_script(args.script))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await server.start()
    try:
        if args.port_file:
            args.port_file.write_text(f"{server.port}\n", encoding="utf-8")
        sys.stdout.write(json.dumps({"url": server.url, "port": server.port}) + "\n")
        sys.stdout.flush()
        await stop.wait()
    finally:
        await server.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    return asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
