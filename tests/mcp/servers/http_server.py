"""A streamable HTTP MCP server for the tests, on 127.0.0.1 (a free port).

`python http_server.py` serves the demo tools at `/mcp`. With `$MCP_BEARER_TOKEN` set,
every request without `Authorization: Bearer <that token>` is answered 401. Once
listening it prints `PORT <n>` on stdout.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path
from typing import Any

import uvicorn
from mcp.server.mcpserver import MCPServer

# Run as a script: the checkout's root makes `tests` importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from tests.mcp.servers.demo_tools import add_demo_tools

Scope = dict[str, Any]


class RequireBearer:
    """ASGI middleware: 401 without the expected bearer token."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            if headers.get(b"authorization") != self.expected:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [(b"content-type", b"text/plain")],
                    }
                )
                await send({"type": "http.response.body", "body": b"unauthorized"})
                return
        await self.app(scope, receive, send)


def listening_socket() -> socket.socket:
    """A socket bound to a free port of 127.0.0.1."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


async def serve(app: Any, sock: socket.socket) -> None:
    """Serve `app` on `sock`, saying `PORT <n>` once listening."""
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    await server.serve(sockets=[sock])


def main() -> None:
    sock = listening_socket()
    server = MCPServer("demo-http")
    add_demo_tools(server)
    app: Any = server.streamable_http_app()
    token = os.environ.get("MCP_BEARER_TOKEN")
    if token:
        app = RequireBearer(app, token)
    asyncio.run(serve(app, sock))


if __name__ == "__main__":
    main()
