"""One configured MCP server: its state, what it offers, and its connection's task.

This module does not import the MCP SDK: the task first loads `client.py` (which does)
in a worker thread, so neither the server's start nor its event loop pays for the SDK's
import (about half a second) when MCP is not used, and the loop keeps serving while it
loads.

States (the `runtimeStatus` clients see): `disabled` (`enabled = false`), `starting`,
`ready`, `failed` (with `error`), `cancelled` (stopped before it was ready: a reload, a
config change, shutdown). Only a `ready` server's tools are offered to the model.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ...protocol.mcp import McpAuthStatus, McpRuntimeState
from ..redact import redact
from ..tasks import spawn
from .config import ServerConfig
from .events import McpEventSink, StartupStatus

if TYPE_CHECKING:
    from types import ModuleType

    from .oauth_store import OAuthCredentials

log = logging.getLogger(__name__)

# How long stopping a connection may take (the SDK closes a stdio server's stdin, waits
# for it, then kills it; a server that ignores all that dies with its launcher later).
STOP_TIMEOUT_S = 2.5
SDK_MODULE = "codex_lsp.core.mcp.client"


class ProgressCallback(Protocol):
    """Called for each progress notification of a running tool call."""

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        """`progress` so far (of `total` when known), with the server's message."""


class McpCallError(Exception):
    """A tool call failed before the tool answered: not connected, timed out, the
    connection broke, the server refused the request. The message is redacted."""


@dataclass(frozen=True)
class ToolInfo:
    """A tool a server offers: what the model is told, and the MCP `Tool` as listed."""

    name: str
    description: str
    input_schema: dict[str, Any]
    read_only: bool
    wire: dict[str, Any] = field(default_factory=dict)


_sdk: ModuleType | None = None


async def load_sdk() -> ModuleType:
    """The module built on the MCP SDK, imported in a worker thread the first time (two
    servers starting at once both wait for the one import: the import system's lock)."""
    global _sdk
    if _sdk is None:
        _sdk = await asyncio.to_thread(importlib.import_module, SDK_MODULE)
    return _sdk


class McpConnection:
    """A server's connection, run by one background task (see `client.serve`)."""

    def __init__(
        self, config: ServerConfig, credentials: OAuthCredentials, emit: McpEventSink
    ) -> None:
        self.config = config
        self.name = config.name
        self.credentials = credentials
        self._emit = emit
        self.state: McpRuntimeState = "starting"
        self.error: str | None = None
        self.auth_status: McpAuthStatus = initial_auth_status(config)
        self.tools: list[ToolInfo] = []
        self.resources: list[dict[str, Any]] = []
        self.resource_templates: list[dict[str, Any]] = []
        # The SDK's client while `ready`; set and cleared by `client.serve`.
        self.session: Any = None
        # Set by `client.serve`: ends the connection (its cancel scope).
        self.cancel: Callable[[], None] | None = None
        self.stopping = False
        self.settled = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        if config.problem is not None:
            self.state, self.error = "failed", config.problem
        elif not config.enabled:
            self.state = "disabled"

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background (a disabled or misconfigured server only reports)."""
        if self.state == "disabled":
            self.settled.set()
            return
        if self.state == "failed":
            self._emit(StartupStatus(self.name, "starting"))
            self._emit(StartupStatus(self.name, "failed", self.error))
            self.settled.set()
            return
        self._emit(StartupStatus(self.name, "starting"))
        self._task = spawn(self._run(), name=f"mcp server {self.name}")

    async def _run(self) -> None:
        try:
            sdk = await load_sdk()
            await sdk.serve(self)
        except asyncio.CancelledError:
            self.cancelled()
            raise
        except Exception as exc:
            log.debug("MCP server %s: connection ended", self.name, exc_info=True)
            self.failed(describe_error(exc))
        finally:
            self.session = None
            self.settled.set()

    def ready(
        self,
        session: Any,
        tools: list[ToolInfo],
        resources: list[dict[str, Any]],
        templates: list[dict[str, Any]],
    ) -> None:
        """Connected: the tools are offered from now on."""
        self.session = session
        self.tools = [t for t in tools if self.config.offers(t.name)]
        self.resources = resources
        self.resource_templates = templates
        self.state, self.error = "ready", None
        self.settled.set()
        names = ", ".join(t.name for t in self.tools) or "none"
        log.info("MCP server %s ready; tools: %s", self.name, names)
        self._emit(StartupStatus(self.name, "ready"))

    def failed(self, message: str) -> None:
        """Starting failed, or a ready connection broke: its tools are gone. (A server
        being stopped is cancelled, whatever broke on the way.)"""
        if self.stopping:
            self.cancelled()
            return
        if self.state in ("failed", "cancelled", "disabled"):
            return
        was_ready = self.state == "ready"
        self.session = None
        self.state, self.error = "failed", redact(message)
        self.settled.set()
        if was_ready:
            log.warning("MCP server %s: connection lost: %s", self.name, self.error)
        else:
            log.warning("MCP server %s failed to start: %s", self.name, self.error)
        self._emit(StartupStatus(self.name, "failed", self.error))

    def cancelled(self) -> None:
        """Stopped: a server still starting reports `cancelled`."""
        self.session = None
        if self.state == "starting":
            self.state = "cancelled"
            self._emit(StartupStatus(self.name, "cancelled"))
        elif self.state == "ready":
            self.state = "cancelled"
        self.settled.set()

    async def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """End the connection within about `timeout` (a stdio server that outlives it
        dies with the server, through its launcher)."""
        self.stopping = True
        task = self._task
        if task is None or task.done():
            self.cancelled()
            return
        if self.cancel is not None:
            self.cancel()
        else:
            task.cancel()
        done, _ = await asyncio.wait([task], timeout=timeout)
        if not done:
            task.cancel()
            await asyncio.wait([task], timeout=0.5)
        self.cancelled()

    async def wait_settled(self, timeout: float) -> None:
        """Wait (bounded) until the server is ready, failed or stopped."""
        try:
            await asyncio.wait_for(self.settled.wait(), timeout)
        except TimeoutError:
            return

    # -- calls -----------------------------------------------------------------------------

    async def call_tool(
        self, tool: str, arguments: dict[str, Any], on_progress: ProgressCallback
    ) -> dict[str, Any]:
        """Call `tool`; the MCP `CallToolResult` as JSON (`content`, `structuredContent`,
        `isError`). Raises `McpCallError` when no result came."""
        session = self.session
        if session is None or self.state != "ready":
            why = f": {self.error}" if self.error else ""
            raise McpCallError(f"MCP server {self.name!r} is not connected ({self.state}{why})")
        sdk = await load_sdk()
        result: dict[str, Any] = await sdk.call_tool(self, session, tool, arguments, on_progress)
        return result


def initial_auth_status(config: ServerConfig) -> McpAuthStatus:
    """What is known before connecting: stdio servers have no auth; HTTP ones send a
    bearer token when configured (OAuth is looked up when connecting)."""
    table = config.table
    if table is None or table.url is None:
        return "unsupported"
    if table.bearer_token_env_var is not None:
        return "bearerToken"
    if any(name.lower() == "authorization" for name in table.http_headers):
        return "bearerToken"
    return "unsupported"


def describe_error(exc: BaseException) -> str:
    """One line about a failure (exception groups unwrapped), secrets redacted."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(describe_error(e) for e in exc.exceptions)
    text = str(exc).strip()
    name = type(exc).__name__
    return redact(f"{name}: {text}" if text else name)
