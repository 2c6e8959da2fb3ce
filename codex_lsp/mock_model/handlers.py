"""Answering one model request: HTTP faults, non-streaming JSON, and scripted SSE streams.

Handles pacing (``delay_ms_between_events``), ``hang_after_events``, ``cut_after_events`` and
clients that go away mid-stream (recorded as ``RecordedRequest.client_disconnected``; never
logged as an error).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field

from codex_lsp.mock_model.chat_sse import ChatStream
from codex_lsp.mock_model.responses_sse import ResponsesStream
from codex_lsp.mock_model.script import (
    ContextLengthExceededFault,
    CutAfterEventsFault,
    HttpErrorFault,
    MockResponse,
)
from codex_lsp.mock_model.sse import (
    SseEvent,
    context_length_error_body,
    default_error_body,
    new_id,
)

__all__ = ["RecordedRequest", "Wire", "answer", "error_json", "parse_body"]

Wire = Literal["responses", "chat"]
_POLL_S = 0.01


class RecordedRequest(BaseModel):
    """One model request as the mock saw it (also served as JSON by ``GET /_mock/requests``).

    ``headers`` has lower-case keys; ``body`` is the parsed JSON (or the raw text if the body
    was not JSON, ``None`` if empty); ``received_at`` is ``time.monotonic()`` on arrival.
    ``status`` is the HTTP status answered, ``completed`` is set once the whole scripted answer
    was delivered, and ``client_disconnected`` once the client was seen going away mid-answer.
    """

    method: str
    path: str
    query: dict[str, str] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    wire: Wire
    received_at: float
    status: int | None = None
    completed: bool = False
    client_disconnected: bool = False


def parse_body(raw: bytes) -> Any:
    """Parse a request body as JSON, falling back to the raw text."""
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def error_json(
    status: int, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON error response with an OpenAI-style body by default."""
    all_headers = {"x-request-id": new_id("req_"), **(headers or {})}
    return web.json_response(
        body if body is not None else default_error_body(status), status=status, headers=all_headers
    )


def _client_gone(request: web.BaseRequest) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


async def answer(
    request: web.BaseRequest,
    record: RecordedRequest,
    script: MockResponse,
    wire: Wire,
    stopping: Callable[[], bool],
) -> web.StreamResponse:
    """Answer ``request`` according to ``script``; ``stopping()`` is true during shutdown."""
    fault = script.fault
    if isinstance(fault, HttpErrorFault):
        record.status = fault.status
        record.completed = True
        return error_json(fault.status, fault.body, {**script.headers, **fault.headers})
    body = record.body if isinstance(record.body, dict) else {}
    streaming = body.get("stream") is True
    if isinstance(fault, ContextLengthExceededFault) and (wire == "chat" or not streaming):
        record.status = 400
        record.completed = True
        return error_json(400, context_length_error_body(), script.headers)
    if not streaming:
        record.status = 200
        record.completed = True
        headers = {"x-request-id": new_id("req_"), **script.headers}
        return web.json_response(_non_streaming(script, body, wire), headers=headers)
    events = (
        ResponsesStream(script, body).events()
        if wire == "responses"
        else ChatStream(script, body).events()
    )
    return await _stream(request, record, script, events, stopping)


def _non_streaming(script: MockResponse, body: dict[str, Any], wire: Wire) -> dict[str, Any]:
    if wire == "chat":
        return ChatStream(script, body).completion()
    renderer = ResponsesStream(script, body)
    for _ in renderer.events():
        pass
    assert renderer.final_response is not None
    return renderer.final_response


async def _stream(
    request: web.BaseRequest,
    record: RecordedRequest,
    script: MockResponse,
    events: Iterator[SseEvent],
    stopping: Callable[[], bool],
) -> web.StreamResponse:
    response = web.StreamResponse(
        status=200,
        headers={
            "content-type": "text/event-stream; charset=utf-8",
            "cache-control": "no-cache",
            "x-request-id": new_id("req_"),
            **script.headers,
        },
    )
    record.status = 200
    delay = script.delay_ms_between_events / 1000.0
    cut = script.fault.events if isinstance(script.fault, CutAfterEventsFault) else None
    hang = script.hang_after_events
    sent = 0
    try:
        await response.prepare(request)
        while True:
            if sent > 0 and delay > 0:
                await _sleep_unless_stopping(delay, stopping)
            if _client_gone(request):
                record.client_disconnected = True
                return response
            if stopping() or (cut is not None and sent >= cut):
                _cut(request)
                return response
            # Pull the event only now, right before writing it (timestamped deltas).
            event = next(events, None)
            if event is None:
                break
            if hang is not None and sent == hang:
                await _hang(request, record, stopping)
                return response
            await response.write(event.encode())
            sent += 1
        if cut is not None:
            _cut(request)
            return response
        await response.write_eof()
        record.completed = True
    except ConnectionError:
        record.client_disconnected = True
    except asyncio.CancelledError:
        if _client_gone(request):
            record.client_disconnected = True
        raise
    return response


async def _sleep_unless_stopping(seconds: float, stopping: Callable[[], bool]) -> None:
    deadline = time.monotonic() + seconds
    while not stopping():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        await asyncio.sleep(min(remaining, 0.05))


def _cut(request: web.BaseRequest) -> None:
    """Close the connection after flushing what was written, without ending the body."""
    transport = request.transport
    if transport is not None:
        transport.close()


async def _hang(
    request: web.BaseRequest, record: RecordedRequest, stopping: Callable[[], bool]
) -> None:
    """Send nothing more; return once the client goes away (or the server stops)."""
    while not _client_gone(request):
        if stopping():
            _cut(request)
            return
        await asyncio.sleep(_POLL_S)
    record.client_disconnected = True
