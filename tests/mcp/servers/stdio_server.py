"""A stdio MCP server for the tests (`python stdio_server.py [NAME]`)."""

from __future__ import annotations

import sys
from pathlib import Path

from mcp.server.mcpserver import MCPServer

# Run as a script: the checkout's root makes `tests` importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from tests.mcp.servers.demo_tools import add_demo_tools

server = MCPServer(sys.argv[1] if len(sys.argv) > 1 else "demo-stdio")
add_demo_tools(server)

if __name__ == "__main__":
    print("demo stdio server starting", file=sys.stderr, flush=True)
    server.run()
