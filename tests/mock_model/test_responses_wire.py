"""The Responses API wire (``POST /v1/responses``), exercised through the real openai SDK."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import get_args

import openai
import pytest
from openai import AsyncOpenAI
from openai.types.responses import (
    ResponseCompletedEvent,
    ResponseCustomToolCall,
    ResponseCustomToolCallInputDeltaEvent,
    ResponseFailedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionToolCall,
    ResponseOutputItemDoneEvent,
    ResponseOutputMessage,
    ResponseReasoningItem,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseReasoningTextDeltaEvent,
    ResponseStreamEvent,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
)
from pydantic import TypeAdapter

from codex_lsp.mock_model import (
    NO_SCRIPT_TEXT,
    CustomToolCallItem,
    FunctionCallItem,
    MessageItem,
    MockModelServer,
    MockResponse,
    MockUsage,
    ReasoningItem,
    context_exceeded_response,
    cut_response,
    error_response,
    hang_response,
    reasoning_then_text,
    text_response,
    timestamped_deltas,
)

from .helpers import collect, json_events, raw_sse, within

EVENT_ADAPTER: TypeAdapter[ResponseStreamEvent] = TypeAdapter(ResponseStreamEvent)


async def stream_events(client: AsyncOpenAI) -> list[ResponseStreamEvent]:
    stream = await within(client.responses.create(model="mock-model", input="hi", stream=True))
    return await collect(stream)


def completed(events: list[ResponseStreamEvent]) -> ResponseCompletedEvent:
    last = events[-1]
    assert isinstance(last, ResponseCompletedEvent)
    return last


async def test_text_and_reasoning_stream(server: MockModelServer, client: AsyncOpenAI) -> None:
    server.enqueue(
        reasoning_then_text(
            summary=["**Planning** the answer carefully", "Second part"],
            content=["raw chain of thought here"],
            encrypted_content="gAAAA-encrypted",
            text="Hello there, this is the mock model speaking.",
        )
    )
    events = await stream_events(client)
    types = [e.type for e in events]
    assert types[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    # Every event validated strictly into its own SDK class.
    for event in events:
        assert get_args(type(event).model_fields["type"].annotation) == (event.type,)

    deltas = [e.delta for e in events if isinstance(e, ResponseTextDeltaEvent)]
    assert len(deltas) > 1
    (done,) = [e for e in events if isinstance(e, ResponseTextDoneEvent)]
    assert "".join(deltas) == done.text == "Hello there, this is the mock model speaking."

    summary_deltas = [e for e in events if isinstance(e, ResponseReasoningSummaryTextDeltaEvent)]
    assert "".join(e.delta for e in summary_deltas if e.summary_index == 0) == (
        "**Planning** the answer carefully"
    )
    assert "".join(e.delta for e in summary_deltas if e.summary_index == 1) == "Second part"
    raw = [e.delta for e in events if isinstance(e, ResponseReasoningTextDeltaEvent)]
    assert "".join(raw) == "raw chain of thought here"

    items = [e.item for e in events if isinstance(e, ResponseOutputItemDoneEvent)]
    reasoning, message = items
    assert isinstance(reasoning, ResponseReasoningItem) and reasoning.id.startswith("rs_")
    assert reasoning.encrypted_content == "gAAAA-encrypted"
    assert [s.text for s in reasoning.summary] == [
        "**Planning** the answer carefully",
        "Second part",
    ]
    assert isinstance(message, ResponseOutputMessage) and message.id.startswith("msg_")
    assert message.status == "completed"

    final = completed(events).response
    assert final.id.startswith("resp_") and final.status == "completed"
    assert final.output_text == "Hello there, this is the mock model speaking."
    assert len(final.output) == 2


async def test_raw_events_validate_against_sdk_union(server: MockModelServer) -> None:
    """Independently of the SDK's decoder: every raw event validates into the typed union."""
    server.enqueue(
        MockResponse(
            items=[
                ReasoningItem(summary=["a b c d"], content=["x y"]),
                MessageItem(text="one two three four"),
                FunctionCallItem(name="f", arguments='{"k": "v"}', call_id="call_1"),
                CustomToolCallItem(name="apply_patch", input="*** Begin Patch", call_id="c2"),
            ]
        )
    )
    pairs = await raw_sse(f"{server.url}/responses", {"model": "m", "input": "x", "stream": True})
    for (event_name, _), data in zip(pairs, json_events(pairs), strict=True):
        assert event_name == data["type"]
        parsed = EVENT_ADAPTER.validate_python(data, strict=False)
        assert parsed.type == data["type"]


