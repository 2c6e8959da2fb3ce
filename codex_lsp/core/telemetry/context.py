"""Which conversation the running code reports to, and the tool call being decided.

The thread manager runs each turn under `reporting(conversation)`; everything the turn
awaits (the model client, a delegated agent, the tools, the approval gate) finds it with
`current()` without being handed it. With telemetry off `current()` is None and reporting
costs one context-variable read.

Tool calls: the registry wraps each call in `reports_tool_call`, which times it and sends
`codex.tool_decision` and `codex.tool_result` when it ends. The gate notes the user's
answer (`note_decision`); a call nobody was asked about was decided by the configuration:
`approved`, or `denied` when the policy declined it or the call was refused before it ran.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import time
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, TypeVar, get_args

from .catalog import Decision, DecisionSource

if TYPE_CHECKING:
    from ...protocol.items import ThreadItem
    from ..tools.base import ToolCall, ToolContext
    from .sink import Conversation

_conversation: ContextVar[Conversation | None] = ContextVar("codex_telemetry", default=None)


def current() -> Conversation | None:
    """The conversation the running turn reports to (None: telemetry is off)."""
    return _conversation.get()


@contextlib.contextmanager
def reporting(conversation: Conversation | None) -> Iterator[None]:
    """Run the body (and what it awaits or spawns) reporting to `conversation`."""
    token = _conversation.set(conversation)
    try:
        yield
    finally:
        _conversation.reset(token)


# ---- tool calls ------------------------------------------------------------------------

_DECISIONS: dict[str, Decision] = {
    "accept": "approved",
    "acceptForSession": "approved_for_session",
    "decline": "denied",
    "cancel": "abort",
}


class _ToolCallReport:
    """What one tool call went through, sent when it ends."""

    __slots__ = (
        "_started",
        "call",
        "conversation",
        "decided_ns",
        "decision",
        "declined",
        "output",
        "refused",
        "source",
        "started_ns",
        "stopped",
        "success",
    )

    def __init__(self, conversation: Conversation, call: ToolCall) -> None:
        self.conversation = conversation
        self.call = call
        self.started_ns = time.time_ns()
        self._started = time.monotonic()
        self.decision: Decision | None = None
        self.source: DecisionSource = "config"
        self.decided_ns: int | None = None
        self.refused = False
        self.declined = False
        self.stopped = False
        self.output: str | None = None
        self.success = False

    def send(self) -> None:
        decision, source = self.decision, self.source
        if decision is None:
            if self.stopped:  # the turn ended while the call waited or ran
                decision, source = "abort", "user"
            elif self.refused or self.declined:
                decision = "denied"
            else:
                decision = "approved"
        call, conversation = self.call, self.conversation
        conversation.tool_decision(
            call.name, call.call_id, decision, source, self.decided_ns or self.started_ns
        )
        duration_ms = int((time.monotonic() - self._started) * 1000)
        output = self.output if self.output is not None else "aborted"
        success = self.success and not self.stopped
        conversation.tool_result(
            call.name, call.call_id, call.payload, duration_ms, success, output
        )


_call: ContextVar[_ToolCallReport | None] = ContextVar("codex_telemetry_call", default=None)


def _decision(value: object) -> Decision:
    """A catalog decision from an approval answer: `accept`, `acceptForSession`,
    `decline`, `cancel`, a catalog decision, or an answer object (an accept that also
    remembers a rule counts as `approved_for_session`)."""
    if isinstance(value, str):
        if value in _DECISIONS:
            return _DECISIONS[value]
        if value in get_args(Decision):
            return value  # type: ignore[return-value]
    return "approved_for_session" if "accept" in str(value).lower() else "denied"


def note_decision(decision: object, source: DecisionSource = "user") -> None:
    """The approval decision of the tool call being run (an `ApprovalDecision` or a
    catalog decision); the last one noted wins (a rerun after a sandbox denial asks
    again)."""
    report = _call.get()
    if report is not None:
        report.decision = _decision(decision)
        report.source = source
        report.decided_ns = time.time_ns()


def note_refused() -> None:
    """The tool call was refused before it ran (an unknown tool, invalid arguments)."""
    report = _call.get()
    if report is not None:
        report.refused = True


def note_tool_result(output: str, success: bool) -> None:
    """What the tool call gave the model."""
    report = _call.get()
    if report is not None:
        report.output = output
        report.success = success


S = TypeVar("S")
R = TypeVar("R")
RunOne = Callable[[S, "ToolCall", "ToolContext"], Awaitable[R]]


def reports_tool_call(run: RunOne[S, R]) -> RunOne[S, R]:
    """Wrap a router's run-one-call method: the call's decision and result are reported
    to the current conversation when it ends (also when it is interrupted)."""

    @functools.wraps(run)
    async def wrapper(self: S, call: ToolCall, ctx: ToolContext) -> R:
        conversation = current()
        if conversation is None:
            return await run(self, call, ctx)
        report = _ToolCallReport(conversation, call)
        completed = ctx.item_completed

        def item_completed(item: ThreadItem) -> None:
            if getattr(item, "status", None) == "declined":
                report.declined = True
            completed(item)

        token = _call.set(report)
        try:
            return await run(self, call, dataclasses.replace(ctx, item_completed=item_completed))
        except BaseException:
            report.stopped = True
            raise
        finally:
            _call.reset(token)
            report.send()

    return wrapper
