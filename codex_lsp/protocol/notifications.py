"""Thread, turn and item notifications sent by the server."""

from __future__ import annotations

from typing import Any

from pydantic import Field, computed_field

from .account import TokenUsage
from .base import WireModel
from .enums import CodexErrorInfo
from .items import ThreadItem
from .thread import Thread, ThreadStatus, Turn


class ThreadStartedNotification(WireModel):
    """`codex/thread/started`."""

    thread: Thread


class ThreadStatusChangedNotification(WireModel):
    """`codex/thread/status/changed`."""

    thread_id: str
    status: ThreadStatus


class ThreadIdNotification(WireModel):
    """`codex/thread/archived`, `codex/thread/unarchived` and `codex/thread/reverted`."""

    thread_id: str


class ThreadCompactedNotification(WireModel):
    """`codex/thread/compacted`: the thread's history was compacted in turn `turnId`."""

    thread_id: str
    turn_id: str


class ThreadNameUpdatedNotification(WireModel):
    """`codex/thread/name/updated`: the name under Codex's key `threadName`, and under
    `name` as this protocol always sent it."""

    thread_id: str
    name: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def thread_name(self) -> str | None:
        """Codex's key for the name."""
        return self.name


class TokenUsageUpdatedNotification(WireModel):
    """`codex/thread/tokenUsage/updated`: sent after every model response."""

    thread_id: str
    turn_id: str
    token_usage: TokenUsage


class TurnNotification(WireModel):
    """`codex/turn/started` and `codex/turn/completed`."""

    thread_id: str
    turn: Turn


class TurnDiffUpdatedNotification(WireModel):
    """`codex/turn/diff/updated`: the turn's whole unified diff so far."""

    thread_id: str
    turn_id: str
    diff: str


class PlanStep(WireModel):
    """A step of the agent's plan."""

    step: str
    status: str = Field(description='"pending" | "inProgress" | "completed"')


class TurnPlanUpdatedNotification(WireModel):
    """`codex/turn/plan/updated`."""

    thread_id: str
    turn_id: str
    explanation: str | None = None
    plan: list[PlanStep]


class ItemStartedNotification(WireModel):
    """`codex/item/started`."""

    thread_id: str
    turn_id: str
    item: ThreadItem
    started_at_ms: int


class ItemCompletedNotification(WireModel):
    """`codex/item/completed`: the authoritative final state of the item."""

    thread_id: str
    turn_id: str
    item: ThreadItem
    completed_at_ms: int


class AgentMessageDeltaNotification(WireModel):
    """`codex/item/agentMessage/delta`: one model delta, forwarded as it arrives."""

    thread_id: str
    turn_id: str
    item_id: str
    delta: str


class ReasoningSummaryPartAddedNotification(WireModel):
    """`codex/item/reasoning/summaryPartAdded`."""

    thread_id: str
    turn_id: str
    item_id: str
    summary_index: int


class ReasoningSummaryTextDeltaNotification(WireModel):
    """`codex/item/reasoning/summaryTextDelta`."""

    thread_id: str
    turn_id: str
    item_id: str
    delta: str
    summary_index: int


class ReasoningTextDeltaNotification(WireModel):
    """`codex/item/reasoning/textDelta`: raw reasoning text, where the provider sends it."""

    thread_id: str
    turn_id: str
    item_id: str
    delta: str
    content_index: int


class CommandOutputDeltaNotification(WireModel):
    """`codex/item/commandExecution/outputDelta`."""

    thread_id: str
    turn_id: str
    item_id: str
    delta: str


class RawResponseItemCompletedNotification(WireModel):
    """`codex/rawResponseItem/completed`: an output item exactly as the model returned it
    (Responses API shape; on the Chat wire, the equivalent item the server built), for
    threads started or resumed with `experimentalRawEvents: true`."""

    thread_id: str
    turn_id: str
    item: dict[str, Any]


class McpToolCallProgressNotification(WireModel):
    """`codex/item/mcpToolCall/progress`."""

    thread_id: str
    turn_id: str
    item_id: str
    message: str


class ServerRequestResolvedNotification(WireModel):
    """`codex/serverRequest/resolved`: an approval request was answered or abandoned."""

    thread_id: str
    request_id: str | int


class ErrorInfo(WireModel):
    """An error reported during a turn."""

    message: str
    codex_error_info: CodexErrorInfo | None = None
    additional_details: str | None = None


class ErrorNotification(WireModel):
    """`codex/error`; `willRetry` true when the server retries by itself."""

    thread_id: str
    turn_id: str | None = None
    error: ErrorInfo
    will_retry: bool = False
