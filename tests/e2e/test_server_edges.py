"""Protocol edges: requests without `params`, settings changed after initialize."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp

from tests.lsp_client import CodexClient


async def _send(writer: asyncio.StreamWriter, message: dict[str, Any]) -> None:
    body = json.dumps(message).encode()
    writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    await writer.drain()


async def _read(reader: asyncio.StreamReader) -> dict[str, Any]:
    header = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 15)
    length = int(header.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    message: dict[str, Any] = json.loads(await asyncio.wait_for(reader.readexactly(length), 15))
    return message


async def test_request_without_params_is_served(codex_home: Path, workspace: Path) -> None:
    env = {**os.environ, "CODEX_HOME": str(codex_home), "MOCK_API_KEY": "x"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "codex_lsp",
        env=env,
        cwd=workspace,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert proc.stdin is not None and proc.stdout is not None
        await _send(
            proc.stdin,
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {"processId": None, "rootUri": None, "capabilities": {}},
            },
        )
        assert (await _read(proc.stdout))["id"] == 1
        await _send(proc.stdin, {"jsonrpc": "2.0", "method": "initialized", "params": {}})
        # No `params` at all (what vscode-languageclient sends for parameterless requests).
        await _send(proc.stdin, {"jsonrpc": "2.0", "id": 2, "method": "codex/account/logout"})
        await _send(
            proc.stdin, {"jsonrpc": "2.0", "id": 3, "method": "codex/account/rateLimits/read"}
        )
        replies: dict[int, dict[str, Any]] = {}
        while len(replies) < 2:
            message = await _read(proc.stdout)
            if message.get("id") in (2, 3):
                replies[message["id"]] = message
        assert replies[2]["result"] == {}
        assert "rateLimits" in replies[3]["result"]
    finally:
        if proc.returncode is None:
            proc.kill()
        await asyncio.wait_for(proc.wait(), 15)


async def test_pushed_settings_apply_to_new_threads(client: CodexClient) -> None:
    client.lc.workspace_did_change_configuration(
        lsp.DidChangeConfigurationParams(
            settings={"codex": {"model": "gpt-5.1-codex-mini", "approvalPolicy": "never"}}
        )
    )
    for _ in range(50):
        result = await client.start_thread()
        if result["model"] == "gpt-5.1-codex-mini":
            break
        await asyncio.sleep(0.1)
    assert result["model"] == "gpt-5.1-codex-mini"
    assert result["approvalPolicy"] == "never"
