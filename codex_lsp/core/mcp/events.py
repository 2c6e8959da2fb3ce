"""What the MCP client tells the editor (the LSP server translates these to notifications)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ...protocol.mcp import McpStartupState


@dataclass(frozen=True, slots=True)
class StartupStatus:
    """A server is starting, ready, failed or was cancelled (stopped while starting)."""

    name: str
    status: McpStartupState
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ToolCallProgress:
    """The server reported progress on a running tool call."""

    thread_id: str
    turn_id: str
    item_id: str
    message: str


@dataclass(frozen=True, slots=True)
class OauthLoginCompleted:
    """An OAuth login ended (success: the tokens are stored and the server restarts)."""

    name: str
    success: bool
    error: str | None = None


McpEvent = StartupStatus | ToolCallProgress | OauthLoginCompleted
McpEventSink = Callable[[McpEvent], None]
