"""`update_plan`: the model records its plan; clients render it
(`codex/turn/plan/updated`). The tool does nothing else: its input is the point."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from ...protocol.notifications import PlanStep
from ..events import PlanUpdated
from .base import (
    ToolCall,
    ToolCaps,
    ToolContext,
    ToolError,
    ToolResult,
    function_tool,
    parse_arguments,
)

StepStatus = Literal["pending", "in_progress", "completed"]

# The model's statuses (Codex's tool values) -> the wire's (Codex app-server v2 values).
WIRE_STATUS: dict[str, str] = {
    "pending": "pending",
    "in_progress": "inProgress",
    "completed": "completed",
}

_DESCRIPTION = (
    "Updates the task plan. Give an optional explanation and the whole list of steps, "
    "each with a short description and a status (pending, in_progress or completed). "
    "At most one step can be in_progress at a time."
)


class PlanItemArg(BaseModel):
    """One step as the model sends it."""

    model_config = ConfigDict(extra="ignore")

    step: str
    status: StepStatus

    @field_validator("status", mode="before")
    @classmethod
    def _normalise(cls, value: object) -> object:
        # Accept the wire spelling and stray case/spaces: "inProgress", " Completed".
        if isinstance(value, str):
            text = value.strip().lower().replace("-", "_").replace(" ", "_")
            return "in_progress" if text == "inprogress" else text
        return value


class UpdatePlanArgs(BaseModel):
    """The model's arguments."""

    model_config = ConfigDict(extra="ignore")

    explanation: str | None = None
    plan: list[PlanItemArg]


class UpdatePlanTool:
    """The `update_plan` tool. Stateless; the plan lives in the client."""

    name = "update_plan"
    # Plan updates must reach the client in the order the model made them.
    parallel_safe = False

    def spec(self, caps: ToolCaps) -> dict[str, Any] | None:
        return function_tool(
            self.name,
            _DESCRIPTION,
            {
                "explanation": {"type": "string"},
                "plan": {
                    "type": "array",
                    "description": "The list of steps",
                    "items": {
                        "type": "object",
                        "properties": {
                            "step": {"type": "string"},
                            "status": {
                                "type": "string",
                                "enum": list(WIRE_STATUS),
                                "description": "One of: pending, in_progress, completed",
                            },
                        },
                        "required": ["step", "status"],
                        "additionalProperties": False,
                    },
                },
            },
            ["plan"],
        )

    async def run(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        args = parse_arguments(call, UpdatePlanArgs)
        active = [item.step for item in args.plan if item.status == "in_progress"]
        if len(active) > 1:
            raise ToolError(
                f"at most one step can be in_progress at a time; {len(active)} are: "
                + "; ".join(repr(step) for step in active)
            )
        plan = [PlanStep(step=item.step, status=WIRE_STATUS[item.status]) for item in args.plan]
        explanation = args.explanation if args.explanation and args.explanation.strip() else None
        ctx.emit(PlanUpdated(ctx.thread_id, ctx.turn_id, explanation, plan))
        return ToolResult("Plan updated")
