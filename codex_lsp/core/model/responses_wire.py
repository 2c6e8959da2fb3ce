"""Stream one request over the Responses API (`wire_api = "responses"`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from .errors import ModelError
from .prompt import Prompt
from .stream_events import (
    Completed,
    ModelEvent,
    OutputItemAdded,
    OutputItemDone,
    ReasoningDelta,
    SummaryDelta,
    SummaryPartAdded,
    TextDelta,
    Usage,
)


def request_body(prompt: Prompt) -> dict[str, Any]:
    """Keyword arguments of `responses.create` for this prompt."""
    body: dict[str, Any] = {
        "model": prompt.model,
        "instructions": prompt.instructions,
        "input": prompt.input,
        "store": False,
        "stream": True,
    }
    if prompt.tools:
        body["tools"] = prompt.tools
        body["tool_choice"] = "auto"
        body["parallel_tool_calls"] = prompt.parallel_tool_calls
    if prompt.wants_reasoning():
        reasoning: dict[str, Any] = {}
        if prompt.reasoning_effort:
            reasoning["effort"] = prompt.reasoning_effort
        if prompt.reasoning_summary and prompt.reasoning_summary != "none":
            reasoning["summary"] = prompt.reasoning_summary
        body["reasoning"] = reasoning
        body["include"] = ["reasoning.encrypted_content"]
    if prompt.output_schema is not None:
        body["text"] = {
            "format": {
                "type": "json_schema",
                "name": "codex_output_schema",
                "schema": prompt.output_schema,
                "strict": True,
            }
        }
    if prompt.cache_key:
        body["prompt_cache_key"] = prompt.cache_key
    return body


def history_item(item: dict[str, Any]) -> dict[str, Any]:
    """An output item reshaped as an input item for the next request (stateless history)."""
    kind = item.get("type")
    if kind == "message":
        content = [
            {"type": part.get("type", "output_text"), "text": part.get("text", "")}
            for part in item.get("content") or []
            if isinstance(part, dict)
        ]
        return {"type": "message", "role": item.get("role", "assistant"), "content": content}
    if kind == "reasoning":
        kept: dict[str, Any] = {
            k: item[k] for k in ("id", "summary", "encrypted_content") if k in item
        }
        kept["type"] = "reasoning"
        kept.setdefault("summary", [])
        return kept
    if kind == "function_call":
        return {
            "type": "function_call",
            "call_id": item.get("call_id"),
            "name": item.get("name"),
            "arguments": item.get("arguments", ""),
        }
    if kind == "custom_tool_call":
        return {
            "type": "custom_tool_call",
            "call_id": item.get("call_id"),
            "name": item.get("name"),
            "input": item.get("input", ""),
        }
    return {k: v for k, v in item.items() if k != "status"}


def _usage(raw: Any) -> Usage | None:
    if raw is None:
        return None
    in_details = getattr(raw, "input_tokens_details", None)
    out_details = getattr(raw, "output_tokens_details", None)
    return Usage(
        input_tokens=raw.input_tokens or 0,
        cached_input_tokens=getattr(in_details, "cached_tokens", 0) or 0,
        output_tokens=raw.output_tokens or 0,
        reasoning_output_tokens=getattr(out_details, "reasoning_tokens", 0) or 0,
        total_tokens=raw.total_tokens or 0,
    )


def _failure(error: Any, fallback: str) -> ModelError:
    code = str(getattr(error, "code", "") or "") if error is not None else ""
    message = str(getattr(error, "message", "") or fallback) if error is not None else fallback
    if code == "context_length_exceeded":
        return ModelError(message, "contextWindowExceeded")
    if code in ("insufficient_quota", "usage_limit_reached"):
        return ModelError(message, "usageLimitExceeded")
    if code in ("invalid_prompt", "invalid_request_error"):
        return ModelError(message, "badRequest")
    return ModelError(message, "responseStreamDisconnected", retry="stream")


async def translate(stream: AsyncIterator[Any]) -> AsyncIterator[ModelEvent]:
    """Map the SDK's typed Responses events to model events."""
    async for event in stream:
        kind = event.type
        if kind == "response.output_text.delta":
            yield TextDelta(event.item_id, event.delta)
        elif kind == "response.reasoning_summary_text.delta":
            yield SummaryDelta(event.item_id, event.summary_index, event.delta)
        elif kind == "response.reasoning_text.delta":
            yield ReasoningDelta(event.item_id, event.content_index, event.delta)
        elif kind == "response.output_item.added":
            yield OutputItemAdded(event.item.type, event.item.id or "")
        elif kind == "response.reasoning_summary_part.added":
            yield SummaryPartAdded(event.item_id, event.summary_index)
        elif kind == "response.output_item.done":
            raw = event.item.model_dump(mode="json", exclude_none=True)
            yield OutputItemDone(event.item.id or "", history_item(raw))
        elif kind == "response.completed":
            yield Completed(event.response.id, _usage(event.response.usage))
            return
        elif kind == "response.failed":
            raise _failure(event.response.error, "the model response failed")
        elif kind == "response.incomplete":
            details = event.response.incomplete_details
            reason = getattr(details, "reason", None) or "unknown reason"
            raise ModelError(f"the model response was incomplete: {reason}", "other")
        elif kind == "error":
            raise _failure(event, "the model stream reported an error")
    raise ModelError(
        "stream closed before response.completed", "responseStreamDisconnected", retry="stream"
    )
