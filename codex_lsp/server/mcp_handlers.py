"""codex/mcpServerStatus/list, codex/config/mcpServer/reload, codex/mcpServer/oauth/login,
and the MCP notifications (startup status, tool-call progress, OAuth login completed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pygls.exceptions import JsonRpcInternalError

from ..core.mcp.events import McpEvent, OauthLoginCompleted, StartupStatus, ToolCallProgress
from ..core.mcp.manager import McpError
from ..protocol.base import EmptyResult
from ..protocol.mcp import (
    McpOauthLoginCompletedNotification,
    McpOauthLoginParams,
    McpOauthLoginResult,
    McpServerStatusListParams,
    McpServerStatusListResult,
    McpStartupStatusNotification,
)
from ..protocol.notifications import McpToolCallProgressNotification
from .requests import invalid_params, register
from .session import Session

if TYPE_CHECKING:
    from .app import CodexLanguageServer


def mcp_notification(event: McpEvent) -> tuple[str, dict[str, Any]]:
    """The LSP notification for an MCP event."""
    if isinstance(event, StartupStatus):
        startup = McpStartupStatusNotification(
            name=event.name, status=event.status, error=event.error
        )
        return "codex/mcpServer/startupStatus/updated", startup.wire()
    if isinstance(event, ToolCallProgress):
        progress = McpToolCallProgressNotification(
            thread_id=event.thread_id,
            turn_id=event.turn_id,
            item_id=event.item_id,
            message=event.message,
        )
        return "codex/item/mcpToolCall/progress", progress.wire()
    if isinstance(event, OauthLoginCompleted):
        done = McpOauthLoginCompletedNotification(
            name=event.name, success=event.success, error=event.error
        )
        return "codex/mcpServer/oauthLogin/completed", done.wire()
    raise TypeError(f"not an MCP event: {event!r}")


def register_mcp_handlers(server: CodexLanguageServer, session: Session) -> None:
    """Serve the MCP methods; MCP events go to the client as notifications."""
    mcp = session.mcp
    mcp.emit = lambda event: server.notifier.send(*mcp_notification(event))

    async def status_list(p: McpServerStatusListParams) -> McpServerStatusListResult:
        statuses = mcp.statuses()
        start = 0
        if p.cursor is not None:
            if not p.cursor.isdigit() or int(p.cursor) > len(statuses):
                raise invalid_params(["cursor"], f"invalid cursor {p.cursor!r}")
            start = int(p.cursor)
        end = len(statuses) if p.limit is None else min(len(statuses), start + p.limit)
        next_cursor = str(end) if end < len(statuses) else None
        return McpServerStatusListResult(data=statuses[start:end], next_cursor=next_cursor)

    async def reload(_p: None) -> EmptyResult:
        await mcp.reload()
        return EmptyResult()

    async def login(p: McpOauthLoginParams) -> McpOauthLoginResult:
        try:
            url = await mcp.login(p.name, p.scopes, p.timeout_secs)
        except McpError as exc:
            if exc.field is None:
                raise JsonRpcInternalError(message=str(exc)) from None
            raise invalid_params([exc.field], str(exc)) from None
        return McpOauthLoginResult(authorization_url=url)

    register(server, "codex/mcpServerStatus/list", status_list)
    register(server, "codex/config/mcpServer/reload", reload)
    register(server, "codex/mcpServer/oauth/login", login)
