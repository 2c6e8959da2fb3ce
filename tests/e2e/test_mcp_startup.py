"""Start-up does not pay for MCP when no server is configured: neither `--help` nor a
served session (initialize, initialized, the MCP methods, shutdown) imports the `mcp` SDK;
with a server configured it is loaded (so the check can fail), in the background."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from codex_lsp.mock_model import MockModelServer
from tests.e2e.raw_server import RawServer
from tests.e2e.test_mcp_stdio import write_config
from tests.mcp.helpers import stdio_table

SDK = ("mcp", "mcp_types", "httpx2", "anyio")


def imported(stderr: str) -> set[str]:
    """Top-level packages `-X importtime` (PYTHONPROFILEIMPORTTIME) reported."""
    return {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
        for line in stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_help_does_not_import_the_sdk() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "codex_lsp", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded = imported(done.stderr)
    assert "codex_lsp" in loaded
    assert not loaded & set(SDK)


async def served(home: Path, cwd: Path) -> tuple[set[str], list[Any]]:
    """Serve one session (the MCP methods called), then shut down; what was imported and
    the MCP methods' results."""
    server = await RawServer.start(home, cwd, PYTHONPROFILEIMPORTTIME="1")
    results: list[Any] = []
    calls: list[tuple[int, str, dict[str, Any] | None]] = [
        (2, "codex/mcpServerStatus/list", {}),
        (3, "codex/config/mcpServer/reload", None),
    ]
    try:
        await server.initialize()
        for msg_id, method, params in calls:
            await server.send({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
            results.append((await server.reply_to(msg_id))["result"])
        await server.send({"jsonrpc": "2.0", "id": 9, "method": "shutdown", "params": None})
        await server.reply_to(9)
        await server.send({"jsonrpc": "2.0", "method": "exit", "params": None})
        assert await server.wait_exit(15) == 0
        return imported(await server.stderr()), results
    finally:
        await server.stop()


async def test_a_session_without_servers_does_not_import_the_sdk(
    codex_home: Path, workspace: Path
) -> None:
    loaded, (listed, reloaded) = await served(codex_home, workspace)
    assert "codex_lsp" in loaded
    assert not loaded & set(SDK), loaded & set(SDK)
    assert listed == {"data": [], "nextCursor": None}
    assert reloaded == {}


async def test_a_configured_server_loads_the_sdk(
    mock_model: MockModelServer, codex_home: Path, workspace: Path, tmp_path: Path
) -> None:
    write_config(codex_home, mock_model, stdio_table("demo", tmp_path / "calls.jsonl"))
    loaded, (listed, _reloaded) = await served(codex_home, workspace)
    assert {"mcp", "mcp_types"} <= loaded
    assert [s["name"] for s in listed["data"]] == ["demo"]
