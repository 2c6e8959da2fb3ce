"""The mock model for the benchmarks, either as its own process or in a thread of this one.

`ProcessMock` runs ``python -m codex_lsp.mock_model`` and queues scripts over its HTTP
control API (``POST /_mock/enqueue``). It shares no interpreter lock with the benchmark's
client, so its writes and the client's reads never wait for each other: the default.
`ThreadMock` runs `MockModelServer.start_in_thread()` (its own event loop, same process).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import urllib.request
from collections.abc import Mapping
from typing import Protocol

from codex_lsp.mock_model import MockModelServer, MockResponse

__all__ = ["MockHandle", "ProcessMock", "ThreadMock", "start_mock"]


class MockHandle(Protocol):
    """What the benchmarks need from a running mock model."""

    url: str
    kind: str

    async def enqueue(self, *responses: MockResponse) -> None:
        """Queue scripted responses (FIFO)."""

    async def close(self) -> None:
        """Stop the mock."""


class ProcessMock:
    """``python -m codex_lsp.mock_model`` in its own process."""

    kind = "separate process (python -m codex_lsp.mock_model)"

    def __init__(self, proc: asyncio.subprocess.Process, url: str) -> None:
        self.proc = proc
        self.url = url
        root = url.rsplit("/v1", 1)[0]
        self._enqueue_url = f"{root}/_mock/enqueue"

    @classmethod
    async def start(
        cls, argv: list[str], env: Mapping[str, str], timeout: float = 15.0
    ) -> ProcessMock:
        """Spawn the mock and read the ``{"url", "port"}`` line it prints."""
        proc = await asyncio.create_subprocess_exec(
            *argv,
            "-m",
            "codex_lsp.mock_model",
            "--port",
            "0",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=dict(env),
        )
        try:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), timeout)
            url = str(json.loads(line)["url"])
        except BaseException:
            _kill(proc)
            raise
        return cls(proc, url)

    def _post(self, body: bytes) -> None:
        request = urllib.request.Request(
            self._enqueue_url,
            data=body,
            headers={"content-type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    async def enqueue(self, *responses: MockResponse) -> None:
        """Queue scripted responses over the control API."""
        body = json.dumps([r.model_dump(mode="json") for r in responses]).encode()
        await asyncio.to_thread(self._post, body)

    async def close(self) -> None:
        """SIGTERM, then SIGKILL if it does not exit; always by PID."""
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except TimeoutError:
                _kill(self.proc)
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.proc.wait(), 5)


def _kill(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)


class ThreadMock:
    """`MockModelServer` on its own event loop in a daemon thread of this process."""

    kind = "in-process thread (MockModelServer.start_in_thread)"

    def __init__(self) -> None:
        self.server = MockModelServer().start_in_thread()
        self.url = self.server.url

    async def enqueue(self, *responses: MockResponse) -> None:
        """Queue scripted responses directly."""
        self.server.enqueue(*responses)

    async def close(self) -> None:
        """Stop the server and join its thread."""
        await asyncio.to_thread(self.server.stop_thread)


async def start_mock(mode: str, argv: list[str], env: Mapping[str, str]) -> MockHandle:
    """A running mock: ``mode`` is ``process`` or ``thread``."""
    if mode == "thread":
        return await asyncio.to_thread(ThreadMock)
    return await ProcessMock.start(argv, env)
