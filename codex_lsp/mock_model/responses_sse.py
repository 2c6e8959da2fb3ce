"""Render a :class:`MockResponse` as an OpenAI Responses API (``POST /v1/responses``) stream.

Events are produced lazily by :meth:`ResponsesStream.events`; the server pulls each event right
before writing it, which is what makes ``timestamp_deltas`` stamps accurate. Event order:

``response.created``, ``response.in_progress``, then per output item
``response.output_item.added`` ... item-specific events ... ``response.output_item.done``, and
finally ``response.completed`` (or ``response.failed`` for a context-length fault).
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from typing import Any

from codex_lsp.mock_model.script import (
    ContextLengthExceededFault,
    CustomToolCallItem,
    FunctionCallItem,
    MessageItem,
    MockResponse,
    MockUsage,
    ReasoningItem,
    WebSearchCallItem,
    estimate_tokens,
    split_chunks,
    split_fixed,
)
from codex_lsp.mock_model.sse import (
    CONTEXT_LENGTH_EXCEEDED_MESSAGE,
    SseEvent,
    input_estimate,
    new_id,
)

__all__ = ["ResponsesStream", "message_deltas"]

_TOOL_CHOICES = {"none", "auto", "required"}
_ItemEvents = Generator[SseEvent, None, dict[str, Any]]


def message_deltas(item: MessageItem) -> Iterator[str]:
    """Yield a message's deltas lazily (timestamps are taken when each delta is pulled)."""
    if item.timestamp_deltas is not None:
        for _ in range(item.timestamp_deltas):
            yield f"<t={time.monotonic_ns()}>"
        return
    yield from item.deltas()


