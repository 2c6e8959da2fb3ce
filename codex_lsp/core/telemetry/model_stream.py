"""What the model client reports: `codex.api_request` per HTTP attempt and
`codex.sse_event` per event of the stream (the raw JSON events, before translation).

An event is reported once the turn has handled it (when the next one is asked for), so
telemetry never sits between the model and the editor; the events that end a stream are
reported before they are handed on (nothing is asked for after them).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

from .sink import Conversation

# Responses events after which the stream is not read again (it ends, or fails).
_LAST = frozenset({"response.completed", "response.failed", "response.incomplete", "error"})


def elapsed_ms(started: float) -> int:
    """Milliseconds since `started` (a `time.monotonic()` reading)."""
    return int((time.monotonic() - started) * 1000)


def report_request(
    conversation: Conversation | None,
    attempt: int,
    started: float,
    status: int | None = None,
    error: str | None = None,
) -> None:
    """`codex.api_request` for a request started at `started` (monotonic)."""
    if conversation is not None:
        conversation.api_request(attempt, elapsed_ms(started), status, error)


def _kind(event: Any) -> str | None:
    if not isinstance(event, dict):
        return None
    kind = event.get("type") or event.get("object")
    return str(kind) if kind else None


def _error(kind: str | None, event: dict[str, Any]) -> str | None:
    if kind == "response.failed":
        error = (event.get("response") or {}).get("error") or {}
        return str(error.get("message") or error.get("code") or "the model response failed")
    if kind == "response.incomplete":
        details = (event.get("response") or {}).get("incomplete_details") or {}
        return f"the model response was incomplete: {details.get('reason') or 'unknown reason'}"
    if kind == "error":
        return str(
            event.get("message") or event.get("code") or "the model stream reported an error"
        )
    return None


# Where each wire keeps its token counts: input, output, and their details.
_RESPONSES_USAGE = (
    "input_tokens",
    "output_tokens",
    "input_tokens_details",
    "output_tokens_details",
)
_CHAT_USAGE = (
    "prompt_tokens",
    "completion_tokens",
    "prompt_tokens_details",
    "completion_tokens_details",
)


def _usage(kind: str | None, event: dict[str, Any]) -> dict[str, int | None] | None:
    """Token counts: `response.completed` (Responses) or a chunk with `usage` (Chat).
    `tool_token_count` is the total, as Codex reports it."""
    if kind == "response.completed":
        usage, keys = (event.get("response") or {}).get("usage"), _RESPONSES_USAGE
    else:
        usage, keys = event.get("usage"), _CHAT_USAGE
    if not isinstance(usage, dict) or keys[0] not in usage:
        return None
    inputs, outputs, input_details, output_details = keys
    return {
        "input_token_count": usage.get(inputs) or 0,
        "output_token_count": usage.get(outputs) or 0,
        "cached_token_count": (usage.get(input_details) or {}).get("cached_tokens"),
        "reasoning_token_count": (usage.get(output_details) or {}).get("reasoning_tokens"),
        "tool_token_count": usage.get("total_tokens") or 0,
    }


def _report(conversation: Conversation, event: Any, kind: str | None, waited_ms: int) -> None:
    if isinstance(event, dict):
        conversation.sse_event(kind, waited_ms, _error(kind, event), _usage(kind, event))
    else:
        conversation.sse_event(kind, waited_ms)


async def observe_stream(
    events: AsyncIterable[Any], conversation: Conversation
) -> AsyncIterator[Any]:
    """`events`, each reported as `codex.sse_event` (`duration_ms`: how long it was waited
    for); a stream that breaks is reported with its error, then the error is raised."""
    iterator = aiter(events)
    asked = time.monotonic()
    while True:
        try:
            event = await anext(iterator)
        except StopAsyncIteration:
            return
        except Exception as exc:
            conversation.sse_event(None, elapsed_ms(asked), error=str(exc) or type(exc).__name__)
            raise
        waited = elapsed_ms(asked)
        kind = _kind(event)
        if kind in _LAST:
            _report(conversation, event, kind, waited)
            yield event
        else:
            yield event
            _report(conversation, event, kind, waited)
        asked = time.monotonic()
