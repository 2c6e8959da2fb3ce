"""Render a :class:`MockResponse` as a Chat Completions (``POST /v1/chat/completions``) stream.

Chunks are ``data: {...}`` lines of ``chat.completion.chunk`` objects, ending with
``data: [DONE]``:

1. a role chunk (``delta: {"role": "assistant", "content": ""}``);
2. reasoning as ``delta.reasoning`` (the field Ollama / vLLM use for gpt-oss; the raw reasoning
   ``content`` of a reasoning item is streamed, or its ``summary`` parts if it has no content;
   successive parts are separated by a blank line);
3. message text as ``delta.content``;
4. tool calls as ``delta.tool_calls`` (first chunk carries index/id/type/name, later ones
   argument fragments). Custom tool calls have no chat-streaming equivalent in the SDK types
   and are rendered as function tool calls whose ``arguments`` is the raw ``input``;
5. a final chunk with ``finish_reason`` ``"tool_calls"`` or ``"stop"``;
6. a usage chunk (``choices: []``) when the request set ``stream_options.include_usage``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from codex_lsp.mock_model.responses_sse import message_deltas
from codex_lsp.mock_model.script import (
    CustomToolCallItem,
    FunctionCallItem,
    MessageItem,
    MockResponse,
    MockUsage,
    ReasoningItem,
    ResolvedUsage,
    WebSearchCallItem,
    estimate_tokens,
    split_chunks,
    split_fixed,
)
from codex_lsp.mock_model.sse import DONE, SseEvent, input_estimate, new_id

__all__ = ["ChatStream"]


class ChatStream:
    """Stateful renderer of one Chat Completions stream for one request."""

    def __init__(self, script: MockResponse, request_body: Any) -> None:
        self.script = script
        self.body: dict[str, Any] = request_body if isinstance(request_body, dict) else {}
        self.completion_id = new_id("chatcmpl-")
        self.model = script.model or str(self.body.get("model") or "mock-model")
        self.created = int(time.time())
        options = self.body.get("stream_options")
        self.include_usage = isinstance(options, dict) and options.get("include_usage") is True
        self.content: list[str] = []
        self.reasoning: list[str] = []
        self.tool_calls: list[dict[str, Any]] = []

    def _base(self, object_: str) -> dict[str, Any]:
        return {
            "id": self.completion_id,
            "object": object_,
            "created": self.created,
            "model": self.model,
            "system_fingerprint": "fp_mock",
        }

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> SseEvent:
        data = self._base("chat.completion.chunk")
        data["choices"] = [
            {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        ]
        if self.include_usage:
            data["usage"] = None
        return SseEvent(data)

    def usage(self) -> ResolvedUsage:
        """Resolved usage for what has been rendered so far."""
        tool_text = "".join(
            c["function"]["name"] + c["function"]["arguments"] for c in self.tool_calls
        )
        return (self.script.usage or MockUsage()).resolve(
            input_estimate=input_estimate(self.body),
            output_estimate=estimate_tokens("".join(self.content) + tool_text),
            reasoning_estimate=estimate_tokens("".join(self.reasoning)),
        )

    def events(self) -> Iterator[SseEvent]:
        """Yield every SSE chunk of the stream (ending with ``[DONE]``), lazily."""
        yield self._chunk({"role": "assistant", "content": "", "refusal": None})
        for item in self.script.items:
            if isinstance(item, MessageItem):
                for delta in message_deltas(item):
                    self.content.append(delta)
                    yield self._chunk({"content": delta})
            elif isinstance(item, ReasoningItem):
                for i, part in enumerate(item.content or item.summary):
                    for j, delta in enumerate(split_chunks(part)):
                        text = "\n\n" + delta if (i > 0 or self.reasoning) and j == 0 else delta
                        self.reasoning.append(text)
                        yield self._chunk({"reasoning": text})
            elif isinstance(item, WebSearchCallItem):
                continue  # no hosted web search on the chat wire
            else:
                yield from self._tool_call(item)
        finish = "tool_calls" if self.tool_calls else "stop"
        yield self._chunk({}, finish)
        if self.include_usage:
            data = self._base("chat.completion.chunk")
            data["choices"] = []
            data["usage"] = self.usage().chat_json()
            yield SseEvent(data)
        yield DONE

    def _tool_call(self, item: FunctionCallItem | CustomToolCallItem) -> Iterator[SseEvent]:
        index = len(self.tool_calls)
        arguments = item.arguments if isinstance(item, FunctionCallItem) else item.input
        self.tool_calls.append(
            {
                "id": item.call_id,
                "type": "function",
                "function": {"name": item.name, "arguments": arguments},
            }
        )
        head = {
            "index": index,
            "id": item.call_id,
            "type": "function",
            "function": {"name": item.name, "arguments": ""},
        }
        yield self._chunk({"tool_calls": [head]})
        for delta in split_fixed(arguments):
            yield self._chunk({"tool_calls": [{"index": index, "function": {"arguments": delta}}]})

    def completion(self) -> dict[str, Any]:
        """Render the whole script as a non-streaming ``chat.completion`` object."""
        for _ in self.events():
            pass
        message: dict[str, Any] = {
            "role": "assistant",
            "content": "".join(self.content) if self.content or not self.tool_calls else None,
            "refusal": None,
        }
        if self.reasoning:
            message["reasoning"] = "".join(self.reasoning)
        if self.tool_calls:
            message["tool_calls"] = self.tool_calls
        data = self._base("chat.completion")
        data["choices"] = [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": "tool_calls" if self.tool_calls else "stop",
            }
        ]
        data["usage"] = self.usage().chat_json()
        return data