class ResponsesStream:
    """Stateful renderer of one Responses API stream for one request."""

    def __init__(self, script: MockResponse, request_body: Any) -> None:
        self.script = script
        self.body: dict[str, Any] = request_body if isinstance(request_body, dict) else {}
        self.response_id = new_id("resp_")
        self.model = script.model or str(self.body.get("model") or "mock-model")
        self.created_at = int(time.time())
        self.final_response: dict[str, Any] | None = None
        self._seq = 0
        self._output_chars: list[str] = []
        self._reasoning_chars: list[str] = []

    # -- helpers -----------------------------------------------------------------------------

    def _event(self, type_: str, **fields: Any) -> SseEvent:
        data = {"type": type_, "sequence_number": self._seq, **fields}
        self._seq += 1
        return SseEvent(data, event=type_)

    def response_object(
        self,
        status: str,
        *,
        output: list[dict[str, Any]] | None = None,
        usage: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A full ``response`` object as carried by lifecycle events."""
        instructions = self.body.get("instructions")
        tool_choice = self.body.get("tool_choice")
        obj: dict[str, Any] = {
            "id": self.response_id,
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "error": error,
            "incomplete_details": None,
            "instructions": instructions if isinstance(instructions, str) else None,
            "metadata": {},
            "model": self.model,
            "output": output if output is not None else [],
            "parallel_tool_calls": bool(self.body.get("parallel_tool_calls", True)),
            "previous_response_id": None,
            "tool_choice": tool_choice if tool_choice in _TOOL_CHOICES else "auto",
            "tools": [],
            "usage": usage,
        }
        if status == "completed":
            obj["completed_at"] = int(time.time())
        return obj

    # -- the stream --------------------------------------------------------------------------

    def events(self) -> Iterator[SseEvent]:
        """Yield every SSE event of the stream, lazily."""
        yield self._event("response.created", response=self.response_object("in_progress"))
        yield self._event("response.in_progress", response=self.response_object("in_progress"))
        if isinstance(self.script.fault, ContextLengthExceededFault):
            error = {"code": "context_length_exceeded", "message": CONTEXT_LENGTH_EXCEEDED_MESSAGE}
            yield self._event(
                "response.failed", response=self.response_object("failed", error=error)
            )
            return
        output: list[dict[str, Any]] = []
        for index, item in enumerate(self.script.items):
            if isinstance(item, MessageItem):
                done = yield from self._message(index, item)
            elif isinstance(item, ReasoningItem):
                done = yield from self._reasoning(index, item)
            elif isinstance(item, FunctionCallItem):
                done = yield from self._function_call(index, item)
            elif isinstance(item, WebSearchCallItem):
                done = yield from self._web_search_call(index, item)
            else:
                done = yield from self._custom_tool_call(index, item)
            output.append(done)
        usage = (self.script.usage or MockUsage()).resolve(
            input_estimate=input_estimate(self.body),
            output_estimate=estimate_tokens("".join(self._output_chars)),
            reasoning_estimate=estimate_tokens("".join(self._reasoning_chars)),
        )
        self.final_response = self.response_object(
            "completed", output=output, usage=usage.responses_json()
        )
        yield self._event("response.completed", response=self.final_response)

    def _added(self, index: int, item: dict[str, Any]) -> SseEvent:
        return self._event("response.output_item.added", output_index=index, item=item)

    def _done(self, index: int, item: dict[str, Any]) -> SseEvent:
        return self._event("response.output_item.done", output_index=index, item=item)

    def _message(self, index: int, item: MessageItem) -> _ItemEvents:
        item_id = item.id or new_id("msg_")
        base = {"id": item_id, "type": "message", "role": "assistant"}
        yield self._added(index, {**base, "status": "in_progress", "content": []})
        loc = {"item_id": item_id, "output_index": index, "content_index": 0}
        empty_part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        yield self._event("response.content_part.added", **loc, part=empty_part)
        sent: list[str] = []
        for delta in message_deltas(item):
            sent.append(delta)
            yield self._event("response.output_text.delta", **loc, delta=delta, logprobs=[])
        text = "".join(sent)
        self._output_chars.append(text)
        yield self._event("response.output_text.done", **loc, text=text, logprobs=[])
        part = {**empty_part, "text": text}
        yield self._event("response.content_part.done", **loc, part=part)
        done = {**base, "status": "completed", "content": [part]}
        yield self._done(index, done)
        return done

    def _reasoning(self, index: int, item: ReasoningItem) -> _ItemEvents:
        item_id = item.id or new_id("rs_")
        yield self._added(index, {"id": item_id, "type": "reasoning", "summary": []})
        loc = {"item_id": item_id, "output_index": index}
        for s_index, summary in enumerate(item.summary):
            sloc = {**loc, "summary_index": s_index}
            empty = {"type": "summary_text", "text": ""}
            yield self._event("response.reasoning_summary_part.added", **sloc, part=empty)
            for delta in split_chunks(summary):
                yield self._event("response.reasoning_summary_text.delta", **sloc, delta=delta)
            yield self._event("response.reasoning_summary_text.done", **sloc, text=summary)
            part = {"type": "summary_text", "text": summary}
            yield self._event("response.reasoning_summary_part.done", **sloc, part=part)
        for c_index, content in enumerate(item.content):
            cloc = {**loc, "content_index": c_index}
            empty = {"type": "reasoning_text", "text": ""}
            yield self._event("response.content_part.added", **cloc, part=empty)
            for delta in split_chunks(content):
                yield self._event("response.reasoning_text.delta", **cloc, delta=delta)
            yield self._event("response.reasoning_text.done", **cloc, text=content)
            part = {"type": "reasoning_text", "text": content}
            yield self._event("response.content_part.done", **cloc, part=part)
        self._reasoning_chars.extend(item.summary)
        self._reasoning_chars.extend(item.content)
        done: dict[str, Any] = {
            "id": item_id,
            "type": "reasoning",
            "summary": [{"type": "summary_text", "text": s} for s in item.summary],
        }
        if item.content:
            done["content"] = [{"type": "reasoning_text", "text": c} for c in item.content]
        if item.encrypted_content is not None:
            done["encrypted_content"] = item.encrypted_content
        yield self._done(index, done)
        return done

    def _function_call(self, index: int, item: FunctionCallItem) -> _ItemEvents:
        item_id = item.id or new_id("fc_")
        base = {"id": item_id, "type": "function_call", "call_id": item.call_id, "name": item.name}
        yield self._added(index, {**base, "status": "in_progress", "arguments": ""})
        loc = {"item_id": item_id, "output_index": index}
        for delta in split_fixed(item.arguments):
            yield self._event("response.function_call_arguments.delta", **loc, delta=delta)
        yield self._event("response.function_call_arguments.done", **loc, arguments=item.arguments)
        self._output_chars.append(item.name + item.arguments)
        done = {**base, "status": "completed", "arguments": item.arguments}
        yield self._done(index, done)
        return done

    def _custom_tool_call(self, index: int, item: CustomToolCallItem) -> _ItemEvents:
        item_id = item.id or new_id("ctc_")
        base = {"id": item_id, "type": "custom_tool_call", "call_id": item.call_id}
        yield self._added(index, {**base, "name": item.name, "input": ""})
        loc = {"item_id": item_id, "output_index": index}
        for delta in split_fixed(item.input):
            yield self._event("response.custom_tool_call_input.delta", **loc, delta=delta)
        yield self._event("response.custom_tool_call_input.done", **loc, input=item.input)
        self._output_chars.append(item.name + item.input)
        done = {**base, "name": item.name, "input": item.input}
        yield self._done(index, done)
        return done

    def _web_search_call(self, index: int, item: WebSearchCallItem) -> _ItemEvents:
        item_id = item.id or new_id("ws_")
        base = {"id": item_id, "type": "web_search_call"}
        # The query is known once the search is done; the added item names the action only.
        action = item.done_action()
        begun = {"type": action.get("type", "search")}
        yield self._added(index, {**base, "status": "in_progress", "action": begun})
        loc = {"item_id": item_id, "output_index": index}
        for stage in ("in_progress", "searching", "completed"):
            yield self._event(f"response.web_search_call.{stage}", **loc)
        done = {**base, "status": "completed", "action": action}
        yield self._done(index, done)
        return done
