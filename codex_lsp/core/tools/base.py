"""The contract between the turn loop and the tools."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from ..events import EventSink


@dataclass(frozen=True)
class ToolCall:
    """A call the model made: a function call (`arguments` JSON) or a freeform custom call."""

    call_id: str
    name: str
    kind: str  # "function_call" | "custom_tool_call"
    payload: str

    def output_item(self, output: str) -> dict[str, Any]:
        """The history item that carries this call's result back to the model."""
        out_type = (
            "custom_tool_call_output" if self.kind == "custom_tool_call" else "function_call_output"
        )
        return {"type": out_type, "call_id": self.call_id, "output": output}


@dataclass(frozen=True)
class ToolContext:
    """What a tool handler may use: narrow on purpose (no access to the whole session)."""

    thread_id: str
    turn_id: str
    cwd: str
    emit: EventSink


class ToolRouter(Protocol):
    """Builds the tool list for the model and runs the calls it makes."""

    def specs(self) -> list[dict[str, Any]]:
        """The tools offered to the model (Responses API tool shapes)."""
        ...

    async def dispatch(self, call: ToolCall, ctx: ToolContext) -> dict[str, Any]:
        """Run one call; returns its output history item. Never raises for tool failures."""
        ...


class NoTools:
    """A router with no tools: any call is answered with an error the model can read."""

    def specs(self) -> list[dict[str, Any]]:
        return []

    async def dispatch(self, call: ToolCall, ctx: ToolContext) -> dict[str, Any]:
        message = {"error": f"unknown tool {call.name!r}: no such tool is available"}
        return call.output_item(json.dumps(message))
