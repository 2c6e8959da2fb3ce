"""Typed events the core emits; the LSP server and the terminal renderer translate them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..protocol.account import RateLimitSnapshot, TokenUsage
from ..protocol.items import ThreadItem
from ..protocol.notifications import ErrorInfo, PlanStep
from ..protocol.thread import Thread, ThreadStatus, Turn


@dataclass(frozen=True, slots=True)
class ThreadStarted:
    """A thread was started, resumed or forked."""

    thread: Thread


@dataclass(frozen=True, slots=True)
class ThreadStatusChanged:
    """A thread went idle, active, or is waiting on something."""

    thread_id: str
    status: ThreadStatus


@dataclass(frozen=True, slots=True)
class ThreadArchived:
    """The thread's rollout moved to `archived_sessions/`."""

    thread_id: str


@dataclass(frozen=True, slots=True)
class ThreadUnarchived:
    """The thread's rollout moved back to `sessions/`."""

    thread_id: str


@dataclass(frozen=True, slots=True)
class ThreadNameUpdated:
    """The thread was renamed."""

    thread_id: str
    name: str | None


@dataclass(frozen=True, slots=True)
class TurnStarted:
    """A turn began."""

    thread_id: str
    turn: Turn


@dataclass(frozen=True, slots=True)
class TurnCompleted:
    """A turn ended (completed, interrupted or failed)."""

    thread_id: str
    turn: Turn


@dataclass(frozen=True, slots=True)
class ItemStarted:
    """An item began; its deltas follow."""

    thread_id: str
    turn_id: str
    item: ThreadItem
    at_ms: int


@dataclass(frozen=True, slots=True)
class ItemCompleted:
    """An item's final, authoritative state."""

    thread_id: str
    turn_id: str
    item: ThreadItem
    at_ms: int


@dataclass(frozen=True, slots=True)
class AgentMessageDelta:
    """A piece of the agent's message text."""

    thread_id: str
    turn_id: str
    item_id: str
    delta: str


@dataclass(frozen=True, slots=True)
class ReasoningSummaryPartAdded:
    """A new reasoning summary part began."""

    thread_id: str
    turn_id: str
    item_id: str
    summary_index: int


@dataclass(frozen=True, slots=True)
class ReasoningSummaryTextDelta:
    """A piece of a reasoning summary part."""

    thread_id: str
    turn_id: str
    item_id: str
    delta: str
    summary_index: int


@dataclass(frozen=True, slots=True)
class ReasoningTextDelta:
    """A piece of raw reasoning text."""

    thread_id: str
    turn_id: str
    item_id: str
    delta: str
    content_index: int


@dataclass(frozen=True, slots=True)
class CommandOutputDelta:
    """A piece of a running command's output."""

    thread_id: str
    turn_id: str
    item_id: str
    delta: str


@dataclass(frozen=True, slots=True)
class RawResponseItemCompleted:
    """An output item exactly as the model returned it (Responses API shape), for threads
    started or resumed with `experimentalRawEvents`."""

    thread_id: str
    turn_id: str
    item: dict[str, Any]


# What one command item streams to the client as output deltas (PROTOCOL.md: 1 MiB).
OUTPUT_DELTA_CAP_BYTES = 1024 * 1024
OUTPUT_TRUNCATED_NOTICE = (
    "\n[... output truncated: further output not streamed; {n} bytes so far ...]\n"
)


class CommandOutputStream:
    """Streams one command item's output as `CommandOutputDelta` events, at most `cap`
    bytes of UTF-8 (never splitting a character); the first write past the cap sends
    what still fits, then one delta with `OUTPUT_TRUNCATED_NOTICE`, and nothing more is
    streamed for the item. The item's `aggregatedOutput` keeps its own bounded copy."""

    def __init__(
        self,
        emit: EventSink,
        thread_id: str,
        turn_id: str,
        item_id: str,
        cap: int = OUTPUT_DELTA_CAP_BYTES,
    ) -> None:
        self._emit = emit
        self._ids = (thread_id, turn_id, item_id)
        self.cap = max(0, cap)
        self.streamed_bytes = 0
        self.seen_bytes = 0
        self.truncated = False

    def _send(self, text: str) -> None:
        self._emit(CommandOutputDelta(*self._ids, text))

    def write(self, text: str) -> None:
        """Stream one piece of output (or count it, once truncated)."""
        if not text:
            return
        data = text.encode("utf-8", errors="replace")
        self.seen_bytes += len(data)
        if self.truncated:
            return
        room = self.cap - self.streamed_bytes
        if len(data) <= room:
            self.streamed_bytes += len(data)
            self._send(text)
            return
        # A character cut at the end of the room is left out whole.
        head = data[:room].decode("utf-8", errors="ignore")
        if head:
            self.streamed_bytes += len(head.encode("utf-8"))
            self._send(head)
        self.truncated = True
        self._send(OUTPUT_TRUNCATED_NOTICE.format(n=self.seen_bytes))


@dataclass(frozen=True, slots=True)
class TokenUsageUpdated:
    """Token use after a model response."""

    thread_id: str
    turn_id: str
    usage: TokenUsage


@dataclass(frozen=True, slots=True)
class TurnError:
    """An error during a turn; `will_retry` when the server retries by itself."""

    thread_id: str
    turn_id: str | None
    error: ErrorInfo
    will_retry: bool


@dataclass(frozen=True, slots=True)
class RateLimitsUpdated:
    """The backend reported new rate-limit numbers."""

    snapshot: RateLimitSnapshot


@dataclass(frozen=True, slots=True)
class PlanUpdated:
    """The agent updated its plan (`update_plan`); `plan` carries wire statuses."""

    thread_id: str
    turn_id: str
    explanation: str | None
    plan: list[PlanStep]


@dataclass(frozen=True, slots=True)
class TurnDiffUpdated:
    """The turn's whole unified diff (files as before the turn -> as now) changed."""

    thread_id: str
    turn_id: str
    diff: str


@dataclass(frozen=True, slots=True)
class ThreadCompacted:
    """The thread's model history was replaced by its compacted form in turn `turn_id`."""

    thread_id: str
    turn_id: str


@dataclass(frozen=True, slots=True)
class ThreadReverted:
    """Turns were dropped from the thread (revert or rollback)."""

    thread_id: str


CoreEvent = (
    ThreadStarted
    | ThreadStatusChanged
    | ThreadArchived
    | ThreadUnarchived
    | ThreadNameUpdated
    | TurnStarted
    | TurnCompleted
    | ItemStarted
    | ItemCompleted
    | AgentMessageDelta
    | ReasoningSummaryPartAdded
    | ReasoningSummaryTextDelta
    | ReasoningTextDelta
    | CommandOutputDelta
    | RawResponseItemCompleted
    | TokenUsageUpdated
    | TurnError
    | RateLimitsUpdated
    | PlanUpdated
    | TurnDiffUpdated
    | ThreadCompacted
    | ThreadReverted
)

EventSink = Callable[[CoreEvent], None]
