"""Helpers for the MCP tests: the demo MCP servers (real processes), config tables, and a
test client whose server also logs to a file (to look for secrets in it)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.lsp_client import TIMEOUT, CodexClient

SERVERS = Path(__file__).resolve().parent / "servers"
STDIO_SERVER = SERVERS / "stdio_server.py"
HTTP_SERVER = SERVERS / "http_server.py"
OAUTH_SERVER = SERVERS / "oauth_server.py"


def toml_string(value: str) -> str:
    """`value` as a TOML basic string."""
    return json.dumps(value)


def stdio_table(name: str, calls_log: Path, **keys: Any) -> str:
    """`[mcp_servers.<name>]` for the demo stdio server (more keys as TOML values)."""
    lines = [
        f"[mcp_servers.{name}]",
        f"command = {toml_string(sys.executable)}",
        f"args = [{toml_string(str(STDIO_SERVER))}, {toml_string(name)}]",
        f"env = {{ MCP_CALLS_LOG = {toml_string(str(calls_log))} }}",
    ]
    lines += [f"{key} = {_toml(value)}" for key, value in keys.items()]
    return "\n".join(lines) + "\n"


def http_table(name: str, url: str, **keys: Any) -> str:
    """`[mcp_servers.<name>]` for a streamable HTTP server."""
    lines = [f"[mcp_servers.{name}]", f"url = {toml_string(url)}"]
    lines += [f"{key} = {_toml(value)}" for key, value in keys.items()]
    return "\n".join(lines) + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


def calls(path: Path) -> list[dict[str, Any]]:
    """The calls a demo server received (its `MCP_CALLS_LOG`)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class LoggingClient(CodexClient):
    """The real server, with `--log-file` so tests can read everything it logged."""

    def __init__(self, home: Path, workspace: Path, log_file: Path, **kwargs: Any) -> None:
        super().__init__(home, workspace, **kwargs)
        self.log_file = log_file

    async def start(self) -> Any:
        """Spawn the server with its log file, then initialize as `CodexClient` does."""
        start_io = self.lc.start_io

        async def with_log(cmd: str, *args: str, **kwargs: Any) -> Any:
            extra = ("--log-file", str(self.log_file), "--log-level", "INFO")
            return await start_io(cmd, *args, *extra, **kwargs)

        self.lc.start_io = with_log  # type: ignore[method-assign]
        return await super().start()

    async def startup(self, name: str, status: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The `startupStatus/updated` of server `name` with `status`."""
        return await self.wait_for(
            "codex/mcpServer/startupStatus/updated",
            lambda p: p["name"] == name and p["status"] == status,
            timeout,
        )

    async def statuses(self) -> dict[str, dict[str, Any]]:
        """`codex/mcpServerStatus/list`, by server name."""
        result = await self.request("codex/mcpServerStatus/list", {})
        return {s["name"]: s for s in result["data"]}


@dataclass
class HttpServer:
    """A demo MCP server process serving streamable HTTP on 127.0.0.1."""

    process: asyncio.subprocess.Process
    port: int

    @property
    def url(self) -> str:
        """The MCP endpoint."""
        return f"http://127.0.0.1:{self.port}/mcp"

    @property
    def base(self) -> str:
        """The server's origin."""
        return f"http://127.0.0.1:{self.port}"


@contextlib.asynccontextmanager
async def http_server(script: Path, env: dict[str, str]) -> AsyncIterator[HttpServer]:
    """Run `script` (it prints `PORT <n>` once listening); stopped by PID afterwards."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=None,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), TIMEOUT)
        assert line.startswith(b"PORT "), line
        yield HttpServer(process, int(line.split()[1]))
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), TIMEOUT)
            except TimeoutError:
                os.kill(process.pid, signal.SIGKILL)
                await asyncio.wait_for(process.wait(), TIMEOUT)


def everything_said(client: CodexClient, home: Path, log_file: Path) -> str:
    """All a client heard (notifications, as JSON), the server's log file and every file
    under `home` but the credential store: where no secret may appear."""
    parts = [json.dumps(client.notifications)]
    if log_file.exists():
        parts.append(log_file.read_text(errors="replace"))
    for path in home.rglob("*"):
        if path.is_file() and path.name not in ("mcp-credentials.json", "config.toml"):
            parts.append(path.read_text(errors="replace"))
    return "\n".join(parts)
