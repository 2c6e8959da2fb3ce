"""The real server process driven byte by byte over its stdin/stdout, for tests of the
framing and of what a misbehaving client gets back."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"processId": None, "rootUri": None, "capabilities": {}},
}


def frame(body: bytes) -> bytes:
    """`body` with its Content-Length header."""
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class RawServer:
    """`python -m codex_lsp` with pipes; stderr is collected for the test to read."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self._stderr = bytearray()
        self._stderr_task = asyncio.ensure_future(self._collect_stderr())

    @classmethod
    async def start(cls, home: Path, cwd: Path, *args: str, **env: str) -> RawServer:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "codex_lsp",
            *args,
            env={**os.environ, "CODEX_HOME": str(home), "MOCK_API_KEY": "x", **env},
            cwd=cwd,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(proc)

    async def _collect_stderr(self) -> None:
        assert self.proc.stderr is not None
        while chunk := await self.proc.stderr.read(65536):
            self._stderr += chunk

    async def stderr(self) -> str:
        """What the server wrote to stderr (all of it once the process has exited)."""
        if self.proc.returncode is not None:
            await asyncio.wait_for(self._stderr_task, 10)
        return self._stderr.decode(errors="replace")

    async def write(self, data: bytes) -> None:
        """Write raw bytes; a server that already exited over them is not an error here."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            await self.proc.stdin.drain()

    async def send(self, message: dict[str, Any]) -> None:
        await self.write(frame(json.dumps(message).encode()))

    async def read(self, timeout: float = 15) -> dict[str, Any]:
        """The next message from the server."""
        assert self.proc.stdout is not None
        header = await asyncio.wait_for(self.proc.stdout.readuntil(b"\r\n\r\n"), timeout)
        length = int(header.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        body = await asyncio.wait_for(self.proc.stdout.readexactly(length), timeout)
        message: dict[str, Any] = json.loads(body)
        return message

    async def reply_to(self, msg_id: int | str | None, timeout: float = 15) -> dict[str, Any]:
        """The response with `msg_id`, skipping notifications and other messages."""
        while True:
            message = await self.read(timeout)
            if "method" not in message and message.get("id") == msg_id:
                return message

    async def initialize(self) -> None:
        await self.send(INITIALIZE)
        await self.reply_to(1)
        await self.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})

    async def wait_exit(self, timeout: float) -> int:
        return await asyncio.wait_for(self.proc.wait(), timeout)

    async def stop(self) -> None:
        """Kill the process (by PID, through the handle) if it is still running."""
        if self.proc.returncode is None:
            self.proc.kill()
        await asyncio.wait_for(self.proc.wait(), 15)
        self._stderr_task.cancel()
