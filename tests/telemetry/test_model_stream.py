"""`codex.sse_event` from the raw stream: kinds, waits, token counts, failures; each event
reported after the turn handled it, except the ones that end the stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from codex_lsp.core.telemetry import catalog
from codex_lsp.core.telemetry.model_stream import observe_stream
from codex_lsp.core.telemetry.sink import Conversation
from tests.telemetry.memory import MemoryPipeline

COMPLETED = {
    "type": "response.completed",
    "response": {
        "usage": {
            "input_tokens": 120,
            "input_tokens_details": {"cached_tokens": 100},
            "output_tokens": 40,
            "output_tokens_details": {"reasoning_tokens": 12},
            "total_tokens": 160,
        }
    },
}


async def _events(*events: Any, fail: Exception | None = None) -> AsyncIterator[Any]:
    for event in events:
        await asyncio.sleep(0)
        yield event
    if fail is not None:
        raise fail


def _conversation() -> tuple[Conversation, MemoryPipeline]:
    pipeline = MemoryPipeline()
    return Conversation(pipeline.emit, {"conversation.id": "t"}), pipeline


async def test_each_event_is_reported_once_handled() -> None:
    conversation, pipeline = _conversation()
    seen_before: list[int] = []
    stream = observe_stream(
        _events(
            {"type": "response.created"},
            {"type": "response.output_text.delta", "delta": "hi"},
            COMPLETED,
        ),
        conversation,
    )
    async for _event in stream:
        seen_before.append(len(pipeline.events))
    # created and delta: reported when the next is asked for; completed: before it is handed on
    assert seen_before == [0, 1, 3]
    kinds = [a["event.kind"] for a in pipeline.named(catalog.SSE_EVENT)]
    assert kinds == ["response.created", "response.output_text.delta", "response.completed"]
    done = pipeline.named(catalog.SSE_EVENT)[-1]
    assert (
        done["input_token_count"],
        done["cached_token_count"],
        done["output_token_count"],
        done["reasoning_token_count"],
        done["tool_token_count"],
    ) == (120, 100, 40, 12, 160)
    assert all(isinstance(a["duration_ms"], int) for a in pipeline.named(catalog.SSE_EVENT))


async def test_failures_carry_their_message() -> None:
    conversation, pipeline = _conversation()
    failed = {
        "type": "response.failed",
        "response": {"error": {"code": "server_error", "message": "boom"}},
    }
    async for _event in observe_stream(
        _events(failed, {"type": "error", "message": "rate limited"}), conversation
    ):
        pass
    first, second = pipeline.named(catalog.SSE_EVENT)
    assert (first["event.kind"], first["error.message"]) == ("response.failed", "boom")
    assert (second["event.kind"], second["error.message"]) == ("error", "rate limited")


async def test_a_broken_stream_is_reported_then_raised() -> None:
    conversation, pipeline = _conversation()
    with pytest.raises(ConnectionResetError):
        async for _event in observe_stream(
            _events(
                {"type": "response.created"},
                fail=ConnectionResetError("peer closed the connection"),
            ),
            conversation,
        ):
            pass
    created, broken = pipeline.named(catalog.SSE_EVENT)
    assert created["event.kind"] == "response.created"
    assert "event.kind" not in broken and broken["error.message"] == "peer closed the connection"


async def test_chat_chunks_report_their_object_and_usage() -> None:
    conversation, pipeline = _conversation()
    chunks = [
        {"object": "chat.completion.chunk", "choices": [{"delta": {"content": "hi"}}]},
        {
            "object": "chat.completion.chunk",
            "choices": [],
            "usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12},
        },
    ]
    async for _event in observe_stream(_events(*chunks), conversation):
        pass
    first, last = pipeline.named(catalog.SSE_EVENT)
    assert first["event.kind"] == last["event.kind"] == "chat.completion.chunk"
    assert "input_token_count" not in first
    assert (last["input_token_count"], last["output_token_count"], last["tool_token_count"]) == (
        9,
        3,
        12,
    )
    assert "cached_token_count" not in last  # unknown: left out
