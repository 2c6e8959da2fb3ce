"""The Chat Completions wire (``POST /v1/chat/completions``), through the real openai SDK."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import openai
import pytest
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletionChunk

from codex_lsp.mock_model import (
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
    text_response,
)

from .helpers import collect, json_events, raw_sse, within

MESSAGES: list[Any] = [{"role": "user", "content": "hi"}]


async def chat_chunks(client: AsyncOpenAI, *, usage: bool = True) -> list[ChatCompletionChunk]:
    if usage:
        stream = await within(
            client.chat.completions.create(
                model="mock-model",
                messages=MESSAGES,
                stream=True,
                stream_options={"include_usage": True},
            )
        )
    else:
        stream = await within(
            client.chat.completions.create(model="mock-model", messages=MESSAGES, stream=True)
        )
    return await collect(stream)


def reasoning_of(chunk: ChatCompletionChunk) -> str:
    if not chunk.choices or chunk.choices[0].delta.model_extra is None:
        return ""
    value = chunk.choices[0].delta.model_extra.get("reasoning")
    return value if isinstance(value, str) else ""


async def test_reasoning_text_tool_calls_and_usage(
    server: MockModelServer, client: AsyncOpenAI
) -> None:
    args = json.dumps({"command": ["bash", "-lc", "echo hello world"]})
    server.enqueue(
        MockResponse(
            items=[
                ReasoningItem(summary=["ignored summary"], content=["let me think about it"]),
                MessageItem(text="I will run a command for you now."),
                FunctionCallItem(name="shell", arguments=args, call_id="call_a"),
                FunctionCallItem(name="read", arguments='{"path": "x"}', call_id="call_b"),
            ],
            usage=MockUsage(input_tokens=300, cached_input_tokens=100, reasoning_output_tokens=7),
        )
    )
    chunks = await chat_chunks(client)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert len({c.id for c in chunks}) == 1 and chunks[0].id.startswith("chatcmpl-")

    assert "".join(reasoning_of(c) for c in chunks) == "let me think about it"
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content == "I will run a command for you now."

    calls: dict[int, dict[str, str]] = {}
    for chunk in chunks:
        for call in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            entry = calls.setdefault(call.index, {"id": "", "name": "", "arguments": ""})
            entry["id"] += call.id or ""
            if call.function is not None:
                entry["name"] += call.function.name or ""
                entry["arguments"] += call.function.arguments or ""
    assert calls == {
        0: {"id": "call_a", "name": "shell", "arguments": args},
        1: {"id": "call_b", "name": "read", "arguments": '{"path": "x"}'},
    }

    finals = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert [c.choices[0].finish_reason for c in finals] == ["tool_calls"]
    usage_chunk = chunks[-1]
    assert usage_chunk.choices == [] and usage_chunk.usage is not None
    assert usage_chunk.usage.prompt_tokens == 300
    assert usage_chunk.usage.prompt_tokens_details is not None
    assert usage_chunk.usage.prompt_tokens_details.cached_tokens == 100
    assert usage_chunk.usage.completion_tokens_details is not None
    assert usage_chunk.usage.completion_tokens_details.reasoning_tokens == 7
    assert usage_chunk.usage.total_tokens == 300 + usage_chunk.usage.completion_tokens


async def test_summary_used_when_no_raw_reasoning(
    server: MockModelServer, client: AsyncOpenAI
) -> None:
    server.enqueue(
        MockResponse(items=[ReasoningItem(summary=["part one", "part two"]), MessageItem(text="x")])
    )
    chunks = await chat_chunks(client)
    assert "".join(reasoning_of(c) for c in chunks) == "part one\n\npart two"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"


async def test_no_usage_chunk_unless_requested(server: MockModelServer) -> None:
    server.enqueue(text_response("hello there"))
    pairs = await raw_sse(
        f"{server.url}/chat/completions", {"model": "m", "messages": MESSAGES, "stream": True}
    )
    assert pairs[-1] == (None, "[DONE]")
    assert all(event is None for event, _ in pairs)
    data = json_events(pairs)
    assert all("usage" not in d for d in data)
    assert all(d["object"] == "chat.completion.chunk" for d in data)


async def test_custom_tool_call_rendered_as_function(
    server: MockModelServer, client: AsyncOpenAI
) -> None:
    server.enqueue(
        MockResponse(items=[CustomToolCallItem(name="apply_patch", input="PATCH", call_id="c1")])
    )
    chunks = await chat_chunks(client, usage=False)
    calls = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or []]
    assert calls[0].id == "c1" and calls[0].function is not None
    assert calls[0].function.name == "apply_patch"
    assert "".join(tc.function.arguments or "" for tc in calls if tc.function) == "PATCH"


async def test_context_length_exceeded_is_http_400(
    server: MockModelServer, client: AsyncOpenAI
) -> None:
    server.enqueue(context_exceeded_response())
    with pytest.raises(openai.BadRequestError) as info:
        await chat_chunks(client)
    assert info.value.status_code == 400
    assert info.value.code == "context_length_exceeded"
    assert info.value.type == "invalid_request_error"


async def test_rate_limit_error(server: MockModelServer, client: AsyncOpenAI) -> None:
    server.enqueue(error_response(429, retry_after=2.5))
    with pytest.raises(openai.RateLimitError) as info:
        await chat_chunks(client)
    assert info.value.response.headers["retry-after"] == "2.5"


async def test_cut_after_events(server: MockModelServer, client: AsyncOpenAI) -> None:
    server.enqueue(cut_response(3))
    stream = await within(client.chat.completions.create(model="m", messages=MESSAGES, stream=True))
    received: list[ChatCompletionChunk] = []
    with pytest.raises(openai.APIConnectionError):
        async with asyncio.timeout(10):
            async for chunk in stream:
                received.append(chunk)
    assert len(received) == 3


async def test_hang_then_disconnect(server: MockModelServer, client: AsyncOpenAI) -> None:
    server.enqueue(hang_response(2))
    stream = await within(client.chat.completions.create(model="m", messages=MESSAGES, stream=True))
    async with asyncio.timeout(10):
        async for _ in stream:
            break
    await within(stream.close())
    record = await server.wait_for_disconnect(timeout=10)
    assert record.wire == "chat" and not record.completed


async def test_non_streaming_completion(server: MockModelServer, client: AsyncOpenAI) -> None:
    server.enqueue(
        MockResponse(
            items=[
                ReasoningItem(content=["hmm"]),
                MessageItem(text="plain answer"),
                FunctionCallItem(name="f", arguments="{}", call_id="call_z"),
            ]
        )
    )
    completion = await within(client.chat.completions.create(model="m", messages=MESSAGES))
    choice = completion.choices[0]
    assert choice.message.content == "plain answer"
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls is not None and choice.message.tool_calls[0].id == "call_z"
    assert completion.usage is not None and completion.usage.total_tokens > 0
