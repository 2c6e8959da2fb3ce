"""MCP server status and OAuth login shapes."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .base import WireModel


class McpServerStatus(WireModel):
    """A configured MCP server, its auth state and its tools."""

    name: str
    auth_status: Literal["unsupported", "notLoggedIn", "bearerToken", "oAuth"]
    tools: dict[str, Any] = Field(default_factory=dict)
    runtime_status: str | None = None


class McpServerStatusListParams(WireModel):
    """`codex/mcpServerStatus/list` params."""

    cursor: str | None = None
    limit: int | None = Field(default=None, ge=1)


class McpServerStatusListResult(WireModel):
    """A page of MCP server statuses."""

    data: list[McpServerStatus]
    next_cursor: str | None = None


class McpOauthLoginParams(WireModel):
    """`codex/mcpServer/oauth/login` params."""

    name: str
    scopes: list[str] | None = None
    timeout_secs: int | None = None


class McpOauthLoginResult(WireModel):
    """`codex/mcpServer/oauth/login` result: open this URL in a browser."""

    authorization_url: str


class McpStartupStatusNotification(WireModel):
    """`codex/mcpServer/startupStatus/updated`."""

    name: str
    status: Literal["starting", "ready", "failed", "cancelled"]
    error: str | None = None


class McpOauthLoginCompletedNotification(WireModel):
    """`codex/mcpServer/oauthLogin/completed`."""

    name: str
    success: bool
    error: str | None = None
