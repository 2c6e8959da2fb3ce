"""The MCP servers of one codex-lsp process: started, watched, listed, reloaded, closed.

Servers start in the background (`start`, once the editor is initialized): nothing waits
for them, so a server that fails or hangs never delays the server's start or a turn;
its tools are offered once it is ready. `config.toml` is watched (its `[mcp_servers]`):
a server whose table changed restarts, a removed one stops, a new one starts; while the
file cannot be read nothing changes. `reload` restarts every server. `close` stops them
all. Without servers in config.toml none of the MCP modules past this one is imported.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...protocol.mcp import McpRuntimeStatus, McpServerStatus
from ..tasks import spawn
from .events import McpEvent, McpEventSink, OauthLoginCompleted

if TYPE_CHECKING:
    from ..config.model import CodexConfig
    from .config import ServerConfig
    from .connection import McpConnection
    from .oauth_store import OAuthCredentials
    from .tools import McpTool

log = logging.getLogger(__name__)

# How often config.toml is looked at (a stat; it is read again only when it changed).
WATCH_INTERVAL_S = 1.0
# How long shutdown waits for each server to stop (the server's whole stop takes 3 s).
SHUTDOWN_STOP_S = 1.5


class McpError(Exception):
    """A request about MCP servers that cannot be served: `field` names the request's
    field at fault (an unknown server, ...), None when it is not the request's fault."""

    def __init__(self, message: str, field: str | None = "name") -> None:
        super().__init__(message)
        self.field = field


