"""MCP tools as model-facing tools: `mcp__<server>__<tool>`.

A call is an `mcpToolCall` item: started with the arguments, asked about first when the
approval policy says so (a command approval naming the server and tool: a declined call
never reaches the server and completes `declined`), then sent with a progress token
(progress becomes `codex/item/mcpToolCall/progress`) and `tool_timeout_sec`; it completes
`completed` with the result, or `failed` with the error (an `isError` result, a timeout, a
lost connection), which the model reads as the call's output.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from ...protocol.approvals import CommandApprovalParams
from ...protocol.items import McpToolCallItem, UnknownAction
from ...protocol.mcp import McpToolCallError
from ..approvals.gate import TurnCancelled
from ..approvals.policy import mcp_call_verdict
from ..tools.base import InvalidArguments, ToolCall, ToolCaps, ToolContext, ToolResult
from ..turns.stream_state import new_id
from .connection import McpCallError, McpConnection, ToolInfo
from .events import McpEventSink, ToolCallProgress
from .names import model_schema, qualified_name
from .results import model_result, wire_result

DECLINED_MESSAGE = "The user declined this call of the MCP tool; it was not run."
MAX_DESCRIPTION = 1024
# What the remembered approvals of a thread know an MCP tool by: NUL cannot be in a
# command's argv, so no command the user accepted can stand for a tool, or the reverse.
APPROVAL_TAG = "\0mcp"


class McpTool:
    """One tool of one connected server."""

    parallel_safe = False

    def __init__(
        self,
        connection: McpConnection,
        info: ToolInfo,
        emit: McpEventSink,
        current: Callable[[str], McpConnection | None] | None = None,
    ) -> None:
        """`current(server)` finds the server's connection at call time (it may have been
        restarted since the turn began); None: always `connection`."""
        self.connection = connection
        self.server = connection.name
        self.info = info
        self.name = qualified_name(self.server, info.name)
        self._emit = emit
        self._current = current or (lambda _name: None)

    def spec(self, caps: ToolCaps) -> dict[str, Any] | None:
        """A function tool with the server's input schema, sanitized for the model APIs."""
        description = self.info.description.strip() or f"{self.info.name} ({self.server})"
        if len(description) > MAX_DESCRIPTION:
            description = description[: MAX_DESCRIPTION - 1] + "…"
        return {
            "type": "function",
            "name": self.name,
            "description": description,
            "strict": False,
            "parameters": model_schema(self.info.input_schema),
        }

    async def run(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        """Ask (if needed), call the tool, report (module doc)."""
        arguments = _arguments(call)
        item = McpToolCallItem(
            id=new_id("mcp"),
            server=self.server,
            tool=self.info.name,
            status="inProgress",
            arguments=arguments,
        )
        ctx.item_started(item)
        if not await self._cleared(ctx, item, arguments):
            return ToolResult(DECLINED_MESSAGE, success=False)
        started = time.monotonic()

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            text = message or (f"{progress:g}/{total:g}" if total else f"{progress:g}")
            self._emit(ToolCallProgress(ctx.thread_id, ctx.turn_id, item.id, text))

        connection = self._current(self.server) or self.connection
        if connection.state == "starting":  # restarted since the turn began
            await connection.wait_settled(connection.config.startup_timeout_s)
        try:
            result = await connection.call_tool(self.info.name, arguments, on_progress)
        except McpCallError as exc:
            return _failed(ctx, item, started, str(exc))
        except asyncio.CancelledError:
            _finish(item, started, "failed", error="interrupted")
            ctx.item_completed(item)
            raise
        answer = model_result(result)
        item.result = wire_result(result)
        error = None if answer.success else answer.output
        _finish(item, started, "completed" if answer.success else "failed", error=error)
        ctx.item_completed(item)
        return ToolResult(answer.output, success=answer.success, extra_history=answer.extra_history)

    async def _cleared(
        self, ctx: ToolContext, item: McpToolCallItem, arguments: dict[str, Any]
    ) -> bool:
        """May the call go ahead? Asks when the policy says so; False: declined (the
        item completed); `cancel` also stops the turn."""
        gate = ctx.approvals
        argv = [APPROVAL_TAG, self.server, self.info.name]
        verdict = mcp_call_verdict(
            ctx.approval_policy,
            read_only=self.info.read_only,
            approved_for_session=gate is not None and gate.command_approved(argv, ctx.cwd),
        )
        if verdict == "run":
            return True
        decision = "decline"
        if gate is not None:
            command = f"mcp {self.server} {self.info.name} {json.dumps(arguments)}"
            params = CommandApprovalParams(
                thread_id=ctx.thread_id,
                turn_id=ctx.turn_id,
                item_id=item.id,
                command=command,
                cwd=ctx.cwd,
                command_actions=[UnknownAction(command=command)],
                reason=f"The MCP server {self.server!r} would run its tool {self.info.name!r}.",
            )
            decision = await gate.ask_command(params, argv)
        if decision in ("accept", "acceptForSession"):
            return True
        item.status = "declined"
        ctx.item_completed(item)
        if decision == "cancel":
            raise TurnCancelled()
        return False


def _arguments(call: ToolCall) -> dict[str, Any]:
    """The call's JSON arguments: an object (nothing at all counts as `{}`)."""
    text = call.payload.strip() if call.kind != "local_shell_call" else ""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidArguments(f"invalid arguments for {call.name}: not JSON ({exc.msg})") from None
    if not isinstance(value, dict):
        raise InvalidArguments(f"invalid arguments for {call.name}: not a JSON object")
    return value


def _finish(item: McpToolCallItem, started: float, status: Any, error: str | None = None) -> None:
    item.status = status
    item.duration_ms = int((time.monotonic() - started) * 1000)
    if error is not None:
        item.error = McpToolCallError(message=error)


def _failed(ctx: ToolContext, item: McpToolCallItem, started: float, message: str) -> ToolResult:
    _finish(item, started, "failed", error=message)
    ctx.item_completed(item)
    return ToolResult(f"MCP tool call failed: {message}", success=False)


def model_tools(
    connections: list[McpConnection],
    emit: McpEventSink,
    current: Callable[[str], McpConnection | None] | None = None,
) -> list[McpTool]:
    """The tools of every ready server, each name given once (a name two tools would
    share, once sanitized, goes to the first)."""
    tools: list[McpTool] = []
    seen: set[str] = set()
    for connection in connections:
        if connection.state != "ready":
            continue
        for info in connection.tools:
            name = qualified_name(connection.name, info.name)
            if name in seen:
                continue
            seen.add(name)
            tools.append(McpTool(connection, info, emit, current))
    return tools