async def test_function_and_custom_tool_calls(server: MockModelServer, client: AsyncOpenAI) -> None:
    args = json.dumps({"command": ["bash", "-lc", "ls -la && echo done"], "workdir": "/tmp"})
    patch = "*** Begin Patch\n*** Add File: a.txt\n+hello\n*** End Patch\n"
    server.enqueue(
        MockResponse(
            items=[
                FunctionCallItem(name="shell", arguments=args, call_id="call_fn"),
                CustomToolCallItem(name="apply_patch", input=patch, call_id="call_custom"),
            ]
        )
    )
    events = await stream_events(client)
    arg_deltas = [e.delta for e in events if isinstance(e, ResponseFunctionCallArgumentsDeltaEvent)]
    assert len(arg_deltas) > 1 and "".join(arg_deltas) == args
    input_deltas = [e.delta for e in events if isinstance(e, ResponseCustomToolCallInputDeltaEvent)]
    assert len(input_deltas) > 1 and "".join(input_deltas) == patch

    fn, custom = completed(events).response.output
    assert isinstance(fn, ResponseFunctionToolCall)
    assert (fn.name, fn.arguments, fn.call_id) == ("shell", args, "call_fn")
    assert fn.id is not None and fn.id.startswith("fc_")
    assert isinstance(custom, ResponseCustomToolCall)
    assert (custom.name, custom.input, custom.call_id) == ("apply_patch", patch, "call_custom")


async def test_usage_explicit_and_computed(server: MockModelServer, client: AsyncOpenAI) -> None:
    server.enqueue(
        text_response(
            "hi",
            usage=MockUsage(
                input_tokens=1000,
                cached_input_tokens=800,
                output_tokens=50,
                reasoning_output_tokens=20,
            ),
        ),
        reasoning_then_text(summary=["some reasoning text"], text="some answer text"),
    )
    usage = completed(await stream_events(client)).response.usage
    assert usage is not None
    assert usage.input_tokens == 1000
    assert usage.input_tokens_details.cached_tokens == 800
    assert usage.output_tokens == 50
    assert usage.output_tokens_details.reasoning_tokens == 20
    assert usage.total_tokens == 1050

    computed = completed(await stream_events(client)).response.usage
    assert computed is not None
    assert computed.input_tokens > 0 and computed.output_tokens_details.reasoning_tokens > 0
    assert computed.output_tokens > computed.output_tokens_details.reasoning_tokens
    assert computed.total_tokens == computed.input_tokens + computed.output_tokens


async def test_sdk_stream_helper_accumulates(server: MockModelServer, client: AsyncOpenAI) -> None:
    server.enqueue(reasoning_then_text(summary=["think"], text="accumulated answer text"))

    async def run() -> str:
        async with client.responses.stream(model="mock-model", input="hi") as stream:
            final = await stream.get_final_response()
        return final.output_text

    assert await within(run()) == "accumulated answer text"


async def test_http_error_429_is_rate_limit_error(
    server: MockModelServer, client: AsyncOpenAI
) -> None:
    server.enqueue(error_response(429, retry_after=1))
    with pytest.raises(openai.RateLimitError) as info:
        await stream_events(client)
    assert info.value.status_code == 429
    assert info.value.response.headers["retry-after"] == "1"
    assert info.value.code == "rate_limit_exceeded"
    assert isinstance(info.value.body, dict) and "message" in info.value.body


async def test_http_error_500_custom_body(server: MockModelServer, client: AsyncOpenAI) -> None:
    server.enqueue(error_response(500), error_response(503, body={"error": {"message": "busy"}}))
    with pytest.raises(openai.InternalServerError) as info:
        await stream_events(client)
    assert info.value.status_code == 500 and info.value.type == "server_error"
    with pytest.raises(openai.InternalServerError) as info:
        await stream_events(client)
    assert info.value.status_code == 503 and info.value.message.endswith("busy")


async def test_cut_after_events(server: MockModelServer, client: AsyncOpenAI) -> None:
    server.enqueue(cut_response(5))
    stream = await within(client.responses.create(model="m", input="hi", stream=True))
    received: list[ResponseStreamEvent] = []
    with pytest.raises(openai.APIConnectionError):
        async with asyncio.timeout(10):
            async for event in stream:
                received.append(event)
    assert len(received) == 5
    assert not any(isinstance(e, ResponseCompletedEvent) for e in received)
    (record,) = await server.wait_for_requests(1)
    assert not record.completed and not record.client_disconnected


