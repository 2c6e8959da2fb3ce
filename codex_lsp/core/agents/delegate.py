"""Run a child agent under a parent's turn and return its final answer.

The child has its own model history (none of the parent's conversation reaches the
model), its own instructions, model and sandbox, and the tools it is given (none by
default). It runs in the parent turn's task: cancelling that task (an interrupt)
interrupts the child. Its events reach the parent's client under the parent's thread and
turn ids, filtered: the child's own turn start/end, token usage and final error are the
parent's to report, its task message is not shown, nor items of the `hidden_items` types
(with their deltas). It asks for approvals through the parent's gate, so its requests
reach the parent's client (and mark the parent thread as waiting). The items it shows are
recorded in the parent's rollout as items of the parent's turn; its model history is not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...protocol.enums import TurnStatus
from ...protocol.items import AgentMessageItem, ThreadItem
from ...protocol.sandbox import SandboxPolicy
from ...protocol.thread import Turn, TurnError
from ...protocol.user_input import TextInput
from .. import events as ev
from ..model.client import ModelClient
from ..threads.loaded import LoadedThread
from ..tools.base import ToolRouter
from ..tools.registry import ToolRegistry
from ..turns.runner import TurnRunner
from ..workspace.view import WorkspaceView

ChildTools = Callable[[LoadedThread], ToolRouter]
# Child events the parent reports itself (its own turn's frame and context use).
_PARENTS_OWN = (ev.TurnStarted, ev.TurnCompleted, ev.TokenUsageUpdated, ev.ThreadStatusChanged)
# Child events that belong to one item (dropped with a hidden item).
_ITEM_EVENTS = (
    ev.AgentMessageDelta,
    ev.ReasoningSummaryPartAdded,
    ev.ReasoningSummaryTextDelta,
    ev.ReasoningTextDelta,
    ev.CommandOutputDelta,
)
# `hidden_items` value that hides every item (and the plan and diff updates).
HIDE_ALL: frozenset[str] = frozenset({"*"})


@dataclass(frozen=True)
class DelegateSpec:
    """What the child is: its instructions, its task, and how it may act."""

    task: str
    instructions: str | None = None  # None: the parent's
    history: list[dict[str, Any]] = field(default_factory=list)  # the child's model history
    model: str | None = None
    sandbox: SandboxPolicy | None = None
    tools: ChildTools | None = None
    hidden_items: frozenset[str] = frozenset()
    output_schema: dict[str, Any] | None = None


@dataclass
class DelegateResult:
    """How the child ended, its last agent message, and the items the parent recorded."""

    status: TurnStatus
    last_message: str | None
    error: TurnError | None
    items: list[ThreadItem] = field(default_factory=list)


class _Forward:
    """The child's event sink: what the parent's client sees, recorded in the parent."""

    def __init__(
        self, parent: LoadedThread, turn: Turn, emit: ev.EventSink, hidden: frozenset[str]
    ) -> None:
        self.parent = parent
        self.turn = turn
        self.emit = emit
        self.hidden = hidden
        self.shown_ids: set[str] = set()
        self.items: list[ThreadItem] = []

    def _shown(self, event: ev.CoreEvent) -> bool:
        if isinstance(event, _PARENTS_OWN):
            return False
        if isinstance(event, ev.TurnError):
            return event.will_retry  # a retry notice; the final error is the parent's
        if isinstance(event, ev.RateLimitsUpdated):
            return True
        if "*" in self.hidden:
            return False
        if isinstance(event, ev.ItemStarted):
            item = event.item
            if item.type == "userMessage" or item.type in self.hidden:
                return False
            self.shown_ids.add(item.id)
            return True
        if isinstance(event, ev.ItemCompleted):
            return event.item.id in self.shown_ids
        if isinstance(event, _ITEM_EVENTS):
            return event.item_id in self.shown_ids
        return True

    def __call__(self, event: ev.CoreEvent) -> None:
        if not self._shown(event):
            return
        if isinstance(event, ev.ItemCompleted):
            self.turn.items.append(event.item)
            self.items.append(event.item)
            # A failure to save stops the child (and so the parent) as for any turn.
            record = {"turnId": self.turn.id, "item": event.item.wire()}
            self.parent.record("item_completed", record)
        self.emit(event)


async def run_delegate(
    parent: LoadedThread,
    turn: Turn,
    spec: DelegateSpec,
    client: ModelClient,
    emit: ev.EventSink,
    workspace: WorkspaceView | None = None,
) -> DelegateResult:
    """Run the child to its end under `turn` of `parent`; never raises for the child's
    failures (see `DelegateResult.status`). An interrupt of the parent's task ends the
    child `interrupted`; the caller decides what that means for its own turn."""
    settings = parent.settings.with_changes(
        model=spec.model or parent.settings.model,
        sandbox=spec.sandbox or parent.settings.sandbox,
        base_instructions=spec.instructions or parent.settings.base_instructions,
        developer_instructions=None,
    )
    # Same thread and turn ids as the parent: approval requests and items carry them.
    child = LoadedThread(
        meta=parent.meta,
        settings=settings,
        writer=None,
        gate=parent.gate,
        model_items=list(spec.history),
        # A child that continues the parent's history continues its context too.
        last_context=parent.last_context if spec.history else None,
    )
    child_turn = Turn(id=turn.id, status="inProgress", items=[])
    sink = _Forward(parent, turn, emit, spec.hidden_items)
    tools = spec.tools(child) if spec.tools is not None else ToolRegistry([])
    runner = TurnRunner(
        child,
        child_turn,
        [TextInput(text=spec.task)],
        [{"type": "input_text", "text": spec.task}],
        client,
        tools,
        sink,
        output_schema=spec.output_schema,
        workspace=workspace,
        show_input=False,
    )
    try:
        await runner.run()
    finally:
        await child.close_resources()
    messages = [i for i in child_turn.items if isinstance(i, AgentMessageItem)]
    return DelegateResult(
        status=child_turn.status,
        last_message=messages[-1].text if messages else None,
        error=child_turn.error,
        items=sink.items,
    )
