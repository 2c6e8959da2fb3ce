"""What one editor connection holds: config, editor settings, the thread manager."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from ..core.approvals.gate import ApprovalTransport
from ..core.config.loader import LoadedConfig
from ..core.config.service import ConfigService
from ..core.config.settings import ThreadRequest, ThreadSettings, resolve
from ..core.events import CoreEvent
from ..core.mcp.manager import McpManager
from ..core.model.client import ModelClients
from ..core.telemetry import create_sink
from ..core.threads.loaded import LoadedThread
from ..core.threads.manager import ThreadManager
from ..core.tools.base import ToolRouter
from ..core.workspace.view import BufferReader, WorkspaceView
from ..protocol.account import RateLimitSnapshot
from ..protocol.initialize import ClientCodexCapabilities, EditorSettings

log = logging.getLogger(__name__)


def _thread_tools(thread: LoadedThread, mcp: McpManager) -> ToolRouter:
    # The tools (and their parsers) load on the first turn, not at start-up.
    from ..core.tools.defaults import thread_tools

    return thread_tools(thread, mcp=mcp)


class Session:
    """Server-wide state shared by the handlers."""

    def __init__(
        self,
        home: Path,
        notify: Callable[[CoreEvent], None] | None = None,
        *,
        approvals: ApprovalTransport | None = None,
        buffers: BufferReader | None = None,
        read_document: Callable[[str], str | None] | None = None,
    ) -> None:
        self.home = home
        # Events before an editor is attached (`attach_editor`) wait for it.
        self._held: list[CoreEvent] = []
        self._notify: Callable[[CoreEvent], None] = notify or self._held.append
        # -- configuration: config.toml layers and the editor's settings --
        self.config_service = ConfigService(home)
        self.editor = EditorSettings()
        self.client_caps = ClientCodexCapabilities()
        self.default_cwd = os.getcwd()
        # The editor's `clientInfo.name` (telemetry's `terminal.type`).
        self.client_name: str | None = None
        # -- account: where the OpenAI API key comes from --
        from ..core.auth import AuthService

        self.auth = AuthService(home, lambda: self.loaded_config.config.cli_auth_credentials_store)
        self.openai_key: Callable[[], str | None] = self.auth.api_key
        # -- rate limits: the latest snapshot, kept in $CODEX_HOME/rate_limits.json --
        from ..core.model.rate_limit_store import RateLimitStore

        self.rate_limit_store = RateLimitStore(home)
        self.rate_limits: RateLimitSnapshot = self.rate_limit_store.latest()
        # -- telemetry: [otel] as configured at start (OpenTelemetry loads only if enabled) --
        self.telemetry = create_sink(
            self.loaded_config.config, terminal_type=lambda: self.client_name
        )
        # -- MCP servers: started once the client is initialized (see app.py) --
        self.mcp = McpManager(
            home,
            lambda: self.loaded_config.config,
            refresh=self.config_service.refresh,
            usable=lambda: self.loaded_config.usable,
        )
        # -- threads --
        self.manager = ThreadManager(
            home,
            self.resolve,
            self.emit,
            ModelClients(lambda: self.openai_key()),
            tools=lambda thread: _thread_tools(thread, self.mcp),
            approvals=approvals,
            workspace=WorkspaceView(buffers),
            read_document=read_document,
            telemetry=self.telemetry,
        )

    def attach_editor(
        self,
        notify: Callable[[CoreEvent], None],
        *,
        approvals: ApprovalTransport | None,
        buffers: BufferReader | None,
        read_document: Callable[[str], str | None] | None,
    ) -> None:
        """Connect the editor's transport to a session made before it (see
        `first_requests`): events, approvals, open buffers."""
        self._notify = notify
        self.manager.attach_editor(approvals, WorkspaceView(buffers), read_document)
        held, self._held = self._held, []
        for event in held:
            notify(event)

    def emit(self, event: CoreEvent) -> None:
        """Send a core event to the client (and keep what later requests read back)."""
        from ..core.events import RateLimitsUpdated

        if isinstance(event, RateLimitsUpdated):
            # Announced only when the numbers change; the snapshot is saved for restarts.
            changed = self.rate_limit_store.update(event.snapshot)
            if changed is None:
                return
            self.rate_limits = changed
            event = RateLimitsUpdated(changed)
        self._notify(event)

    def resolve(self, request: ThreadRequest) -> ThreadSettings:
        """Effective settings for a thread request (config.toml re-read if it changed)."""
        self.config_service.refresh()
        return resolve(self.config_service.loaded.config, self.editor, request, self.default_cwd)

    @property
    def loaded_config(self) -> LoadedConfig:
        """The current `config.toml` (reloaded after every write)."""
        return self.config_service.loaded