async def test_context_length_exceeded_stream(
    server: MockModelServer, lenient_client: AsyncOpenAI
) -> None:
    # The SDK's ResponseError.code Literal lacks "context_length_exceeded" (the real API sends
    # it anyway), so this one test uses the SDK's default non-strict parsing.
    server.enqueue(context_exceeded_response())
    events = await stream_events(lenient_client)
    assert [e.type for e in events] == [
        "response.created",
        "response.in_progress",
        "response.failed",
    ]
    failed = events[-1]
    assert isinstance(failed, ResponseFailedEvent)
    assert failed.response.status == "failed"
    assert failed.response.error is not None
    assert failed.response.error.code == "context_length_exceeded"  # type: ignore[comparison-overlap]
    assert failed.response.error.message == (
        "Your input exceeds the context window of this model. Please adjust your input and try "
        "again."
    )


async def test_hang_then_client_disconnect_is_recorded(
    server: MockModelServer, client: AsyncOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    server.enqueue(hang_response(4))
    stream = await within(client.responses.create(model="m", input="hi", stream=True))
    received: list[str] = []
    async with asyncio.timeout(10):
        async for event in stream:
            received.append(event.type)
            if len(received) == 4:
                break
    await within(stream.close())
    record = await server.wait_for_disconnect(timeout=10)
    assert not record.completed
    assert received[-1] == "response.content_part.added"
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


async def test_delay_between_events(server: MockModelServer, client: AsyncOpenAI) -> None:
    server.enqueue(text_response("a b c d e f g h i", delay_ms_between_events=20))
    start = time.monotonic()
    events = await stream_events(client)
    assert time.monotonic() - start >= 0.02 * (len(events) - 1) * 0.9


async def test_timestamped_deltas(server: MockModelServer, client: AsyncOpenAI) -> None:
    server.enqueue(timestamped_deltas(20))
    stream = await within(client.responses.create(model="m", input="hi", stream=True))
    latencies: list[int] = []
    deltas: list[str] = []
    events: list[ResponseStreamEvent] = []
    async with asyncio.timeout(10):
        async for event in stream:
            events.append(event)
            if isinstance(event, ResponseTextDeltaEvent):
                received = time.monotonic_ns()
                match = re.fullmatch(r"<t=(\d+)>", event.delta)
                assert match is not None
                latencies.append(received - int(match.group(1)))
                deltas.append(event.delta)
    assert len(deltas) == 20
    assert all(0 <= lat < 5_000_000_000 for lat in latencies)
    stamps = [int(d[3:-1]) for d in deltas]
    assert stamps == sorted(stamps)
    assert completed(events).response.output_text == "".join(deltas)


async def test_empty_queue_answers_with_placeholder(
    server: MockModelServer, client: AsyncOpenAI
) -> None:
    assert completed(await stream_events(client)).response.output_text == NO_SCRIPT_TEXT
    server.default = text_response("default answer")
    assert completed(await stream_events(client)).response.output_text == "default answer"
    server.enqueue(text_response("queued"))
    assert completed(await stream_events(client)).response.output_text == "queued"
    assert completed(await stream_events(client)).response.output_text == "default answer"


async def test_non_streaming_request(server: MockModelServer, client: AsyncOpenAI) -> None:
    server.enqueue(text_response("not streamed"))
    response = await within(client.responses.create(model="m", input="hi"))
    assert response.output_text == "not streamed"
    assert response.status == "completed"


async def test_response_headers_are_sent(server: MockModelServer, client: AsyncOpenAI) -> None:
    headers = {
        "x-codex-primary-used-percent": "42.5",
        "x-codex-primary-window-minutes": "300",
        "x-codex-primary-reset-at": "1700000000",
        "x-codex-credits-has-credits": "true",
    }
    server.enqueue(text_response("hi", headers=headers))
    raw = await within(
        client.responses.with_raw_response.create(model="m", input="hi", stream=True)
    )
    for key, value in headers.items():
        assert raw.headers[key] == value
    assert raw.headers["x-request-id"].startswith("req_")
    events = await collect(raw.parse())
    assert completed(events).response.output_text == "hi"


async def test_hang_before_first_event_still_sends_headers(
    server: MockModelServer, client: AsyncOpenAI
) -> None:
    server.enqueue(hang_response(0))
    stream = await within(client.responses.create(model="m", input="hi", stream=True))
    assert stream.response.status_code == 200
    await within(stream.close())
    record = await server.wait_for_disconnect(timeout=10)
    assert record.status == 200 and not record.completed


async def test_disconnect_during_paced_stream(
    server: MockModelServer, client: AsyncOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    server.enqueue(text_response(" ".join(["word"] * 200), delay_ms_between_events=20))
    stream = await within(client.responses.create(model="m", input="hi", stream=True))
    seen = 0
    async with asyncio.timeout(10):
        async for event in stream:
            seen += 1
            if isinstance(event, ResponseTextDeltaEvent):
                break
    await within(stream.close())
    record = await server.wait_for_disconnect(timeout=10)
    assert not record.completed and seen >= 5
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
