"""MCP servers: their status, OAuth login, and the result of a call to one of their tools.

Tools, resources and resource templates are sent in the MCP specification's own shapes
(`{name, title, description, inputSchema, outputSchema, annotations, ...}`,
`{uri, name, mimeType, ...}`, `{uriTemplate, name, ...}`), as the server listed them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .base import WireModel

McpAuthStatus = Literal["unsupported", "notLoggedIn", "bearerToken", "oAuth"]
McpRuntimeState = Literal["starting", "ready", "failed", "cancelled", "disabled"]
McpStartupState = Literal["starting", "ready", "failed", "cancelled"]


class McpRuntimeStatus(WireModel):
    """Where a server's connection stands; `error` says why it failed."""

    status: McpRuntimeState
    error: str | None = None


class McpServerStatus(WireModel):
    """A configured MCP server: auth state, what it offers, its connection."""

    name: str
    auth_status: McpAuthStatus
    # Tool name -> the MCP `Tool` (only the tools offered to the model).
    tools: dict[str, dict[str, Any]] = Field(default_factory=dict)
    resources: list[dict[str, Any]] = Field(default_factory=list)
    resource_templates: list[dict[str, Any]] = Field(default_factory=list)
    runtime_status: McpRuntimeStatus


class McpServerStatusListParams(WireModel):
    """`codex/mcpServerStatus/list` params."""

    cursor: str | None = None
    limit: int | None = Field(default=None, ge=1)


class McpServerStatusListResult(WireModel):
    """A page of MCP server statuses, by name."""

    data: list[McpServerStatus]
    next_cursor: str | None = None


class McpOauthLoginParams(WireModel):
    """`codex/mcpServer/oauth/login` params."""

    name: str
    scopes: list[str] | None = None
    timeout_secs: int | None = Field(default=None, ge=1)


class McpOauthLoginResult(WireModel):
    """`codex/mcpServer/oauth/login` result: open this URL in a browser."""

    authorization_url: str


class McpStartupStatusNotification(WireModel):
    """`codex/mcpServer/startupStatus/updated`."""

    name: str
    status: McpStartupState
    error: str | None = None


class McpOauthLoginCompletedNotification(WireModel):
    """`codex/mcpServer/oauthLogin/completed`."""

    name: str
    success: bool
    error: str | None = None


class McpToolCallResult(WireModel):
    """What an MCP tool returned: MCP content blocks (`{type: "text", text}`,
    `{type: "image", data, mimeType}`, ...) and its structured content, if any."""

    content: list[dict[str, Any]] = Field(default_factory=list)
    structured_content: Any = None


class McpToolCallError(WireModel):
    """Why an MCP tool call failed (the server's error, a timeout, a lost connection)."""

    message: str
