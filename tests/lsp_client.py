"""A test client: the real `codex-lsp` process over stdio, driven through pytest-lsp."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.protocol import JsonRPCNotification, JsonRPCResponseMessage
from pytest_lsp import LanguageClient, client_capabilities, make_test_lsp_client

from codex_lsp.protocol.methods import NOTIFICATIONS

TIMEOUT = 15.0


def plain(value: Any) -> Any:
    """pygls hands custom payloads over as namedtuples; tests compare plain JSON."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def mock_config(base_url: str, wire_api: str = "responses", extra: str = "") -> str:
    """A config.toml pointing the server at the mock model; `extra` is appended after the
    provider's table, so it must start with a table header of its own."""
    return (
        'model = "gpt-5.1-codex"\n'
        'model_provider = "mock"\n'
        "[model_providers.mock]\n"
        'name = "mock"\n'
        f'base_url = "{base_url}"\n'
        'env_key = "MOCK_API_KEY"\n'
        f'wire_api = "{wire_api}"\n'
        "request_max_retries = 3\n"
        "stream_max_retries = 3\n"
        f"{extra}"
    )


class CodexClient:
    """Starts `python -m codex_lsp`, records every codex/ notification."""

    def __init__(
        self,
        home: Path,
        workspace: Path,
        *,
        env: dict[str, str] | None = None,
        capabilities: str | lsp.ClientCapabilities | None = None,
        codex_caps: dict[str, Any] | None = None,
        init_options: dict[str, Any] | None = None,
    ) -> None:
        self.home = home
        self.workspace = workspace
        self.env = {
            **os.environ,
            "CODEX_HOME": str(home),
            "MOCK_API_KEY": "test-key",
            **(env or {}),
        }
        self.capabilities = capabilities
        self.codex_caps = codex_caps
        self.init_options = init_options
        self.notifications: list[tuple[str, dict[str, Any], float]] = []
        self._changed = asyncio.Event()
        self.lc: LanguageClient = make_test_lsp_client()
        converter = self.lc.protocol._converter
        converter.register_structure_hook(JsonRPCResponseMessage, lambda obj, cls: cls(**obj))
        converter.register_structure_hook(JsonRPCNotification, lambda obj, cls: cls(**obj))
        self.initialize_result: Any = None
        for method in NOTIFICATIONS:
            self.lc.feature(method)(self._recorder(method))

    def _recorder(self, method: str) -> Callable[[Any], None]:
        def record(params: Any) -> None:
            self.notifications.append((method, plain(params), time.monotonic()))
            self._changed.set()

        return record

    @property
    def pid(self) -> int:
        """The server's process id."""
        server = self.lc._server
        assert server is not None
        return server.pid

    async def start(self) -> Any:
        """Spawn the server and initialize the session."""
        await self.lc.start_io(sys.executable, "-m", "codex_lsp", env=self.env)
        if isinstance(self.capabilities, str):
            caps = client_capabilities(self.capabilities)
        else:
            caps = self.capabilities or lsp.ClientCapabilities()
        if self.codex_caps is not None:
            caps.experimental = {"codex": self.codex_caps}
        params = lsp.InitializeParams(
            capabilities=caps,
            root_uri=self.workspace.as_uri(),
            workspace_folders=[lsp.WorkspaceFolder(uri=self.workspace.as_uri(), name="ws")],
            initialization_options=self.init_options,
        )
        self.initialize_result = await asyncio.wait_for(self.lc.initialize_session(params), TIMEOUT)
        return self.initialize_result

    async def stop(self) -> None:
        """Shut down politely, then make sure the process is gone."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.lc.shutdown_session(), TIMEOUT)
        server = self.lc._server
        if server is not None and server.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(server.pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait(), TIMEOUT)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.lc.stop(), TIMEOUT)

    async def kill(self) -> None:
        """`kill -9` the server."""
        server = self.lc._server
        assert server is not None
        os.kill(server.pid, signal.SIGKILL)
        await asyncio.wait_for(server.wait(), TIMEOUT)
        self.lc._stop_event.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.lc.stop(), TIMEOUT)

    async def request(self, method: str, params: Any, timeout: float = TIMEOUT) -> Any:
        """Send a request; the result as plain JSON."""
        result = await asyncio.wait_for(
            self.lc.protocol.send_request_async(method, params), timeout
        )
        return plain(result)

    def of(self, method: str) -> list[dict[str, Any]]:
        """Params of every notification `method` received so far."""
        return [p for m, p, _ in self.notifications if m == method]

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[dict[str, Any]], bool] = lambda _p: True,
        timeout: float = TIMEOUT,
    ) -> dict[str, Any]:
        """The first notification `method` matching `predicate` (already received or next)."""
        deadline = time.monotonic() + timeout
        while True:
            for m, p, _ in self.notifications:
                if m == method and predicate(p):
                    return p
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = [m for m, _, _ in self.notifications][-20:]
                raise TimeoutError(f"no {method} within {timeout}s; last seen: {seen}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def start_thread(self, **params: Any) -> dict[str, Any]:
        """`codex/thread/start`; the result."""
        result: dict[str, Any] = await self.request("codex/thread/start", params)
        return result

    async def turn(
        self, thread_id: str, text: str, timeout: float = TIMEOUT, **extra: Any
    ) -> dict[str, Any]:
        """Run a turn to its end (within `timeout` s); returns the `turn/completed` turn."""
        started = await self.request(
            "codex/turn/start",
            {"threadId": thread_id, "input": [{"type": "text", "text": text}], **extra},
        )
        turn_id = started["turn"]["id"]
        done = await self.wait_for(
            "codex/turn/completed", lambda p: p["turn"]["id"] == turn_id, timeout
        )
        turn: dict[str, Any] = done["turn"]
        return turn

    def for_turn(self, turn_id: str) -> list[tuple[str, dict[str, Any]]]:
        """Every notification of one turn, in order."""
        return [
            (m, p)
            for m, p, _ in self.notifications
            if p.get("turnId") == turn_id
            or (isinstance(p.get("turn"), dict) and p["turn"].get("id") == turn_id)
        ]
