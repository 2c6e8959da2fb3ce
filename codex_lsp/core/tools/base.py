"""The contract between the turn loop and the tools: calls, results, the narrow context a
handler gets, and the `Tool` protocol every tool implements."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from ...protocol.enums import AskForApproval
from ..events import EventSink

if TYPE_CHECKING:
    from ...protocol.items import ThreadItem
    from ..approvals.gate import ApprovalGate
    from ..sandbox.plan import SandboxPlan
    from ..workspace.snapshots import TurnSnapshots
    from ..workspace.view import WorkspaceView

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ToolCall:
    """A call the model made: a function call (`arguments` JSON), a freeform custom call
    (`input` text) or a `local_shell` call (`action` JSON)."""

    call_id: str
    name: str
    kind: str  # "function_call" | "custom_tool_call" | "local_shell_call"
    payload: str

    def output_item(self, output: str) -> dict[str, Any]:
        """The history item that carries this call's result back to the model."""
        if self.kind == "local_shell_call":
            return {"type": "local_shell_call_output", "call_id": self.call_id, "output": output}
        if self.kind == "custom_tool_call":
            return {"type": "custom_tool_call_output", "call_id": self.call_id, "output": output}
        return {"type": "function_call_output", "call_id": self.call_id, "output": output}


@dataclass
class ToolResult:
    """What a tool returns: text for the model, and history items to add after it (an
    image the model should look at, for instance)."""

    output: str
    success: bool = True
    extra_history: list[dict[str, Any]] = field(default_factory=list)


class ToolError(Exception):
    """A failure the model should read (bad arguments, a missing file, ...)."""


class InvalidArguments(ToolError):
    """The call's arguments are not JSON or not what the tool takes: refused unrun."""


@dataclass(frozen=True)
class ToolCaps:
    """What the model provider supports, deciding which tool shapes are offered."""

    freeform_tools: bool = True


@dataclass
class ToolContext:
    """What a tool handler may use: narrow on purpose (no access to the whole session)."""

    thread_id: str
    turn_id: str
    cwd: str
    emit: EventSink
    item_started: Callable[[ThreadItem], None]
    item_completed: Callable[[ThreadItem], None]
    sandbox: SandboxPlan | None = None
    approvals: ApprovalGate | None = None
    workspace: WorkspaceView | None = None
    approval_policy: AskForApproval = "on-request"
    # Records what the turn changes (originals for undo, the turn's diff); None: not tracked.
    snapshots: TurnSnapshots | None = None
    # The whole environment of the commands run (the shell environment policy applied,
    # provider keys removed); None: the server's environment under the default policy.
    env: Mapping[str, str] | None = None


class Tool(Protocol):
    """A model-facing tool: its spec and its handler in one place."""

    name: str
    # Tools that only read may run concurrently with each other.
    parallel_safe: bool

    def spec(self, caps: ToolCaps) -> dict[str, Any] | None:
        """The tool as offered to the model (None: not offered with these caps)."""
        ...

    async def run(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        """Run one call. Raise `ToolError` for failures the model should read."""
        ...


class ToolRouter(Protocol):
    """Builds the tool list for the model and runs the calls it makes."""

    def specs(self) -> list[dict[str, Any]]:
        """The tools offered to the model (Responses API tool shapes)."""
        ...

    async def run_calls(self, calls: list[ToolCall], ctx: ToolContext) -> list[dict[str, Any]]:
        """Run a response's calls; the history items to add, in order. Never raises for
        tool failures (the model reads them)."""
        ...


def function_tool(
    name: str, description: str, properties: dict[str, Any], required: list[str]
) -> dict[str, Any]:
    """A Responses-API function tool whose arguments are a closed JSON object."""
    return {
        "type": "function",
        "name": name,
        "description": description,
        "strict": False,
        "parameters": {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        },
    }


def parse_arguments(call: ToolCall, model: type[M]) -> M:
    """Validate a function call's JSON arguments, or raise a `ToolError` naming the fields."""
    try:
        raw = json.loads(call.payload or "{}")
    except json.JSONDecodeError as exc:
        raise InvalidArguments(f"invalid arguments for {call.name}: not JSON ({exc.msg})") from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'arguments'}: {err['msg']}"
            for err in exc.errors()
        )
        raise InvalidArguments(f"invalid arguments for {call.name}: {problems}") from None
