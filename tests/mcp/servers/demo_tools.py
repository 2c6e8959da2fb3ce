"""The tools every test MCP server offers (the servers run as their own processes).

Each call is appended to the file named by `$MCP_CALLS_LOG` (one JSON line: tool and
arguments) before the tool answers, so a test can tell which calls reached the server.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from typing import Any

from mcp.server.mcpserver import Context, Image, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import BaseModel

# A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def _record(tool: str, arguments: dict[str, Any]) -> None:
    path = os.environ.get("MCP_CALLS_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"tool": tool, "arguments": arguments}) + "\n")


class Forecast(BaseModel):
    """Structured output."""

    city: str
    celsius: float


def add_demo_tools(server: MCPServer) -> None:
    """echo (read-only), forecast (structured), picture (image), steps (progress),
    broken (an error result), nap (sleeps), environment (one variable), whoami (pid)."""

    @server.tool(annotations=ToolAnnotations(read_only_hint=True), structured_output=False)
    def echo(text: str) -> str:
        """Repeat the text."""
        _record("echo", {"text": text})
        return f"echo: {text}"

    @server.tool()
    def forecast(city: str) -> Forecast:
        """Tomorrow's weather in a city."""
        _record("forecast", {"city": city})
        return Forecast(city=city, celsius=21.5)

    @server.tool()
    def picture() -> Image:
        """A tiny picture."""
        _record("picture", {})
        return Image(data=PNG, format="png")

    @server.tool(structured_output=False)
    async def steps(count: int, ctx: Context) -> str:
        """Work in steps, reporting progress."""
        _record("steps", {"count": count})
        for i in range(count):
            await ctx.report_progress(i + 1, count, f"step {i + 1} of {count}")
        return f"did {count} steps"

    @server.tool()
    def broken(reason: str) -> str:
        """Always fails."""
        _record("broken", {"reason": reason})
        raise ToolError(f"broken on purpose: {reason}")

    @server.tool(annotations=ToolAnnotations(read_only_hint=True), structured_output=False)
    async def nap(seconds: float) -> str:
        """Sleep."""
        _record("nap", {"seconds": seconds})
        await asyncio.sleep(seconds)
        return "rested"

    @server.tool(annotations=ToolAnnotations(read_only_hint=True), structured_output=False)
    def environment(name: str) -> str:
        """One environment variable of the server process ('<unset>' when not set)."""
        _record("environment", {"name": name})
        return os.environ.get(name, "<unset>")

    @server.tool(annotations=ToolAnnotations(read_only_hint=True), structured_output=False)
    def whoami() -> str:
        """The server's process id."""
        _record("whoami", {})
        return str(os.getpid())

    @server.resource("demo://readme", name="readme", mime_type="text/plain")
    def readme() -> str:
        return "a demo server"
