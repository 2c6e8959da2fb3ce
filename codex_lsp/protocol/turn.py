"""The turn/* requests."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .base import WireModel
from .enums import AskForApproval, ReasoningEffort, ReasoningSummary
from .paths import AbsoluteDirectory
from .sandbox import SandboxPolicy
from .thread import Turn
from .user_input import UserInput


class TurnStartParams(WireModel):
    """`codex/turn/start` params; overrides apply to this turn and the ones after it."""

    thread_id: str
    input: list[UserInput] = Field(min_length=1)
    cwd: AbsoluteDirectory | None = None
    approval_policy: AskForApproval | None = None
    sandbox_policy: SandboxPolicy | None = None
    model: str | None = None
    effort: ReasoningEffort | None = None
    summary: ReasoningSummary | None = None
    output_schema: dict[str, Any] | None = None


class TurnStartResult(WireModel):
    """`codex/turn/start` result: the new turn, status `inProgress`."""

    turn: Turn


class TurnInterruptParams(WireModel):
    """`codex/turn/interrupt` params."""

    thread_id: str
    turn_id: str


class TurnSteerParams(WireModel):
    """`codex/turn/steer` params: more user input for the running turn `expectedTurnId`."""

    thread_id: str
    expected_turn_id: str
    input: list[UserInput] = Field(min_length=1)


class TurnSteerResult(WireModel):
    """`codex/turn/steer` result: the turn that takes the input."""

    turn_id: str