class McpManager:
    """Every configured MCP server and its connection."""

    def __init__(
        self,
        home: Path,
        config: Callable[[], CodexConfig],
        refresh: Callable[[], object] | None = None,
        emit: McpEventSink | None = None,
        usable: Callable[[], bool] = lambda: True,
    ) -> None:
        """`config` gives the current config.toml; `refresh` re-reads it when it changed
        on disk (called by the watcher); `emit` takes the events for the editor; `usable`
        says whether the file could be read (while it cannot, e.g. half-edited, the
        servers keep running as they are)."""
        self.home = home
        self._config = config
        self._refresh = refresh
        self._usable = usable
        self.emit: McpEventSink = emit or (lambda _event: None)
        self._credentials: OAuthCredentials | None = None
        self._connections: dict[str, McpConnection] = {}
        self._started = False
        self._closed = False
        self._watcher: asyncio.Task[None] | None = None
        self._logins: dict[str, asyncio.Task[None]] = {}

    @property
    def credentials(self) -> OAuthCredentials:
        """Where the servers' OAuth tokens are kept."""
        if self._credentials is None:
            from .oauth_store import OAuthCredentials

            config = self._config
            self._credentials = OAuthCredentials(
                self.home, lambda: config().mcp_oauth_credentials_store
            )
        return self._credentials

    def _send(self, event: McpEvent) -> None:
        if not self._closed:
            self.emit(event)

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Start every configured server in the background and watch config.toml."""
        if self._started or self._closed:
            return
        self._started = True
        self.sync()
        if self._refresh is not None:
            self._watcher = spawn(self._watch(), name="mcp config watcher")

    async def _watch(self) -> None:
        while not self._closed:
            await asyncio.sleep(WATCH_INTERVAL_S)
            try:
                if self._refresh is not None:
                    self._refresh()
                self.sync()
            except Exception:
                log.exception("checking config.toml for MCP server changes failed")

    def _configured(self) -> list[ServerConfig]:
        raw = self._config().mcp_servers
        if not raw or not isinstance(raw, dict):
            return []
        from .config import parse_servers

        return parse_servers(raw)

    def sync(self) -> None:
        """Apply config.toml: start new or changed servers, stop removed or changed ones."""
        if not self._started or self._closed or not self._usable():
            return
        wanted = {c.name: c for c in self._configured()}
        for name, conn in list(self._connections.items()):
            if name not in wanted or wanted[name].raw != conn.config.raw:
                del self._connections[name]
                log.info("MCP server %s: configuration changed; restarting it", name)
                spawn(conn.stop(), name=f"mcp stop {name}")
        for name, config in wanted.items():
            if name not in self._connections:
                self._launch(config)
        # Keep config.toml's order.
        self._connections = {n: self._connections[n] for n in wanted if n in self._connections}

    def _launch(self, config: ServerConfig) -> McpConnection:
        from .connection import McpConnection

        conn = McpConnection(config, self.credentials, self._send)
        self._connections[config.name] = conn
        conn.start()
        return conn

    async def reload(self) -> None:
        """Restart every server from the current config.toml."""
        if self._closed:
            return
        if self._refresh is not None:
            self._refresh()
        old = list(self._connections.values())
        self._connections = {}
        self._started = True
        await asyncio.gather(*(conn.stop() for conn in old))
        self.sync()
        if self._watcher is None and self._refresh is not None:
            self._watcher = spawn(self._watch(), name="mcp config watcher")

    async def restart(self, name: str) -> None:
        """Restart one server (after a login)."""
        conn = self._connections.pop(name, None)
        if conn is not None:
            await conn.stop()
        for config in self._configured():
            if config.name == name and not self._closed:
                self._launch(config)

    async def close(self) -> None:
        """Stop every server and login (shutdown)."""
        self._closed = True
        tasks: list[asyncio.Task[Any]] = list(self._logins.values())
        if self._watcher is not None:
            tasks.append(self._watcher)
        for task in tasks:
            task.cancel()
        conns = list(self._connections.values())
        self._connections = {}
        await asyncio.gather(
            *(conn.stop(SHUTDOWN_STOP_S) for conn in conns), return_exceptions=True
        )
        if tasks:
            await asyncio.wait(tasks, timeout=1.0)

    # -- what clients and turns see ---------------------------------------------------------

    def connections(self) -> list[McpConnection]:
        """The servers, in config.toml's order."""
        return list(self._connections.values())

    def connection(self, name: str) -> McpConnection:
        """A configured server by name, or `McpError`."""
        conn = self._connections.get(name)
        if conn is None:
            known = ", ".join(self._connections) or "none"
            raise McpError(f"no MCP server named {name!r} (configured: {known})")
        return conn

    def statuses(self) -> list[McpServerStatus]:
        """Every server's status, for `codex/mcpServerStatus/list`."""
        return [
            McpServerStatus(
                name=conn.name,
                auth_status=conn.auth_status,
                tools={tool.name: tool.wire for tool in conn.tools}
                if conn.state == "ready"
                else {},
                resources=conn.resources if conn.state == "ready" else [],
                resource_templates=conn.resource_templates if conn.state == "ready" else [],
                runtime_status=McpRuntimeStatus(status=conn.state, error=conn.error),
            )
            for conn in self._connections.values()
        ]

    def model_tools(self) -> list[McpTool]:
        """The tools of the ready servers, for a turn (config changes applied first)."""
        self.sync()
        if not self._connections:
            return []  # no server: the tools module (and the SDK) stay unloaded
        from .tools import model_tools

        return model_tools(self.connections(), self._send, lambda n: self._connections.get(n))

    # -- OAuth -----------------------------------------------------------------------------

    async def login(self, name: str, scopes: list[str] | None, timeout_s: float | None) -> str:
        """Start an OAuth login for server `name`; the authorization URL to open. When it
        ends, `oauthLogin/completed` is sent and, on success, the server restarts."""
        conn = self.connection(name)
        table = conn.config.table
        if table is None or table.url is None:
            raise McpError(f"MCP server {name!r} is not a streamable HTTP server; no OAuth")
        if table.bearer_token_env_var is not None:
            raise McpError(f"MCP server {name!r} uses a bearer token (bearer_token_env_var)")
        from .config import MissingVariable, http_headers
        from .connection import load_sdk

        try:
            headers = http_headers(table)
        except MissingVariable as exc:
            raise McpError(str(exc)) from None
        await load_sdk()
        from .oauth import LoginError, begin_login

        previous = self._logins.pop(name, None)
        if previous is not None:
            previous.cancel()

        def finished(error: str | None) -> None:
            self._send(OauthLoginCompleted(name, error is None, error))
            if error is None:
                log.info("MCP server %s: OAuth login complete", name)
                spawn(self.restart(name), name=f"mcp restart {name}")
            else:
                log.warning("MCP server %s: OAuth login failed: %s", name, error)

        port = self._config().mcp_oauth_callback_port
        try:
            login = await begin_login(
                conn.config,
                self.credentials,
                headers=headers,
                scopes=scopes,
                timeout_s=timeout_s,
                callback_port=port,
                finished=finished,
                spawn=spawn,
            )
        except LoginError as exc:
            raise McpError(str(exc), field=None) from None
        self._logins[name] = login.done
        login.done.add_done_callback(lambda t: self._forget_login(name, t))
        return login.authorization_url

    def _forget_login(self, name: str, task: asyncio.Task[None]) -> None:
        if self._logins.get(name) is task:
            del self._logins[name]
