"""Core events -> LSP notifications (pure functions), and sending them fast.

Deltas are the hot path: their params are built as plain dicts and written with one
`json.dumps`, without going through pydantic or cattrs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..core import events as ev
from ..protocol import notifications as n
from ..protocol.account import RateLimitsUpdatedNotification
from ..protocol.methods import DELTA_NOTIFICATIONS

log = logging.getLogger(__name__)

Notification = tuple[str, dict[str, Any]]


def _agent_delta(e: ev.AgentMessageDelta) -> Notification:
    return "codex/item/agentMessage/delta", {
        "threadId": e.thread_id,
        "turnId": e.turn_id,
        "itemId": e.item_id,
        "delta": e.delta,
    }


def _summary_delta(e: ev.ReasoningSummaryTextDelta) -> Notification:
    return "codex/item/reasoning/summaryTextDelta", {
        "threadId": e.thread_id,
        "turnId": e.turn_id,
        "itemId": e.item_id,
        "delta": e.delta,
        "summaryIndex": e.summary_index,
    }


def _reasoning_delta(e: ev.ReasoningTextDelta) -> Notification:
    return "codex/item/reasoning/textDelta", {
        "threadId": e.thread_id,
        "turnId": e.turn_id,
        "itemId": e.item_id,
        "delta": e.delta,
        "contentIndex": e.content_index,
    }


def _output_delta(e: ev.CommandOutputDelta) -> Notification:
    return "codex/item/commandExecution/outputDelta", {
        "threadId": e.thread_id,
        "turnId": e.turn_id,
        "itemId": e.item_id,
        "delta": e.delta,
    }


def _raw_item(e: ev.RawResponseItemCompleted) -> Notification:
    return "codex/rawResponseItem/completed", {
        "threadId": e.thread_id,
        "turnId": e.turn_id,
        "item": e.item,
    }


def _summary_part(e: ev.ReasoningSummaryPartAdded) -> Notification:
    return "codex/item/reasoning/summaryPartAdded", {
        "threadId": e.thread_id,
        "turnId": e.turn_id,
        "itemId": e.item_id,
        "summaryIndex": e.summary_index,
    }


def _item_started(e: ev.ItemStarted) -> Notification:
    params = n.ItemStartedNotification(
        thread_id=e.thread_id, turn_id=e.turn_id, item=e.item, started_at_ms=e.at_ms
    )
    return "codex/item/started", params.wire()


def _item_completed(e: ev.ItemCompleted) -> Notification:
    params = n.ItemCompletedNotification(
        thread_id=e.thread_id, turn_id=e.turn_id, item=e.item, completed_at_ms=e.at_ms
    )
    return "codex/item/completed", params.wire()


def _turn_started(e: ev.TurnStarted) -> Notification:
    return "codex/turn/started", n.TurnNotification(thread_id=e.thread_id, turn=e.turn).wire()


def _turn_completed(e: ev.TurnCompleted) -> Notification:
    return "codex/turn/completed", n.TurnNotification(thread_id=e.thread_id, turn=e.turn).wire()


def _thread_started(e: ev.ThreadStarted) -> Notification:
    return "codex/thread/started", n.ThreadStartedNotification(thread=e.thread).wire()


def _status(e: ev.ThreadStatusChanged) -> Notification:
    params = n.ThreadStatusChangedNotification(thread_id=e.thread_id, status=e.status)
    return "codex/thread/status/changed", params.wire()


def _archived(e: ev.ThreadArchived) -> Notification:
    return "codex/thread/archived", {"threadId": e.thread_id}


def _unarchived(e: ev.ThreadUnarchived) -> Notification:
    return "codex/thread/unarchived", {"threadId": e.thread_id}


def _compacted(e: ev.ThreadCompacted) -> Notification:
    return "codex/thread/compacted", {"threadId": e.thread_id, "turnId": e.turn_id}


def _reverted(e: ev.ThreadReverted) -> Notification:
    return "codex/thread/reverted", {"threadId": e.thread_id}


def _renamed(e: ev.ThreadNameUpdated) -> Notification:
    params = n.ThreadNameUpdatedNotification(thread_id=e.thread_id, name=e.name)
    return "codex/thread/name/updated", params.wire()


def _usage(e: ev.TokenUsageUpdated) -> Notification:
    params = n.TokenUsageUpdatedNotification(
        thread_id=e.thread_id, turn_id=e.turn_id, token_usage=e.usage
    )
    return "codex/thread/tokenUsage/updated", params.wire()


def _error(e: ev.TurnError) -> Notification:
    params = n.ErrorNotification(
        thread_id=e.thread_id, turn_id=e.turn_id, error=e.error, will_retry=e.will_retry
    )
    return "codex/error", params.wire()


def _rate_limits(e: ev.RateLimitsUpdated) -> Notification:
    params = RateLimitsUpdatedNotification(rate_limits=e.snapshot)
    return "codex/account/rateLimits/updated", params.wire()


def _plan(e: ev.PlanUpdated) -> Notification:
    params = n.TurnPlanUpdatedNotification(
        thread_id=e.thread_id, turn_id=e.turn_id, explanation=e.explanation, plan=e.plan
    )
    return "codex/turn/plan/updated", params.wire()


def _turn_diff(e: ev.TurnDiffUpdated) -> Notification:
    params = n.TurnDiffUpdatedNotification(thread_id=e.thread_id, turn_id=e.turn_id, diff=e.diff)
    return "codex/turn/diff/updated", params.wire()


_MAPPERS: dict[type, Callable[[Any], Notification]] = {
    ev.AgentMessageDelta: _agent_delta,
    ev.ReasoningSummaryTextDelta: _summary_delta,
    ev.ReasoningTextDelta: _reasoning_delta,
    ev.CommandOutputDelta: _output_delta,
    ev.RawResponseItemCompleted: _raw_item,
    ev.ReasoningSummaryPartAdded: _summary_part,
    ev.ItemStarted: _item_started,
    ev.ItemCompleted: _item_completed,
    ev.TurnStarted: _turn_started,
    ev.TurnCompleted: _turn_completed,
    ev.ThreadStarted: _thread_started,
    ev.ThreadStatusChanged: _status,
    ev.ThreadArchived: _archived,
    ev.ThreadUnarchived: _unarchived,
    ev.ThreadNameUpdated: _renamed,
    ev.TokenUsageUpdated: _usage,
    ev.TurnError: _error,
    ev.RateLimitsUpdated: _rate_limits,
    ev.PlanUpdated: _plan,
    ev.TurnDiffUpdated: _turn_diff,
    ev.ThreadCompacted: _compacted,
    ev.ThreadReverted: _reverted,
}


def to_notification(event: ev.CoreEvent) -> Notification:
    """The LSP notification for a core event."""
    return _MAPPERS[type(event)](event)


class Notifier:
    """Sends core events to the client; drops deltas for clients that asked for none.

    `listeners` see every core event after its notification went out (progress, showing
    changed documents); a failing listener is logged, never fatal.
    """

    def __init__(self, send: Callable[[dict[str, Any]], None]) -> None:
        self._send = send
        self.deltas = True
        self.listeners: list[Callable[[ev.CoreEvent], None]] = []

    def send(self, method: str, params: dict[str, Any]) -> None:
        """Send a notification that has no core event (approval bookkeeping)."""
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def __call__(self, event: ev.CoreEvent) -> None:
        method, params = to_notification(event)
        if self.deltas or method not in DELTA_NOTIFICATIONS:
            self._send({"jsonrpc": "2.0", "method": method, "params": params})
        for listener in self.listeners:
            try:
                listener(event)
            except Exception:
                log.exception("event listener %r failed on %s", listener, type(event).__name__)
