"""Convenience constructors for common :class:`MockResponse` scripts."""

from __future__ import annotations

import json
from typing import Any

from codex_lsp.mock_model.script import (
    ContextLengthExceededFault,
    CustomToolCallItem,
    CutAfterEventsFault,
    FunctionCallItem,
    HttpErrorFault,
    MessageItem,
    MockResponse,
    MockUsage,
    ReasoningItem,
    new_call_id,
)

__all__ = [
    "context_exceeded_response",
    "custom_tool_call_response",
    "cut_response",
    "error_response",
    "hang_response",
    "reasoning_then_text",
    "text_response",
    "timestamped_deltas",
    "tool_call_response",
]

_LONG_TEXT = " ".join(f"word{i}" for i in range(60))


def text_response(
    text: str,
    *,
    chunks: list[str] | None = None,
    usage: MockUsage | None = None,
    delay_ms_between_events: float = 0.0,
    headers: dict[str, str] | None = None,
) -> MockResponse:
    """A single assistant message."""
    return MockResponse(
        items=[MessageItem(text=text, chunks=chunks)],
        usage=usage,
        delay_ms_between_events=delay_ms_between_events,
        headers=headers or {},
    )


def reasoning_then_text(
    summary: list[str],
    text: str,
    *,
    content: list[str] | None = None,
    encrypted_content: str | None = None,
    usage: MockUsage | None = None,
    delay_ms_between_events: float = 0.0,
) -> MockResponse:
    """A reasoning item (summary parts, optional raw content) followed by a message."""
    return MockResponse(
        items=[
            ReasoningItem(
                summary=summary, content=content or [], encrypted_content=encrypted_content
            ),
            MessageItem(text=text),
        ],
        usage=usage,
        delay_ms_between_events=delay_ms_between_events,
    )


def tool_call_response(
    name: str,
    args: dict[str, Any] | str,
    *,
    call_id: str | None = None,
    text_before: str | None = None,
    usage: MockUsage | None = None,
) -> MockResponse:
    """A function call (``args`` is a dict to JSON-encode, or an already-encoded string)."""
    arguments = args if isinstance(args, str) else json.dumps(args)
    items: list[MessageItem | FunctionCallItem] = []
    if text_before is not None:
        items.append(MessageItem(text=text_before))
    items.append(FunctionCallItem(name=name, arguments=arguments, call_id=call_id or new_call_id()))
    return MockResponse(items=list(items), usage=usage)


def custom_tool_call_response(
    name: str, input: str, *, call_id: str | None = None, usage: MockUsage | None = None
) -> MockResponse:
    """A custom (freeform) tool call, e.g. ``apply_patch`` with a raw patch as input."""
    item = CustomToolCallItem(name=name, input=input, call_id=call_id or new_call_id())
    return MockResponse(items=[item], usage=usage)


def error_response(
    status: int,
    retry_after: float | None = None,
    *,
    body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> MockResponse:
    """An HTTP error (OpenAI-style body unless ``body`` is given), e.g. 429 with retry-after."""
    fault_headers = dict(headers or {})
    if retry_after is not None:
        value = int(retry_after) if float(retry_after).is_integer() else retry_after
        fault_headers["retry-after"] = str(value)
    return MockResponse(fault=HttpErrorFault(status=status, body=body, headers=fault_headers))


def cut_response(after_events: int, text: str = _LONG_TEXT) -> MockResponse:
    """A message stream whose connection is cut after ``after_events`` SSE events."""
    return MockResponse(
        items=[MessageItem(text=text)], fault=CutAfterEventsFault(events=after_events)
    )


def hang_response(
    after_events: int, text: str = _LONG_TEXT, *, delay_ms_between_events: float = 0.0
) -> MockResponse:
    """A message stream that stops after ``after_events`` events and holds the connection."""
    return MockResponse(
        items=[MessageItem(text=text)],
        hang_after_events=after_events,
        delay_ms_between_events=delay_ms_between_events,
    )


def context_exceeded_response() -> MockResponse:
    """A context-window failure (Responses: ``response.failed``; chat: HTTP 400)."""
    return MockResponse(fault=ContextLengthExceededFault())


def timestamped_deltas(n: int, *, delay_ms_between_events: float = 0.0) -> MockResponse:
    """A message of ``n`` deltas, each ``<t=MONOTONIC_NS>`` stamped right before its write.

    ``time.monotonic_ns()`` is read when the server pulls the event, immediately before the
    socket write, so a receiver on the same machine can compute write-to-receipt latency. The
    completed message text is the concatenation of the deltas actually sent.
    """
    return MockResponse(
        items=[MessageItem(timestamp_deltas=n)], delay_ms_between_events=delay_ms_between_events
    )
