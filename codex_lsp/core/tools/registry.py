"""The tool registry: the list offered to the model and the router for the calls it makes.

Consecutive calls to parallel-safe (read-only) tools run concurrently; anything that
changes the workspace runs alone, in the order the model asked. A call refused before it
ran (an unknown tool, invalid arguments, a patch that does not apply, ...) still shows the
user a failed item (see `rejected.py`); the model reads why in the call's output.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..approvals.gate import TurnCancelled
from ..telemetry.context import note_refused, note_tool_result, reports_tool_call
from ..threads.rollout import RolloutWriteError
from .base import InvalidArguments, Tool, ToolCall, ToolCaps, ToolContext, ToolError, ToolResult
from .rejected import rejected_item

if TYPE_CHECKING:
    from ...protocol.items import ThreadItem

log = logging.getLogger(__name__)

# Every output returned to the model is bounded (head and tail kept).
MAX_OUTPUT_BYTES = 16 * 1024


class ToolRegistry:
    """Tools by name; implements the turn loop's `ToolRouter`."""

    def __init__(self, tools: Sequence[Tool], caps: ToolCaps | None = None) -> None:
        self.caps = caps or ToolCaps()
        self._tools = {tool.name: tool for tool in tools}
        # `local_shell` calls go to the shell tool.
        self._aliases = {"local_shell": "shell", "container.exec": "shell"}

    def specs(self) -> list[dict[str, Any]]:
        """The tools offered to the model."""
        out = []
        for tool in self._tools.values():
            spec = tool.spec(self.caps)
            if spec is not None:
                out.append(spec)
        return out

    def _tool(self, name: str) -> Tool | None:
        return self._tools.get(name) or self._tools.get(self._aliases.get(name, ""))

    async def run_calls(self, calls: list[ToolCall], ctx: ToolContext) -> list[dict[str, Any]]:
        """Run the calls (parallel-safe neighbours together); history items in order."""
        results: list[list[dict[str, Any]]] = []
        batch: list[ToolCall] = []

        async def flush() -> None:
            if batch:
                done = await asyncio.gather(*(self._run_one(c, ctx) for c in batch))
                results.extend(done)
                batch.clear()

        for call in calls:
            tool = self._tool(call.name)
            if tool is not None and tool.parallel_safe:
                batch.append(call)
                continue
            await flush()
            results.append(await self._run_one(call, ctx))
        await flush()
        return [item for items in results for item in items]

    @reports_tool_call
    async def _run_one(self, call: ToolCall, ctx: ToolContext) -> list[dict[str, Any]]:
        tool = self._tool(call.name)
        if tool is None:
            known = ", ".join(sorted(self._tools)) or "none"
            result = ToolResult(f"unknown tool {call.name!r}; available tools: {known}", False)
            _show_rejected(call, result.output, ctx, known_tool=False, invalid=False)
        else:
            shown = _ShownItems(ctx.item_started)
            try:
                result = await tool.run(call, dataclasses.replace(ctx, item_started=shown))
            except ToolError as exc:
                result = ToolResult(str(exc), success=False)
                if not shown.any:
                    invalid = isinstance(exc, InvalidArguments)
                    _show_rejected(call, result.output, ctx, known_tool=True, invalid=invalid)
            except (asyncio.CancelledError, TurnCancelled, RolloutWriteError):
                raise
            except Exception as exc:
                log.exception("tool %s failed", call.name)
                result = ToolResult(f"{call.name} failed: {type(exc).__name__}: {exc}", False)
                if not shown.any:
                    _show_rejected(call, result.output, ctx, known_tool=True, invalid=False)
        # Tools with a cap of their own (exec_command: 128 KiB) keep it.
        limit = getattr(tool, "max_output_bytes", MAX_OUTPUT_BYTES) if tool else MAX_OUTPUT_BYTES
        # Here, not at import: the sandbox package (spawn, pty) would load at server start.
        from ..sandbox.bounds import bounded_text

        output = bounded_text(result.output, limit)
        note_tool_result(output, result.success)
        return [call.output_item(output), *result.extra_history]


class _ShownItems:
    """A tool's `item_started` callback that notes whether the tool showed an item."""

    __slots__ = ("_started", "any")

    def __init__(self, started: Callable[[ThreadItem], None]) -> None:
        self._started = started
        self.any = False

    def __call__(self, item: ThreadItem) -> None:
        self.any = True
        self._started(item)


def _show_rejected(
    call: ToolCall, reason: str, ctx: ToolContext, *, known_tool: bool, invalid: bool
) -> None:
    if not known_tool or invalid:
        note_refused()
    item = rejected_item(call, reason, ctx.cwd, known_tool=known_tool, invalid_arguments=invalid)
    if item is not None:
        ctx.item_started(item)
        ctx.item_completed(item)


def local_shell_payload(action: dict[str, Any]) -> str:
    """A `local_shell_call` action as shell-tool arguments."""
    return json.dumps(
        {
            "command": action.get("command") or [],
            "workdir": action.get("working_directory"),
            "timeout_ms": action.get("timeout_ms"),
        }
    )
